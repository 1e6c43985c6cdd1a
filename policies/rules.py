"""The showrunner policy rules: pure checks over resource inputs, shared by the pack and the checker.

Each rule looks at resources as plain data (the engine's camelCase input names, JSON policy
documents as strings or objects) and returns messages that say what is wrong, where, and how to
fix it. Two front ends run them:

- `policies/__main__.py` wraps them in CrossGuard policies (`pack_policies()`), for
  `pulumi preview --policy-pack policies`;
- `showrunner policy` runs them over `pulumi preview --json`, `pulumi stack export` and offline
  preview documents, without the Pulumi CLI.

Only the standard library is imported at module level, so importing this module never starts a
policy pack. A value that is not known yet (`[unknown]`, or the engine's unknown sentinels) is
skipped: the engine runs the pack again once it is known. A secret value (`[secret]`) is never
judged and never echoed.
"""

from __future__ import annotations

import base64
import gzip
import binascii
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

PACK_NAME = "showrunner-policies"
MANDATORY = "mandatory"
ADVISORY = "advisory"

SECRET = "[secret]"
UNKNOWN_VALUES = frozenset(
    {
        "[unknown]",
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",  # string
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
    }
)
PROD_STACKS = frozenset({"prod", "production"})


@dataclass(frozen=True)
class Resource:
    """One resource as a rule sees it."""

    type: str
    urn: str
    name: str
    props: Mapping[str, Any]
    protect: bool = False
    dependencies: tuple[str, ...] = ()

    @property
    def stack(self) -> str:
        parts = self.urn.split(":")
        return parts[2] if len(parts) > 2 and self.urn.startswith("urn:pulumi:") else ""

    @property
    def label(self) -> str:
        return f'{self.type.split(":")[-1]} "{self.name}"'


@dataclass(frozen=True)
class Violation:
    policy: str
    urn: str
    message: str
    enforcement: str


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    check: Callable[..., Iterable[str]]
    """`check(resource)` for a resource rule; `check(resources)` yielding (urn, message) for a stack rule."""
    enforcement: str = MANDATORY
    types: frozenset[str] | None = None
    """Resource types the rule looks at; None: every type."""
    stack: bool = False


def is_unknown(value: Any) -> bool:
    return isinstance(value, str) and value in UNKNOWN_VALUES


def is_secret(value: Any) -> bool:
    if isinstance(value, Mapping):
        # `pulumi stack export` keeps secrets as {sig: secret-sig, ciphertext|plaintext: ...}.
        return value.get("4dabf18193072939515e22adb298388d") == "1b47061264138c4ac30d75fd1eb44270"
    return value == SECRET


def _list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, str) or isinstance(value, Mapping):
        return [value]
    if isinstance(value, Sequence):
        return list(value)
    return [value]


def _truthy(value: Any) -> bool:
    """pulumi-aws spells some booleans as strings (launch template `ebs.encrypted`)."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


# --- IAM: documents, statements and IAM's wildcard matching ------------------------------------

DESTRUCTIVE_EC2_ACTIONS = (
    "ec2:TerminateInstances",
    "ec2:StopInstances",
    "ec2:DeleteSnapshot",
    "ec2:DetachVolume",
    "ec2:DeleteVolume",
    "ec2:ModifyImageAttribute",
)
SECRET_READING_ACTIONS = (
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "ssm:GetParameterHistory",
    "secretsmanager:GetSecretValue",
    "secretsmanager:BatchGetSecretValue",
    "kms:Decrypt",
)
_TAG_CONDITION_KEY = re.compile(r"^(aws|ec2):resourcetag/.+$", re.IGNORECASE)
_ADMIN_POLICY = re.compile(
    r"^arn:aws[a-z-]*:iam::aws:policy/(AdministratorAccess(-[A-Za-z0-9]+)?|PowerUserAccess|job-function/SystemAdministrator)$"
)
_NAMED_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
_GITHUB_OIDC = "token.actions.githubusercontent.com"


def action_matches(pattern: str, action: str) -> bool:
    """IAM's matching: case-insensitive, `*` any run of characters, `?` exactly one."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, action, re.IGNORECASE) is not None


def _patterns_matching(patterns: Iterable[str], actions: Iterable[str]) -> list[str]:
    actions = list(actions)
    return [p for p in patterns if any(action_matches(p, a) for a in actions)]


def _is_any_resource(resource: str) -> bool:
    """`*`, or an ARN pattern every segment of which is a wildcard (`arn:aws:*:*:*:*`)."""
    if resource == "*":
        return True
    if not resource.startswith("arn:"):
        return False
    segments = re.split(r"[:/]", resource)[2:]
    return bool(segments) and all(s in ("*", "") for s in segments)


@dataclass(frozen=True)
class Statement:
    where: str
    """`inlinePolicies[0].policy Statement[1] (Sid "Manage")`: enough to find it in the source."""
    effect: str
    actions: list[str]
    not_actions: list[str]
    resources: list[str]
    not_resources: list[str]
    principal: Any
    condition: Mapping[str, Any]


class UnreadableDocument(ValueError):
    """A policy document that is neither JSON nor a JSON object with statements."""


def parse_document(document: Any, where: str) -> list[Statement] | None:
    """The statements of a policy document given as a JSON string or an object.

    Returns None when the document (or a part that decides the result) is not known yet or is a
    secret; raises `UnreadableDocument` when it cannot be an IAM policy at all.
    """
    if document is None or is_unknown(document) or is_secret(document):
        return None
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as error:
            raise UnreadableDocument(f"{where} is not valid JSON ({error.msg} at character {error.pos})") from None
    if not isinstance(document, Mapping):
        raise UnreadableDocument(f"{where} is not a JSON object")
    raw_statements = document.get("Statement")
    if is_unknown(raw_statements):
        return None
    statements = []
    for index, raw in enumerate(_list(raw_statements)):
        if is_unknown(raw):
            return None
        if not isinstance(raw, Mapping):
            raise UnreadableDocument(f"{where} Statement[{index}] is not an object")
        values = [raw.get(k) for k in ("Effect", "Action", "NotAction", "Resource", "NotResource")]
        if any(is_unknown(v) or any(is_unknown(x) for x in _list(v)) for v in values):
            return None
        sid = raw.get("Sid")
        label = f'{where} Statement[{index}]' + (f' (Sid "{sid}")' if isinstance(sid, str) and sid else "")
        statements.append(
            Statement(
                where=label,
                effect=str(raw.get("Effect", "")),
                actions=[str(a) for a in _list(raw.get("Action"))],
                not_actions=[str(a) for a in _list(raw.get("NotAction"))],
                resources=[str(r) for r in _list(raw.get("Resource"))],
                not_resources=[str(r) for r in _list(raw.get("NotResource"))],
                principal=raw.get("Principal"),
                condition=raw.get("Condition") if isinstance(raw.get("Condition"), Mapping) else {},
            )
        )
    return statements


IDENTITY_POLICY_TYPES = frozenset(
    {
        "aws:iam/policy:Policy",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/userPolicy:UserPolicy",
        "aws:iam/groupPolicy:GroupPolicy",
        "aws:iam/role:Role",
    }
)
ATTACHMENT_TYPES = frozenset(
    {
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
        "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
        "aws:iam/policyAttachment:PolicyAttachment",
        "aws:iam/role:Role",
        "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
    }
)


def identity_documents(resource: Resource) -> Iterator[tuple[str, Any]]:
    """(where, document) for every permission policy a resource carries."""
    if resource.type == "aws:iam/role:Role":
        for index, inline in enumerate(_list(resource.props.get("inlinePolicies"))):
            if isinstance(inline, Mapping):
                yield f"inlinePolicies[{index}].policy", inline.get("policy")
    elif resource.type in IDENTITY_POLICY_TYPES:
        yield "policy", resource.props.get("policy")


def identity_statements(resource: Resource) -> Iterator[Statement]:
    for where, document in identity_documents(resource):
        try:
            statements = parse_document(document, where)
        except UnreadableDocument:
            continue  # reported once, by iam-policy-readable
        for statement in statements or []:
            if statement.effect.lower() == "allow":
                yield statement


def _describe(items: Sequence[str]) -> str:
    return ", ".join(items)


def check_document_readable(resource: Resource) -> Iterator[str]:
    for where, document in identity_documents(resource):
        try:
            parse_document(document, where)
        except UnreadableDocument as error:
            yield f"{resource.label}: {error}; give a JSON policy document with a Statement object or list"
    if resource.type == "aws:iam/role:Role":
        try:
            parse_document(resource.props.get("assumeRolePolicy"), "assumeRolePolicy")
        except UnreadableDocument as error:
            yield f"{resource.label}: {error}; give a JSON trust policy with a Statement object or list"


def check_no_full_wildcard(resource: Resource) -> Iterator[str]:
    for s in identity_statements(resource):
        broad = [a for a in s.actions if a == "*" or re.fullmatch(r"[A-Za-z0-9-]+:\*", a)]
        anywhere = [r for r in s.resources if _is_any_resource(r)]
        if broad and anywhere:
            yield (
                f"{resource.label}: {s.where} allows {_describe(broad)} on Resource {anywhere[0]}; "
                "list the actions the role needs and the ARNs it needs them on"
            )


def check_destructive_ec2_tagged(resource: Resource) -> Iterator[str]:
    for s in identity_statements(resource):
        matched = _patterns_matching(s.actions, DESTRUCTIVE_EC2_ACTIONS)
        if not matched:
            continue
        keys = [k for operator in s.condition.values() if isinstance(operator, Mapping) for k in operator]
        if not any(_TAG_CONDITION_KEY.match(str(k)) for k in keys):
            covered = [a for a in DESTRUCTIVE_EC2_ACTIONS if any(action_matches(p, a) for p in matched)]
            yield (
                f"{resource.label}: {s.where} allows {_describe(matched)} (destructive: {_describe(covered)}) "
                "without a resource-tag condition; add one such as "
                '"Condition": {"StringEquals": {"aws:ResourceTag/ManagedBy": "pulumi"}}, as 2015\'s Packer policy '
                'did with Name = "Packer Builder"'
            )


def check_pass_role_named(resource: Resource) -> Iterator[str]:
    for s in identity_statements(resource):
        matched = _patterns_matching(s.actions, ["iam:PassRole"])
        if not matched:
            continue
        unnamed = [r for r in s.resources if not _NAMED_ROLE_ARN.match(r) and not is_unknown(r)]
        if unnamed or not s.resources:
            yield (
                f"{resource.label}: {s.where} allows iam:PassRole (through {_describe(matched)}) on "
                f"{_describe(unnamed) or 'no Resource'}; pass only named roles: list each role ARN "
                "(arn:aws:iam::<account>:role/<name>) without wildcards"
            )


def check_no_not_action(resource: Resource) -> Iterator[str]:
    for s in identity_statements(resource):
        used = [k for k, v in (("NotAction", s.not_actions), ("NotResource", s.not_resources)) if v]
        if used:
            yield (
                f"{resource.label}: {s.where} is an Allow with {' and '.join(used)}, which grants everything "
                "not listed, including actions and resources AWS adds later; list what is allowed with Action and Resource"
            )


def check_secret_reads_scoped(resource: Resource) -> Iterator[str]:
    for s in identity_statements(resource):
        matched = _patterns_matching(s.actions, SECRET_READING_ACTIONS)
        anywhere = [r for r in s.resources if _is_any_resource(r)]
        if matched and anywhere:
            yield (
                f"{resource.label}: {s.where} allows {_describe(matched)} on Resource {anywhere[0]}, "
                "which reads every secret in the account; scope it to the parameter path, secret or key ARNs "
                "(e.g. arn:aws:ssm:<region>:<account>:parameter/showrunner/<stack>/*)"
            )


def check_no_admin_attachment(resource: Resource) -> Iterator[str]:
    if resource.type == "aws:iam/role:Role":
        candidates = [(f"managedPolicyArns[{i}]", a) for i, a in enumerate(_list(resource.props.get("managedPolicyArns")))]
    elif resource.type == "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive":
        candidates = [(f"policyArns[{i}]", a) for i, a in enumerate(_list(resource.props.get("policyArns")))]
    else:
        candidates = [("policyArn", resource.props.get("policyArn"))]
    for where, arn in candidates:
        if isinstance(arn, str) and _ADMIN_POLICY.match(arn):
            yield (
                f"{resource.label}: {where} attaches {arn}, AWS's administrator/power-user policy; "
                "write a policy scoped to what this role manages instead"
            )


def _principal_values(principal: Any) -> list[tuple[str, str]]:
    if isinstance(principal, str):
        return [("*", principal)]
    if isinstance(principal, Mapping):
        return [(str(kind), str(v)) for kind, values in principal.items() for v in _list(values)]
    return []


def check_trust_not_open(resource: Resource) -> Iterator[str]:
    try:
        statements = parse_document(resource.props.get("assumeRolePolicy"), "assumeRolePolicy")
    except UnreadableDocument:
        return
    for s in statements or []:
        if s.effect.lower() != "allow":
            continue
        principals = _principal_values(s.principal)
        if any(value == "*" for _, value in principals):
            yield (
                f"{resource.label}: {s.where} trusts Principal *, so any AWS account can assume the role; "
                "name the account, role or service that may assume it"
            )
        github = [v for kind, v in principals if kind == "Federated" and _GITHUB_OIDC in v]
        if github:
            keys = {str(k).lower() for operator in s.condition.values() if isinstance(operator, Mapping) for k in operator}
            if f"{_GITHUB_OIDC}:sub" not in keys:
                yield (
                    f"{resource.label}: {s.where} trusts GitHub's OIDC provider without a "
                    f"{_GITHUB_OIDC}:sub condition, so a workflow in any repository can assume it; add "
                    '"StringLike": {"token.actions.githubusercontent.com:sub": "repo:<owner>/<repo>:..."}'
                )


# --- hosts ---------------------------------------------------------------------------------------

LAUNCH_TYPES = frozenset({"aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/instance:Instance"})


def check_launch_template(resource: Resource) -> Iterator[str]:
    props = resource.props
    metadata = props.get("metadataOptions")
    tokens = metadata.get("httpTokens") if isinstance(metadata, Mapping) else None
    if not is_unknown(tokens) and tokens != "required":
        yield (
            f"{resource.label}: metadataOptions.httpTokens is {json.dumps(tokens)}, so IMDSv1 stays open; "
            'set metadataOptions = {"httpTokens": "required", "httpPutResponseHopLimit": 2}'
        )
    if resource.type == "aws:ec2/instance:Instance":
        volumes = [("rootBlockDevice", props.get("rootBlockDevice") or {})]
        volumes += [(f"ebsBlockDevices[{i}]", v) for i, v in enumerate(_list(props.get("ebsBlockDevices")))]
        for where, volume in volumes:
            if isinstance(volume, Mapping) and not is_unknown(volume.get("encrypted")) and not _truthy(volume.get("encrypted")):
                yield f"{resource.label}: {where}.encrypted is not true; set encrypted = true"
        return
    mappings = props.get("blockDeviceMappings")
    if is_unknown(mappings):
        return
    if not _list(mappings):
        yield (
            f"{resource.label}: has no blockDeviceMappings, so volume encryption is left to the AMI and the "
            'account default; map the root volume with ebs = {"encrypted": "true"}'
        )
    for index, mapping in enumerate(_list(mappings)):
        ebs = mapping.get("ebs") if isinstance(mapping, Mapping) else None
        if isinstance(ebs, Mapping) and not is_unknown(ebs.get("encrypted")) and not _truthy(ebs.get("encrypted")):
            device = mapping.get("deviceName", "?")
            yield (
                f"{resource.label}: blockDeviceMappings[{index}] ({device}) ebs.encrypted is "
                f'{json.dumps(ebs.get("encrypted"))}; set ebs.encrypted = "true"'
            )


WORLD = ("0.0.0.0/0", "::/0")
PUBLIC_PORTS = (80, 443)
INGRESS_TYPES = frozenset(
    {
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:ec2/securityGroupRule:SecurityGroupRule",
    }
)


@dataclass(frozen=True)
class IngressRule:
    where: str
    protocol: str
    from_port: Any
    to_port: Any
    cidrs: tuple[str, ...]


def ingress_rules(resource: Resource) -> Iterator[IngressRule]:
    props = resource.props
    if resource.type == "aws:ec2/securityGroup:SecurityGroup":
        for index, rule in enumerate(_list(props.get("ingress"))):
            if isinstance(rule, Mapping):
                cidrs = tuple(str(c) for c in _list(rule.get("cidrBlocks")) + _list(rule.get("ipv6CidrBlocks")))
                yield IngressRule(f"ingress[{index}]", str(rule.get("protocol", "")), rule.get("fromPort"), rule.get("toPort"), cidrs)
    elif resource.type == "aws:ec2/securityGroupRule:SecurityGroupRule":
        if props.get("type") == "ingress":
            cidrs = tuple(str(c) for c in _list(props.get("cidrBlocks")) + _list(props.get("ipv6CidrBlocks")))
            yield IngressRule("rule", str(props.get("protocol", "")), props.get("fromPort"), props.get("toPort"), cidrs)
    else:
        cidrs = tuple(str(c) for c in (props.get("cidrIpv4"), props.get("cidrIpv6")) if c)
        yield IngressRule("rule", str(props.get("ipProtocol", "")), props.get("fromPort"), props.get("toPort"), cidrs)


def _port_range(rule: IngressRule) -> tuple[int, int] | None:
    """The ports a rule opens; None when they are not known yet."""
    if rule.protocol.lower() in ("-1", "all"):
        return (0, 65535)
    if is_unknown(rule.from_port) or is_unknown(rule.to_port):
        return None
    # Over gRPC the engine sends every number as a float.
    low = int(rule.from_port) if _is_number(rule.from_port) else 0
    high = int(rule.to_port) if _is_number(rule.to_port) else 65535
    return (low, high)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _opens_tcp(rule: IngressRule) -> bool:
    return rule.protocol.lower() in ("-1", "all", "tcp", "6")


def check_ingress(resource: Resource) -> Iterator[str]:
    for rule in ingress_rules(resource):
        ports = _port_range(rule)
        if ports is None:
            continue
        shown = "all ports" if ports == (0, 65535) else f"port {ports[0]}" if ports[0] == ports[1] else f"ports {ports[0]}-{ports[1]}"
        if _opens_tcp(rule) and ports[0] <= 22 <= ports[1]:
            yield (
                f"{resource.label}: {rule.where} opens {shown} ({rule.protocol}), which includes SSH (22); "
                "remove it and reach hosts through SSM Session Manager"
            )
            continue
        world = [c for c in rule.cidrs if c in WORLD]
        if world and not (ports[0] == ports[1] and ports[0] in PUBLIC_PORTS and rule.protocol.lower() in ("tcp", "6")):
            yield (
                f"{resource.label}: {rule.where} opens {shown} ({rule.protocol}) to {_describe(world)}; only "
                "tcp 80 and 443 may be open to the internet: narrow the CIDR or reference the load balancer's security group"
            )


# --- data ------------------------------------------------------------------------------------------


def check_ecr_repository(resource: Resource) -> Iterator[str]:
    scanning = resource.props.get("imageScanningConfiguration")
    scan = scanning.get("scanOnPush") if isinstance(scanning, Mapping) else None
    if not is_unknown(scan) and scan is not True:
        yield f'{resource.label}: does not scan on push; set imageScanningConfiguration = {{"scanOnPush": true}}'
    mutability = resource.props.get("imageTagMutability", "MUTABLE")
    if not is_unknown(mutability) and mutability != "IMMUTABLE":
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
        return all(_truthy(block.props.get(f)) or is_unknown(block.props.get(f)) for f in _PUBLIC_BLOCK_FLAGS)

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
            missing = [f for f in _PUBLIC_BLOCK_FLAGS if not any(_truthy(b.props.get(f)) for b in own)]
            yield bucket.urn, f"{bucket.label}: its public access block leaves {_describe(missing)} off; set them true"


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
        if wanted is True and _truthy(value):
            return
        if wanted is False and not _truthy(value):
            return
        fix = f"set {key} = " + ("a snapshot name" if wanted == "set" else json.dumps(wanted))
    else:
        fix = "set protect=True in its resource options"
    yield (
        f"{resource.label}: holds data in stack {resource.stack} but neither {fix.removeprefix('set ')} "
        f"nor protect=True keeps it from being deleted; {fix} (or protect=True)"
    )


# --- secrets in plaintext ----------------------------------------------------------------------------

_SECRET_SHAPES = (
    ("an AWS access key id", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a private key", re.compile(r"-----BEGIN ([A-Z]+ )*PRIVATE KEY-----")),
    ("a GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b")),
    ("a Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
)
_SECRET_NAME = re.compile(r"(SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIALS?)", re.IGNORECASE)
# Names that hold where a secret lives, not the secret.
_REFERENCE_NAME = re.compile(r"(_FILE|_PATH|_ARN|_NAME|_PARAMETER|_PARAM|_ID|_URL|_KEYS)$", re.IGNORECASE)
_ASSIGNMENT = re.compile(
    r"""(?P<q>["']?)(?P<key>[A-Za-z_][A-Za-z0-9_]*)(?P=q)[ \t]*[=:][ \t]*(?P<vq>["']?)(?P<value>[^\s"',;}]*)"""
)


def _literal_secret(key: str, value: Any) -> bool:
    """Whether `key = value` puts a secret value in plain sight (not a reference, not a placeholder)."""
    if not isinstance(value, str) or value == SECRET or is_unknown(value):
        return False
    if not _SECRET_NAME.search(key) or _REFERENCE_NAME.search(key):
        return False
    if len(value) < 8 or value.startswith(("$", "/", "arn:", "<", "{{", "%", "ssm:", "[")):
        return False
    return value.lower() not in ("true", "false", "null", "none", "required", "optional")


def secret_findings(text: str) -> list[str]:
    """What in `text` looks like a secret, described without echoing it."""
    found = [what for what, shape in _SECRET_SHAPES if shape.search(text)]
    for match in _ASSIGNMENT.finditer(text):
        if _literal_secret(match.group("key"), match.group("value")):
            found.append(f"a literal value for {match.group('key')}")
    return list(dict.fromkeys(found))


def _decoded(text: str) -> str:
    """User data for launch templates is base64 (gzipped when large); look inside it as well."""
    compact = text.strip()
    if len(compact) >= 16 and re.fullmatch(r"[A-Za-z0-9+/=\s]+", compact):
        try:
            raw = base64.b64decode(compact, validate=False)
            if raw[:2] == b"\x1f\x8b":  # gzip: what the fleet sends once user data exceeds 16 KB
                raw = gzip.decompress(raw)
            return raw.decode("utf-8", errors="replace")
        except (binascii.Error, ValueError, OSError, EOFError):
            return text
    return text


def _env_maps(resource: Resource) -> Iterator[tuple[str, Mapping[str, Any]]]:
    props = resource.props
    if resource.type == "aws:lambda/function:Function":
        env = props.get("environment")
        if isinstance(env, Mapping) and isinstance(env.get("variables"), Mapping):
            yield "environment.variables", env["variables"]
    elif resource.type == "aws:ecs/taskDefinition:TaskDefinition":
        definitions = props.get("containerDefinitions")
        if isinstance(definitions, str) and not is_unknown(definitions):
            try:
                definitions = json.loads(definitions)
            except json.JSONDecodeError:
                definitions = []
        for index, container in enumerate(_list(definitions)):
            if isinstance(container, Mapping):
                pairs = {e.get("name"): e.get("value") for e in _list(container.get("environment")) if isinstance(e, Mapping)}
                yield f"containerDefinitions[{index}].environment", pairs
    elif resource.type == "docker:index/container:Container":
        pairs = dict(str(e).split("=", 1) for e in _list(props.get("envs")) if isinstance(e, str) and "=" in e)
        yield "envs", pairs
    for key in ("environment", "env", "environmentVariables"):
        if isinstance(props.get(key), Mapping) and resource.type not in ("aws:lambda/function:Function",):
            yield key, props[key]


def check_no_plaintext_secrets(resource: Resource) -> Iterator[str]:
    texts = []
    for key in ("userData", "userDataBase64"):
        value = resource.props.get(key)
        if isinstance(value, str) and value != SECRET and not is_unknown(value):
            texts.append((key, _decoded(value)))
    for where, text in texts:
        for finding in secret_findings(text):
            yield (
                f"{resource.label}: {where} contains {finding}; user data is readable by anyone who can describe "
                "the instance: put the value in showrunner:secrets (SSM SecureString) and read it on the host"
            )
    for where, env in _env_maps(resource):
        for name, value in env.items():
            shaped = [what for what, shape in _SECRET_SHAPES if isinstance(value, str) and shape.search(value)]
            if shaped or _literal_secret(str(name), value):
                what = shaped[0] if shaped else "a literal secret"
                yield (
                    f"{resource.label}: {where}.{name} holds {what} in plaintext; move it to showrunner:secrets "
                    "(pulumi config set --secret) and pass it by reference"
                )


# --- tags --------------------------------------------------------------------------------------------

REQUIRED_TAGS = ("Environment", "Service", "ManagedBy")
# Resources AWS lets us tag but whose pulumi-aws inputs may leave `tags` out entirely.
TAGGABLE_TYPES = frozenset(
    {
        "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/securityGroup:SecurityGroup",
        "aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/instance:Instance", "aws:ec2/natGateway:NatGateway",
        "aws:ec2/internetGateway:InternetGateway", "aws:ec2/eip:Eip", "aws:ec2/routeTable:RouteTable",
        "aws:lb/loadBalancer:LoadBalancer", "aws:lb/targetGroup:TargetGroup", "aws:lb/listener:Listener",
        "aws:ecr/repository:Repository", "aws:kms/key:Key", "aws:ssm/parameter:Parameter",
        "aws:iam/role:Role", "aws:iam/policy:Policy", "aws:iam/instanceProfile:InstanceProfile",
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2",
        "aws:autoscaling/group:Group", "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/logGroup:LogGroup",
        "aws:imagebuilder/imagePipeline:ImagePipeline", "aws:imagebuilder/imageRecipe:ImageRecipe",
        "aws:imagebuilder/component:Component", "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration",
        "aws:imagebuilder/distributionConfiguration:DistributionConfiguration",
        "aws:rds/instance:Instance", "aws:dynamodb/table:Table", "aws:sqs/queue:Queue",
    }
)


def _tag_keys(resource: Resource) -> set[str] | None:
    tags = resource.props.get("tags")
    if is_unknown(tags):
        return None
    if resource.type == "aws:autoscaling/group:Group":
        return {str(t.get("key")) for t in _list(tags) if isinstance(t, Mapping)}
    return {str(k) for k in tags} if isinstance(tags, Mapping) else set()


def check_tags(resource: Resource) -> Iterator[str]:
    if not resource.type.startswith("aws:") or resource.type.startswith("pulumi:providers"):
        return
    if resource.type not in TAGGABLE_TYPES and "tags" not in resource.props:
        return
    keys = _tag_keys(resource)
    if keys is None:
        return
    missing = [t for t in REQUIRED_TAGS if t not in keys]
    if missing:
        yield (
            f"{resource.label}: lacks the tag{'s' if len(missing) > 1 else ''} {_describe(missing)}; "
            "pass tags=merge_tags(stack tags, Service=...) from components.tagging"
        )


# --- the rule set ------------------------------------------------------------------------------------

RULES: tuple[Rule, ...] = (
    Rule("iam-policy-readable", "IAM policy documents are JSON objects with a Statement", check_document_readable,
         types=IDENTITY_POLICY_TYPES),
    Rule("iam-no-wildcard-admin", "No Allow of * or service:* actions on Resource *", check_no_full_wildcard,
         types=IDENTITY_POLICY_TYPES),
    Rule("iam-destructive-ec2-tag-scoped",
         "Destructive EC2 actions only under an aws:ResourceTag/ or ec2:ResourceTag/ condition (2015's Packer rule)",
         check_destructive_ec2_tagged, types=IDENTITY_POLICY_TYPES),
    Rule("iam-passrole-named", "iam:PassRole only on named role ARNs", check_pass_role_named, types=IDENTITY_POLICY_TYPES),
    Rule("iam-no-not-action", "No Allow with NotAction or NotResource", check_no_not_action, types=IDENTITY_POLICY_TYPES),
    Rule("iam-secret-reads-scoped", "ssm:GetParameter*, secretsmanager:GetSecretValue and kms:Decrypt never on *",
         check_secret_reads_scoped, types=IDENTITY_POLICY_TYPES),
    Rule("iam-no-admin-policy", "No attachment of AWS's administrator or power-user managed policies",
         check_no_admin_attachment, types=ATTACHMENT_TYPES),
    Rule("iam-trust-not-open", "No trust policy open to a * principal (or to every GitHub repository)",
         check_trust_not_open, types=frozenset({"aws:iam/role:Role"})),
    Rule("hosts-launch-template-hardened", "Launch templates and instances require IMDSv2 and encrypted volumes",
         check_launch_template, types=LAUNCH_TYPES),
    Rule("hosts-no-open-ingress", "No ingress from 0.0.0.0/0 or ::/0 except tcp 80/443, and no SSH ingress at all",
         check_ingress, types=INGRESS_TYPES),
    Rule("data-ecr-scan-immutable", "ECR repositories scan on push and have immutable tags", check_ecr_repository,
         types=frozenset({"aws:ecr/repository:Repository"})),
    Rule("data-s3-block-public", "S3 buckets block public access", check_buckets_block_public, stack=True),
    Rule("data-prod-retained", "Stateful resources keep deletion protection or retention in prod",
         check_stateful_retained, types=frozenset(STATEFUL)),
    Rule("secrets-no-plaintext", "No secret-looking plaintext in user data, launch templates or environment maps",
         check_no_plaintext_secrets),
    Rule("tags-required", "Environment, Service and ManagedBy tags on taggable resources", check_tags,
         enforcement=ADVISORY),
)


def evaluate(resources: Sequence[Resource], rules: Sequence[Rule] = RULES) -> list[Violation]:
    """Every violation of `rules` in `resources`, in resource order, then rule order."""
    by_urn: dict[str, list[Violation]] = {r.urn: [] for r in resources}
    for rule in rules:
        if rule.stack:
            for urn, message in rule.check(resources):
                by_urn.setdefault(urn, []).append(Violation(rule.name, urn, message, rule.enforcement))
            continue
        for resource in resources:
            if rule.types is None or resource.type in rule.types:
                for message in rule.check(resource):
                    by_urn[resource.urn].append(Violation(rule.name, resource.urn, message, rule.enforcement))
    return [v for urn in by_urn for v in by_urn[urn]]


# --- the CrossGuard front end --------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """CrossGuard's proxies → plain data, unknown sentinels kept as strings for `is_unknown`."""
    if isinstance(value, Mapping):
        target = value["__target"] if type(value).__name__.startswith("_Dict") else value
        return {k: _plain(target[k]) for k in target}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        target = value["__target"] if type(value).__name__.startswith("_List") else value
        return [_plain(v) for v in target]
    return value


def _from_policy_resource(resource: Any) -> Resource:
    opts = getattr(resource, "opts", None)
    return Resource(
        type=resource.resource_type,
        urn=resource.urn,
        name=resource.name,
        props=_plain(resource.props),
        protect=bool(getattr(opts, "protect", False)),
        dependencies=tuple(d.urn for d in getattr(resource, "dependencies", []) or []),
    )


def pack_policies() -> list:
    """The rules as CrossGuard policies (imports pulumi_policy only when asked)."""
    from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy

    levels = {MANDATORY: EnforcementLevel.MANDATORY, ADVISORY: EnforcementLevel.ADVISORY}
    policies = []
    for rule in RULES:
        if rule.stack:
            def validate_stack(args, report_violation, rule=rule):
                for urn, message in rule.check([_from_policy_resource(r) for r in args.resources]):
                    report_violation(message, urn)

            policies.append(StackValidationPolicy(
                name=rule.name, description=rule.description, validate=validate_stack,
                enforcement_level=levels[rule.enforcement]))
        else:
            def validate(args, report_violation, rule=rule):
                if rule.types is not None and args.resource_type not in rule.types:
                    return
                for message in rule.check(_from_policy_resource(args)):
                    report_violation(message, None)

            policies.append(ResourceValidationPolicy(
                name=rule.name, description=rule.description, validate=validate,
                enforcement_level=levels[rule.enforcement]))
    return policies
