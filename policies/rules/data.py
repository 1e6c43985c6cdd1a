"""Data: ECR repositories scan and are immutable, S3 buckets block public access, prod keeps its stateful resources."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence

from .model import Resource, describe, is_unknown, truthy

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
    if not resource.production or resource.protect:
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
        f"{resource.label}: holds data in production stack {resource.stack} (tagged Production: true) but neither {fix.removeprefix('set ')} "
        f"nor protect=True keeps it from being deleted; {fix} (or protect=True)"
    )


# --- prod: encryption, public access, load balancer logs and deletion protection ---------------------

# Type → [(input, what it must be, the fix)]: encryption at rest and in transit, in prod.
ENCRYPTED = {
    "aws:rds/instance:Instance": [("storageEncrypted", True, "storageEncrypted = true")],
    "aws:rds/cluster:Cluster": [("storageEncrypted", True, "storageEncrypted = true")],
    "aws:elasticache/replicationGroup:ReplicationGroup": [
        ("atRestEncryptionEnabled", True, "atRestEncryptionEnabled = true"),
        ("transitEncryptionEnabled", True, "transitEncryptionEnabled = true (and transitEncryptionMode = \"required\")"),
    ],
    "aws:sqs/queue:Queue": [(("sqsManagedSseEnabled", "kmsMasterKeyId"), True, "sqsManagedSseEnabled = true or a kmsMasterKeyId")],
    "aws:sns/topic:Topic": [("kmsMasterKeyId", "set", "kmsMasterKeyId = \"alias/aws/sns\" (or a customer-managed key)")],
}


def check_prod_encrypted(resource: Resource) -> Iterator[str]:
    if not resource.production:
        return
    for keys, wanted, fix in ENCRYPTED[resource.type]:
        keys = keys if isinstance(keys, tuple) else (keys,)
        values = [resource.props.get(k) for k in keys]
        if any(is_unknown(v) for v in values):
            continue
        ok = any(truthy(v) for v in values) if wanted is True else any(isinstance(v, str) and v for v in values)
        if not ok:
            yield f"{resource.label}: is not encrypted ({' / '.join(keys)} unset) in stack {resource.stack}; set {fix}"


PUBLIC_TYPES = frozenset({
    "aws:rds/instance:Instance", "aws:rds/cluster:Cluster", "aws:sqs/queue:Queue", "aws:sqs/queuePolicy:QueuePolicy",
    "aws:sns/topic:Topic", "aws:sns/topicPolicy:TopicPolicy",
})


def _open_statements(document) -> list[int]:
    """Indexes of Allow statements open to every principal with no condition to narrow them."""
    if isinstance(document, str):
        if is_unknown(document):
            return []
        try:
            document = json.loads(document)
        except json.JSONDecodeError:
            return []
    if not isinstance(document, Mapping):
        return []
    statements = document.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    found = []
    for index, statement in enumerate(statements):
        if not isinstance(statement, Mapping) or str(statement.get("Effect", "")).lower() != "allow" or statement.get("Condition"):
            continue
        principal = statement.get("Principal")
        values = [principal] if isinstance(principal, str) else [v for vs in principal.values() for v in (vs if isinstance(vs, list) else [vs])] if isinstance(principal, Mapping) else []
        if "*" in values:
            found.append(index)
    return found


def check_prod_not_public(resources: Sequence[Resource]) -> Iterator[tuple[str, str]]:
    """A stack rule: SQS and SNS policies carry no tags, so the stack is production when any of its
    resources carries `Production: true`."""
    if not any(resource.production for resource in resources):
        return
    for resource in resources:
        if resource.type in PUBLIC_TYPES:
            for message in _public(resource):
                yield resource.urn, message


def _public(resource: Resource) -> Iterator[str]:
    if resource.type.startswith("aws:rds/"):
        if truthy(resource.props.get("publiclyAccessible")):
            yield f"{resource.label}: publiclyAccessible is true in stack {resource.stack}; set publiclyAccessible = false and reach it from the VPC"
        return
    for index in _open_statements(resource.props.get("policy")):
        yield (
            f"{resource.label}: policy Statement[{index}] allows Principal * with no condition in stack {resource.stack}, "
            "so anyone can use it; name the principals (or add an aws:SourceArn / aws:SourceAccount condition)"
        )


LOAD_BALANCER_TYPES = frozenset({"aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"})
"""Both tokens pulumi-aws has used for a load balancer (aws:alb is the old alias)."""


def check_prod_load_balancer(resource: Resource) -> Iterator[str]:
    if not resource.production:
        return
    logs = resource.props.get("accessLogs")
    if not is_unknown(logs):
        enabled = isinstance(logs, Mapping) and truthy(logs.get("enabled")) and logs.get("bucket")
        if not enabled:
            yield (
                f"{resource.label}: writes no access logs in stack {resource.stack}; set accessLogs = "
                '{"bucket": <a bucket the ELB log delivery may write to>, "enabled": true}'
            )
    protection = resource.props.get("enableDeletionProtection")
    if not is_unknown(protection) and not truthy(protection):
        yield f"{resource.label}: has no deletion protection in stack {resource.stack}; set enableDeletionProtection = true"
