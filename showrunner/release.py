"""Tag the digests a promoted stack runs as releases in the repositories they come from.

Prod runs what staging built (`make promote`), from staging's repositories, whose lifecycle keeps
only the newest images: without this, prod's pinned digest expires after enough staging builds
and prod's next scale-out cannot pull. Each digest gets the tag `release-<stack>-<digest prefix>`
(ECR's own retag: BatchGetImage, then PutImage of the same manifest under the new tag, which
immutable tags allow), and the pipeline's lifecycle policy never expires a `release-` image
(`image_pipeline.builds.lifecycle_policy`). Tagging again is a no-op.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from showrunner_components.image_pipeline.builds import release_tag

REFERENCE = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<repository>[^@]+)@(?P<digest>sha256:[0-9a-f]{64})$")
MANIFEST_TYPES = [
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
]


class ReleaseError(Exception):
    """A reference that cannot be tagged; one line naming it."""


def parse_pins(lines: Iterable[str]) -> list[tuple[str, str]]:
    """`<image> <reference>` lines (tools/release-pins' output) → (image, reference)."""
    pins = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        image, _, reference = line.strip().partition(" ")
        if not REFERENCE.match(reference):
            raise ReleaseError(f"line {number}: {reference!r} is not an ECR image pinned by digest")
        pins.append((image, reference))
    return pins


def protect(pins: list[tuple[str, str]], stack: str, client_for: Callable[[str], Any], out: TextIO) -> None:
    """Tag each pinned digest `release-<stack>-…` in its repository; `client_for(region)` is an ECR client."""
    from botocore.exceptions import ClientError

    for image, reference in pins:
        match = REFERENCE.match(reference)
        repository, digest = match["repository"], match["digest"]
        tag = release_tag(stack, digest)
        client = client_for(match["region"])
        ids = {"registryId": match["account"], "repositoryName": repository}
        found = client.batch_get_image(**ids, imageIds=[{"imageDigest": digest}], acceptedMediaTypes=MANIFEST_TYPES)
        if not found.get("images"):
            reasons = "; ".join(f.get("failureReason", "") for f in found.get("failures", [])) or "not found"
            raise ReleaseError(f"{image}: {repository}@{digest} cannot be read ({reasons}): it may have expired already")
        manifest = found["images"][0]
        try:
            client.put_image(**ids, imageManifest=manifest["imageManifest"], imageManifestMediaType=manifest["imageManifestMediaType"],
                             imageTag=tag, imageDigest=digest)
            print(f"protect-releases: {image}: {repository}@{digest[:19]}… tagged {tag}", file=out)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ImageAlreadyExistsException":
                raise ReleaseError(f"{image}: cannot tag {repository}@{digest} {tag}: {error.response['Error']['Code']}") from None
            print(f"protect-releases: {image}: {repository}@{digest[:19]}… already tagged {tag}", file=out)
