"""Data: ECR repositories scan and are immutable, S3 buckets block public access, prod keeps its stateful resources."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence

from .model import PROD_STACKS, Resource, describe, is_unknown, truthy

BUILD_CACHE_TAG = "build-cache"
"""The image pipeline's one mutable tag (its layer cache; fleets run digests, never it). Equal to the
pipeline's CACHE_TAG, which the pack cannot import (a unit test keeps them equal)."""


def check_ecr_repository(resource: Resource) -> Iterator[str]:
    scanning = resource.props.get("imageScanningConfiguration")
    scan = scanning.get("scanOnPush") if isinstance(scanning, Mapping) else None
    if not is_unknown(scan) and scan is not True:
        yield f'{resource.label}: does not scan on push; set imageScanningConfiguration = {{"scanOnPush": true}}'
    mutability = resource.props.get("imageTagMutability", "MUTABLE")
    if is_unknown(mutability) or mutability == "IMMUTABLE":
        return
    if mutability == "IMMUTABLE_WITH_EXCLUSION":
        filters = resource.props.get("imageTagMutabilityExclusionFilters") or []
        others = [f.get("filter") if isinstance(f, Mapping) else f for f in filters if not (isinstance(f, Mapping) and f.get("filter") == BUILD_CACHE_TAG)]
        if filters and not others:
            return
        named = ", ".join(f'"{o}"' for o in others) if others else "none"
        yield (
            f"{resource.label}: imageTagMutability is IMMUTABLE_WITH_EXCLUSION and its exclusion filters name {named}; "
            f'only the build cache\'s tag "{BUILD_CACHE_TAG}", which no host runs, may be overwritten: every release tag stays immutable'
        )
        return
    yield (
        f'{resource.label}: imageTagMutability is "{mutability}", so a pushed tag can be overwritten; '
        'set imageTagMutability = "IMMUTABLE" and deploy by digest'
    )


BUCKET_TYPES = frozenset({"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"})
_PUBLIC_BLOCK_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def check_buckets_block_public(resources: Sequence[Resource]) -> Iterator[tuple[str, str]]:
    """Stack rule: every bucket needs a public access block (its own, or the account's) with all four flags."""
    blocks = [r for r in resources if r.type in ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock")]

    def complete(block: Resource) -> bool:
        return all(truthy(block.props.get(f)) or is_unknown(block.props.get(f)) for f in _PUBLIC_BLOCK_FLAGS)

    account_wide = any(b.type.endswith("AccountPublicAccessBlock") and complete(b) for b in blocks)
    for bucket in (r for r in resources if r.type in BUCKET_TYPES):
        if account_wide:
            continue
        names = {bucket.props.get("bucket"), bucket.name}
        own = [
            b for b in blocks
            if b.type.endswith(":BucketPublicAccessBlock") and (bucket.urn in b.dependencies or b.props.get("bucket") in names)
        ]
        if not own:
            yield bucket.urn, (
                f"{bucket.label}: has no public access block; add an aws.s3.BucketPublicAccessBlock for it "
                "with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true"
            )
        elif not any(complete(b) for b in own):
            missing = [f for f in _PUBLIC_BLOCK_FLAGS if not any(truthy(b.props.get(f)) for b in own)]
            yield bucket.urn, f"{bucket.label}: its public access block leaves {describe(missing)} off; set them true"


# Type → (input that protects it, what that input must be, its name in the advice).
STATEFUL = {
    "aws:rds/instance:Instance": ("deletionProtection", True),
    "aws:rds/cluster:Cluster": ("deletionProtection", True),
    "aws:dynamodb/table:Table": ("deletionProtectionEnabled", True),
    "aws:elasticache/replicationGroup:ReplicationGroup": ("finalSnapshotIdentifier", "set"),
    "aws:elasticache/cluster:Cluster": ("finalSnapshotIdentifier", "set"),
    "aws:efs/fileSystem:FileSystem": (None, None),
    "aws:ebs/volume:Volume": ("finalSnapshot", True),
    "aws:s3/bucket:Bucket": ("forceDestroy", False),
    "aws:s3/bucketV2:BucketV2": ("forceDestroy", False),
    "aws:ecr/repository:Repository": ("forceDelete", False),
}


def check_stateful_retained(resource: Resource) -> Iterator[str]:
    if resource.stack not in PROD_STACKS or resource.protect:
        return
    key, wanted = STATEFUL[resource.type]
    if key is not None:
        value = resource.props.get(key)
        if is_unknown(value):
            return
        if wanted == "set" and value:
            return
        if wanted is True and truthy(value):
            return
        if wanted is False and not truthy(value):
            return
        fix = f"set {key} = " + ("a snapshot name" if wanted == "set" else json.dumps(wanted))
    else:
        fix = "set protect=True in its resource options"
    yield (
        f"{resource.label}: holds data in stack {resource.stack} but neither {fix.removeprefix('set ')} "
        f"nor protect=True keeps it from being deleted; {fix} (or protect=True)"
    )
