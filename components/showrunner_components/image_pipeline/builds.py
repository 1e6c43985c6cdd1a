"""The image pipeline's pure builders: build order, lifecycle policy, content hashes, tags, names.

Nothing here calls Docker or AWS; `ImagePipeline` turns the results into resources, configuration
checks reuse `build_order` (cycles, unknown parents), and the tests compare them exactly.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path

# What no build sends (every .dockerignore leaves them out): bytecode and test caches, which differ
# from machine to machine, and a wheelhouse being built. A built wheelhouse IS hashed: the Docker
# provider hashes every file it sends and rebuilds when one changes, so a wheel rebuilt with other
# bytes must come with a new tag (ECR refuses to push a tag twice).
_NOT_HASHED = {"wheelhouse.tmp", "__pycache__", ".pytest_cache"}

DEFAULT_PARENT_BUILD_ARG = "BASE_IMAGE"
"""The build argument that receives a parent image's digest, unless an image names another."""
REFRESH_BUILD_ARG = "REFRESH_KEY"
"""The build argument that carries the refresh key (the ISO week) into a weekly image."""
RELEASE_TAG_PREFIX = "release-"
"""A digest another stack runs is tagged `release-<stack>-<digest>` (`release_tag`) in its repository."""
REPOSITORY_IMAGE_LIMIT = 10_000
"""ECR's "Maximum number of images per repository" (its service quotas): a count rule above it never fires."""
CACHE_TAG = "build-cache"
"""Each repository's one mutable tag: the image whose layers every build of it reuses (never run:
fleets run digests). Every other tag is immutable."""
INLINE_CACHE_BUILD_ARG = "BUILDKIT_INLINE_CACHE"
"""Set to 1, BuildKit writes the cache metadata into the pushed image, so a later build can reuse
its layers from the registry (`cache_from`)."""


class BuildOrderError(ValueError):
    """The images' parents do not form a tree: `image` names an unknown parent, or is on a cycle."""

    def __init__(self, image: str, message: str, cycle: tuple[str, ...] = ()):
        self.image = image
        self.cycle = cycle
        super().__init__(message)


def build_order(parents: Mapping[str, str | None]) -> list[str]:
    """Image names, each after its parent; otherwise in the order given.

    `parents` maps every image to the image it is built on (or None). An unknown parent or a cycle
    raises `BuildOrderError` naming the first image (in the order given) where it shows.
    """
    order: list[str] = []
    done: set[str] = set()
    for start in parents:
        path: list[str] = []
        image: str | None = start
        while image is not None and image not in done:
            if image in path:
                cycle = (*path[path.index(image):], image)
                raise BuildOrderError(cycle[0], f"the parents form a cycle: {' → '.join(cycle)}", cycle)
            path.append(image)
            parent = parents[image]
            if parent is not None and parent not in parents:
                raise BuildOrderError(image, f'image {image} names parent "{parent}", which is not an image of the pipeline')
            image = parent
        for name in reversed(path):
            done.add(name)
            order.append(name)
    return order


def lifecycle_policy(keep_releases: int, untagged_expiry_days: int) -> dict:
    """The ECR lifecycle policy: what 2015's `@daily docker rmi` did, done by the registry.

    Untagged images (superseded pushes, build leftovers) expire first; release-tagged images (a
    digest another stack runs, `release_tag`) never: the second rule selects them and counts above
    what a repository can hold, and an image matched by a rule's tags cannot be expired by a
    lower-priority rule (ECR's evaluation rules; `lifecycle.evaluate` applies them). Of the rest,
    the newest `keep_releases` images (releases among them count) are kept, so that a rollback to a
    recent digest still pulls; the `build-cache` image is the newest build's, and a cache image the
    tag moved off is untagged, so the first rule expires it.
    """
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"Expire untagged images {untagged_expiry_days} days after push",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": untagged_expiry_days,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": "Never expire a digest a stack runs (tagged release-)",
                "selection": {
                    "tagStatus": "tagged",
                    "tagPrefixList": [RELEASE_TAG_PREFIX],
                    "countType": "imageCountMoreThan",
                    "countNumber": REPOSITORY_IMAGE_LIMIT,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 3,
                "description": f"Keep the last {keep_releases} images",
                "selection": {
                    "tagStatus": "any",
                    "countType": "imageCountMoreThan",
                    "countNumber": keep_releases,
                },
                "action": {"type": "expire"},
            },
        ]
    }


def release_tag(stack: str, digest: str) -> str:
    """`release-<stack>-<first 12 hex of the digest>`: one tag per stack and digest, so tagging again is a no-op."""
    hexdigits = digest.removeprefix("sha256:")
    return f"{RELEASE_TAG_PREFIX}{stack}-{hexdigits[:12]}"


def context_hash(directory: Path) -> str:
    """sha256 over a build context's files (relative path, permission bits and bytes, in path order):
    whatever changes the Docker provider's own hash of the context changes this one too."""
    digest = hashlib.sha256()
    files = sorted(
        p for p in directory.rglob("*")
        if p.is_file() and not _NOT_HASHED.intersection(p.relative_to(directory).parts)
    )
    if not files:
        raise FileNotFoundError(f"image build context {directory} has no files")
    for path in files:
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
        digest.update(f"{path.stat().st_mode & 0o777:o}".encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def content_tag(*parts: str) -> str:
    """A short, stable tag from content identifiers: same inputs, same tag (ECR tags are immutable)."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def image_tag(context: str, parent_digest: str | None = None, refresh_key: str | None = None, recipe: str | None = None) -> str:
    """The tag of one build: its context's hash, its parent's digest (a new parent is a new image)
    and its `recipe` (`build_recipe`); a weekly image's tag starts with the refresh key
    (`2026-W48-<hash>`), so a new week is one too.

    ECR refuses to push a tag again (immutable tags), even with the same digest; and the Docker
    provider rebuilds and pushes whenever any input of the image changes. So every input is in the
    tag: an input that changes always comes with a new tag to push."""
    tag = content_tag(context, *(part for part in (parent_digest, recipe) if part is not None))
    return f"{refresh_key}-{tag}" if refresh_key is not None else tag


def build_recipe(**inputs: object) -> str:
    """The build's inputs that the context hash and the parent's digest do not already carry (paths,
    target, platform, cache and preview settings), as one stable text for `image_tag`."""
    return json.dumps(inputs, sort_keys=True, separators=(",", ":"))


def repository_name(prefix: str, image: str) -> str:
    """`<prefix>/<image>`: `showrunner/prod/www`."""
    return f"{prefix}/{image}"


_ECR_REGISTRY = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?P<china>\.cn)?$")


def ecr_registry_of(reference: str) -> str | None:
    """The private ECR registry host of an image reference (`ACCOUNT.dkr.ecr.REGION.amazonaws.com`), or None."""
    registry = reference.split("/", 1)[0]
    return registry if _ECR_REGISTRY.match(registry) else None


def repository_arn_of(reference: str, partition: str | None = None) -> str:
    """`ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO@sha256:…` → the repository's ARN, in `partition`
    (default: the registry's own: `aws-cn` for `.amazonaws.com.cn`, `aws-us-gov` for `us-gov-*`)."""
    registry, _, rest = reference.partition("/")
    match = _ECR_REGISTRY.match(registry)
    if match is None:
        raise ValueError(f"{reference} is not an image of a private ECR registry (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY)")
    account, region = match["account"], match["region"]
    if partition is None:
        partition = "aws-cn" if match["china"] else "aws-us-gov" if region.startswith("us-gov-") else "aws"
    return f"arn:{partition}:ecr:{region}:{account}:repository/{rest.split('@', 1)[0]}"
