"""Images are data: the rules of `showrunner:images` across entries, against the services and
against the project's `images/` folders (`ensure_*`, run with the other checks), and the
configured images for the tools that build and promote them.

Adding an image takes a folder `images/<name>/` (Dockerfile and sources), one entry and a service
that says `image: <name>`. Whatever is missing or wrong is one problem line with its path, e.g.
`showrunner:images.search.parent: image "bsae" is not defined in showrunner:images (defined: …)`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from showrunner.config import stackfile
from showrunner.config.messages import ConfigError, path_of
from showrunner.config.models import Image, Settings
from showrunner.config.values import _ECR_DIGEST_REF, is_external_image
from showrunner_components.image_pipeline import dockerfile
from showrunner_components.image_pipeline.builds import REFRESH_BUILD_ARG, BuildOrderError, build_order

if TYPE_CHECKING:
    from showrunner.config.checks import Parsed

IMAGES_DIR = "images"
MOVED_KEYS = {
    "refresh_key": "showrunner:image_pipeline.refresh_key",
    "keep_releases": "showrunner:image_pipeline.keep_releases",
    "untagged_expiry_days": "showrunner:image_pipeline.untagged_expiry_days",
    "release": "showrunner:images.<image>.release",
}
"""What `showrunner:images` held before it became one entry per image, and where it lives now."""


def moved_key_problem(key: str) -> str | None:
    """The line for a stack file that still sets a pipeline-wide key under `showrunner:images`."""
    if key not in MOVED_KEYS:
        return None
    return f"{path_of('images', key)}: moved to {MOVED_KEYS[key]}; showrunner:images holds one entry per image, keyed by its name"


def _listing(names) -> str:
    return ", ".join(sorted(names)) or "none"


def _entries(config: Parsed) -> dict[str, Image]:
    return config.images or {}


def ensure_image_parents_defined(config: Parsed) -> list[str]:
    if config.image_names is None:
        return []  # the section itself is malformed and already reported
    return [
        f'{path_of("images", name, "parent")}: image "{image.parent}" is not defined in showrunner:images (defined: {_listing(config.image_names)})'
        for name, image in _entries(config).items()
        if image.parent is not None and image.parent not in config.image_names
    ]


def ensure_image_parents_acyclic(config: Parsed) -> list[str]:
    """No image is built, through its parents, on itself (`build_order`, as the pipeline orders builds)."""
    images = _entries(config)
    try:
        build_order({n: (i.parent if i.parent in images else None) for n, i in images.items()})
    except BuildOrderError as error:
        return [f'{path_of("images", error.image, "parent")}: {error}; an image cannot be built on itself']
    return []


def ensure_service_images_defined(config: Parsed) -> list[str]:
    """A service's `image` names an entry, or is a repository."""
    if config.image_names is None:
        return []
    return [
        f'{path_of("services", name, "image")}: image "{claim.image}" is not defined in showrunner:images '
        f"(defined: {_listing(config.image_names)}); add an entry and its folder images/{claim.image}/, "
        'or name an ECR image pinned by digest like "public.ecr.aws/org/name@sha256:…"'
        for name, claim in config.claims.items()
        if claim.image is not None and not is_external_image(claim.image) and claim.image not in config.image_names
    ]


def ensure_releases_built_here_and_run(config: Parsed) -> list[str]:
    """A release pins an image of this project that a service runs."""
    run = {claim.image for claim in config.claims.values()}
    problems = []
    for name, image in _entries(config).items():
        if image.release is None:
            continue
        if config.project_dir is not None and image.model_fields_set == {"release"} and not _directory(config.project_dir, name, image).is_dir():
            built = [n for n in config.image_names or () if n != name]
            problems.append(f'{path_of("images", name, "release")}: no image "{name}" is built by this project (images: {_listing(built)})')
        elif name not in run:
            problems.append(f'{path_of("images", name, "release")}: no service runs image "{name}"; promotion pins the images services run')
    return problems


def ensure_image_folders(config: Parsed) -> list[str]:
    """Each image's folder under `images/`, its Dockerfile, and what the entry asks of the Dockerfile:
    the stages it names, the `ARG` its parent's digest arrives in, `ARG REFRESH_KEY` if weekly."""
    if config.project_dir is None:
        return []
    problems = []
    for name, image in _entries(config).items():
        if image.model_fields_set == {"release"}:
            continue  # a promoted image only: ensure_releases_built_here_and_run
        problems += _folder_problems(name, image, config.project_dir, config.image_names or frozenset())
    return problems


def ensure_weekly_images_have_a_refresh_key(config: Parsed) -> list[str]:
    """A weekly image needs the week it is rebuilt for."""
    weekly = [name for name, image in _entries(config).items() if image.weekly]
    if not weekly or config.image_pipeline is None or config.image_pipeline.refresh_key is not None:
        return []
    return [f"{path_of('image_pipeline', 'refresh_key')}: is required: image {', '.join(weekly)} is rebuilt weekly (weekly: true)"]


CHECKS: tuple[Callable[[Parsed], list[str]], ...] = (
    ensure_image_parents_defined,
    ensure_image_parents_acyclic,
    ensure_service_images_defined,
    ensure_releases_built_here_and_run,
    ensure_image_folders,
    ensure_weekly_images_have_a_refresh_key,
)
"""The images' rules, in the order their problems are listed (after the other cross-entry rules)."""


def _directory(project_dir: Path, name: str, image: Image) -> Path:
    return project_dir / IMAGES_DIR / image.context_folder(name)


def _folder_problems(name: str, image: Image, project_dir: Path, defined: frozenset[str]) -> list[str]:
    shown = f"{IMAGES_DIR}/{image.context_folder(name)}"
    where = path_of("images", name, "context") if image.context is not None else path_of("images", name)
    directory = _directory(project_dir, name, image)
    if not directory.is_dir():
        default = "" if image.context is not None else " (the build context defaults to the entry's name)"
        return [f"{where}: {shown}/ does not exist{default}; an image needs a folder under {IMAGES_DIR}/ with its Dockerfile and sources"]
    if not (directory / "Dockerfile").is_file():
        return [f"{where}: {shown}/ has no Dockerfile"]
    text = dockerfile.read(directory / "Dockerfile")
    stages, arguments = dockerfile.stages(text), dockerfile.build_arguments(text)
    problems = []
    for key in ("test_target", "target"):
        stage = getattr(image, key)
        if stage is not None and stage not in stages:
            problems.append(
                f'{path_of("images", name, key)}: stage "{stage}" is not defined in {shown}/Dockerfile '
                f"(its stages: {', '.join(stages) or 'none'}; a stage is named by FROM … AS <stage>)"
            )
    if image.parent in defined and image.build_arg not in arguments:  # an unknown parent is reported already
        key = "parent_build_arg" if image.parent_build_arg is not None else "parent"
        problems.append(
            f"{path_of('images', name, key)}: {shown}/Dockerfile declares no ARG {image.build_arg}, so the parent's digest "
            f"would not reach the build; declare it (ARG {image.build_arg}, then FROM ${{{image.build_arg}}})"
        )
    if image.weekly and REFRESH_BUILD_ARG not in arguments:
        problems.append(
            f"{path_of('images', name, 'weekly')}: {shown}/Dockerfile declares no ARG {REFRESH_BUILD_ARG}, so a new week "
            "would reuse the cached layers; use it in the step that installs the OS updates"
        )
    return problems


# --- the configured images, for the tools that build and promote them ---------------------------


@dataclass(frozen=True)
class ProjectImages:
    """The images of `Pulumi.yaml`, validated: what `tools/build-images` builds and pushes."""

    directory: Path
    images: dict[str, Image]
    order: list[str]
    """Every image, each after its parent."""
    run: frozenset[str]
    """The images a service runs: the ones pushed and promoted."""

    def context(self, name: str) -> Path:
        return _directory(self.directory, name, self.images[name])


def project_images(project_dir: Path | str) -> ProjectImages:
    """`showrunner:images` and the services of `Pulumi.yaml` (no stack), checked by the same rules
    as a stack's images.

    Raises `ConfigError` with every problem, or `StackConfigError` for an unreadable `Pulumi.yaml`.
    """
    from showrunner.config.loading import parse  # loading runs these checks: imported when used

    project = stackfile.load_project(project_dir)
    prefix = f"{project.name}:"
    values = {key[len(prefix):]: value for key, value in project.defaults.items() if key.startswith(prefix)}
    config, problems = parse({key: values[key] for key in ("images", "services") if key in values}, "project", project.directory)
    # The entries themselves and the images' rules; the rest of a stack, and the week of its weekly
    # rebuild, are not in the project defaults (a local build takes this week).
    problems = [p for p in problems if p.startswith(path_of("images"))] + [
        p for check in CHECKS if check is not ensure_weekly_images_have_a_refresh_key for p in check(config)
    ]
    if problems:
        raise ConfigError(problems)
    images = config.images or {}
    run = {claim.image for claim in config.claims.values()} & set(images)
    return ProjectImages(project.directory, images, build_order({n: i.parent for n, i in images.items()}), frozenset(run))


def release_pins(manifest: Mapping[str, Any], settings: Settings) -> dict[str, str]:
    """What `make promote` sets: each image the stack's services run → the reference the manifest
    (another stack's `image_digests` output) names for it, which must be pinned by digest."""
    run = sorted({s.image for s in settings.services.values()} & set(settings.images))
    problems = []
    for name in run:
        reference = manifest.get(name)
        if reference is None:
            problems.append(f"{name}: is not in the manifest, but a service of stack {settings.stack} runs it")
        elif not (isinstance(reference, str) and _ECR_DIGEST_REF.match(reference)):
            problems.append(f'{name}: "{reference}" is not an ECR reference pinned by digest (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY@sha256:…)')
    if problems:
        raise ConfigError(problems)
    return {name: manifest[name] for name in run}
