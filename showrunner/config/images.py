"""Images are data: the checks of `showrunner:images` across entries, against the services and
against the project's `images/` folders, and the configured images for the tools that build them.

Adding an image takes a folder `images/<name>/` (Dockerfile and sources), one entry and a service
that says `image: <name>`. Whatever is missing or wrong is one problem line with its path, e.g.
`showrunner:images.search.parent: image "bsae" is not defined in showrunner:images (defined: …)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from showrunner.config import stackfile
from showrunner.config.messages import ConfigError, path_of, problems_of
from showrunner.config.models import Image, ImagePipeline, Settings
from showrunner.config.values import _ECR_DIGEST_REF, _NAME, is_external_image
from showrunner_components.image_pipeline import dockerfile
from showrunner_components.image_pipeline.builds import REFRESH_BUILD_ARG, BuildOrderError, build_order

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


def _defined(raw_images: Any) -> list[str]:
    return sorted(raw_images) if isinstance(raw_images, dict) else []


def _listing(names: list[str]) -> str:
    return ", ".join(names) or "none"


def ensure_images(images: Mapping[str, Image], values: Mapping[str, Any], project_dir: Path | None) -> list[str]:
    """Every problem of the configured images: parents that are not entries, a cycle, services that
    name an image with no entry, a release no service runs; and, when `project_dir` is given, build
    contexts without a folder or Dockerfile, and stages or build arguments the Dockerfile lacks.

    `images` are the entries that parsed; the raw `values` count an entry with problems of its own
    as defined, so that one mistake is reported once.
    """
    if "images" in values and not isinstance(values["images"], dict):
        return []  # the section itself is malformed and already reported
    defined = _defined(values.get("images"))
    problems: list[str] = []
    for name, image in images.items():
        if image.parent is not None and image.parent not in defined:
            problems.append(f'{path_of("images", name, "parent")}: image "{image.parent}" is not defined in showrunner:images (defined: {_listing(defined)})')
    try:
        build_order({n: (i.parent if i.parent in images else None) for n, i in images.items()})
    except BuildOrderError as error:
        problems.append(f'{path_of("images", error.image, "parent")}: {error}; an image cannot be built on itself')

    run = run_images(values)
    raw_services = values.get("services") if isinstance(values.get("services"), dict) else {}
    for service_name, raw in raw_services.items():
        image = raw.get("image") if isinstance(raw, dict) else None
        # A value that is neither a name nor a repository is reported by the schema.
        if isinstance(image, str) and not is_external_image(image) and _NAME.match(image) and image not in defined:
            problems.append(
                f'{path_of("services", service_name, "image")}: image "{image}" is not defined in showrunner:images '
                f"(defined: {_listing(defined)}); add an entry and its folder images/{image}/, "
                'or name an external repository like "public.ecr.aws/org/name"'
            )
    for name, image in images.items():
        if project_dir is not None and image.model_fields_set == {"release"} and not (project_dir / IMAGES_DIR / name).is_dir():
            built = [n for n in defined if n != name]
            problems.append(f'{path_of("images", name, "release")}: no image "{name}" is built by this project (images: {_listing(built)})')
            continue
        if image.release is not None and name not in run:
            problems.append(f'{path_of("images", name, "release")}: no service runs image "{name}"; promotion pins the images services run')
        if project_dir is not None:
            problems.extend(_folder_problems(name, image, project_dir, defined))
    return problems


def ensure_weekly_refresh(images: Mapping[str, Image], pipeline: ImagePipeline | None) -> list[str]:
    """A weekly image needs the week it is rebuilt for."""
    weekly = [name for name, image in images.items() if image.weekly]
    if weekly and pipeline is not None and pipeline.refresh_key is None:
        return [f"{path_of('image_pipeline', 'refresh_key')}: is required: image {', '.join(weekly)} is rebuilt weekly (weekly: true)"]
    return []


def _folder_problems(name: str, image: Image, project_dir: Path, defined: list[str]) -> list[str]:
    """The build context, its Dockerfile, and what the entry asks of the Dockerfile."""
    folder = image.context_folder(name)
    shown = f"{IMAGES_DIR}/{folder}"
    where = path_of("images", name, "context") if image.context is not None else path_of("images", name)
    directory = project_dir / IMAGES_DIR / folder
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
                f"(its stages: {_listing(stages)}; a stage is named by FROM … AS <stage>)"
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


def run_images(values: Mapping[str, Any]) -> set[str]:
    """The pipeline images (names, not repositories) the raw services run."""
    raw_services = values.get("services") if isinstance(values.get("services"), dict) else {}
    return {
        raw["image"]
        for raw in raw_services.values()
        if isinstance(raw, dict) and isinstance(raw.get("image"), str) and not is_external_image(raw["image"])
    }


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
        return self.directory / IMAGES_DIR / self.images[name].context_folder(name)


def project_images(project_dir: Path | str) -> ProjectImages:
    """`showrunner:images` and the services of `Pulumi.yaml` (no stack), checked as a stack's are.

    Raises `ConfigError` with every problem, or `StackConfigError` for an unreadable `Pulumi.yaml`.
    """
    project = stackfile.load_project(project_dir)
    prefix = f"{project.name}:"
    values = {key[len(prefix):]: value for key, value in project.defaults.items() if key.startswith(prefix)}
    raw = values.get("images")
    problems: list[str] = []
    images: dict[str, Image] = {}
    if not isinstance(raw, dict):
        problems.append(f"{path_of('images')}: expected a map of name → image in Pulumi.yaml")
        raw = {}
    for name, entry in raw.items():
        try:
            images[name] = TypeAdapter(Image).validate_python(entry)
        except ValidationError as error:
            problems.extend(problems_of(error, ("images", name), redact=False))
    problems.extend(ensure_images(images, values, project.directory))
    if problems:
        raise ConfigError(problems)
    order = build_order({n: i.parent for n, i in images.items()})
    return ProjectImages(project.directory, images, order, frozenset(run_images(values) & set(images)))


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
