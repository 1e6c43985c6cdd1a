"""IAM: policy documents read as statements, IAM's wildcard matching, and the least-privilege rules."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .model import Resource, as_list, describe, is_secret, is_unknown

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


@functools.lru_cache(maxsize=4096)
def _action_regex(pattern: str) -> re.Pattern:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.IGNORECASE)


def action_matches(pattern: str, action: str) -> bool:
    """IAM's matching: case-insensitive, `*` any run of characters, `?` exactly one."""
    if "?" not in pattern:
        # Most patterns are a plain action or a prefix with one trailing `*`: no regex to compile.
        stars = pattern.count("*")
        if stars == 0:
            return pattern.lower() == action.lower()
        if stars == 1 and pattern.endswith("*"):
            return action.lower().startswith(pattern[:-1].lower())
    return _action_regex(pattern).fullmatch(action) is not None


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


_RESOURCE_TYPE_PREFIX = re.compile(r"^[A-Za-z0-9-]+[/:]")


def is_broad_resource(resource: str) -> bool:
    """A Resource that names no particular resource: `*`, `arn:*`, or an ARN whose resource part is
    only wildcards once its type is stripped (`parameter/*`, `secret:*`, `role/*`, `key/*`, `s3:::*`),
    whatever its region and account say. `parameter/showrunner/prod/*` names a path: not broad."""
    if _is_any_resource(resource):
        return True
    if not resource.startswith("arn:"):
        return False
    parts = resource.split(":", 5)
    if len(parts) < 6:
        return all(c == "*" for c in ":".join(parts[1:]).replace(":", ""))
    # S3's resource part is the bucket itself, with no type before it.
    typed = parts[2] != "s3" and parts[5] not in ("*", "")
    rest = _RESOURCE_TYPE_PREFIX.sub("", parts[5], count=1) if typed else parts[5]
    return rest.strip("*/:") == ""


# Actions that let a principal give itself (or a principal it controls) more permissions, when they
# may act on any role, user, group or policy. Source: Rhino Security Labs, "AWS IAM Privilege
# Escalation – Methods and Mitigation", and the IAM User Guide on permissions boundaries.
ESCALATION_ACTIONS = (
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:AttachRolePolicy",
    "iam:AttachUserPolicy",
    "iam:AttachGroupPolicy",
    "iam:PutRolePolicy",
    "iam:PutUserPolicy",
    "iam:PutGroupPolicy",
    "iam:CreateRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:AddUserToGroup",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteUserPermissionsBoundary",
    "sts:AssumeRole",
)
# A role-changing grant is safe on any role when the role must carry a given permissions boundary
# (the IAM User Guide's pattern for delegating role creation).
BOUNDED_ACTIONS = frozenset(a.lower() for a in (
    "iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:UpdateAssumeRolePolicy",
))


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
    for index, raw in enumerate(as_list(raw_statements)):
        if is_unknown(raw):
            return None
        if not isinstance(raw, Mapping):
            raise UnreadableDocument(f"{where} Statement[{index}] is not an object")
        values = [raw.get(k) for k in ("Effect", "Action", "NotAction", "Resource", "NotResource")]
        if any(is_unknown(v) or any(is_unknown(x) for x in as_list(v)) for v in values):
            return None
        sid = raw.get("Sid")
        label = f'{where} Statement[{index}]' + (f' (Sid "{sid}")' if isinstance(sid, str) and sid else "")
        statements.append(
            Statement(
                where=label,
                effect=str(raw.get("Effect", "")),
                actions=[str(a) for a in as_list(raw.get("Action"))],
                not_actions=[str(a) for a in as_list(raw.get("NotAction"))],
                resources=[str(r) for r in as_list(raw.get("Resource"))],
                not_resources=[str(r) for r in as_list(raw.get("NotResource"))],
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
        for index, inline in enumerate(as_list(resource.props.get("inlinePolicies"))):
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
        anywhere = [r for r in s.resources if is_broad_resource(r)]
        if broad and anywhere:
            yield (
                f"{resource.label}: {s.where} allows {describe(broad)} on Resource {anywhere[0]}; "
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
                f"{resource.label}: {s.where} allows {describe(matched)} (destructive: {describe(covered)}) "
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
                f"{resource.label}: {s.where} allows iam:PassRole (through {describe(matched)}) on "
                f"{describe(unnamed) or 'no Resource'}; pass only named roles: list each role ARN "
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


def _condition_keys(statement: Statement) -> set[str]:
    return {str(k).lower() for operator in statement.condition.values() if isinstance(operator, Mapping) for k in operator}


def check_no_escalation_on_broad(resource: Resource) -> Iterator[str]:
    for s in identity_statements(resource):
        broad = [r for r in s.resources if is_broad_resource(r)]
        if not broad:
            continue
        bounded = "iam:permissionsboundary" in _condition_keys(s)
        covered = [a for a in ESCALATION_ACTIONS if any(action_matches(p, a) for p in s.actions)]
        escalating = [a for a in covered if not (bounded and a.lower() in BOUNDED_ACTIONS)]
        if escalating:
            yield (
                f"{resource.label}: {s.where} allows {describe(escalating)} on Resource {broad[0]}, which lets the "
                "principal grant itself more (a role that trusts it with a * policy); name the roles or policies, or "
                'require the stack\'s boundary: "Condition": {"StringEquals": {"iam:PermissionsBoundary": "<boundary policy ARN>"}}'
            )


def check_secret_reads_scoped(resource: Resource) -> Iterator[str]:
    for s in identity_statements(resource):
        matched = _patterns_matching(s.actions, SECRET_READING_ACTIONS)
        anywhere = [r for r in s.resources if is_broad_resource(r)]
        if matched and anywhere:
            yield (
                f"{resource.label}: {s.where} allows {describe(matched)} on Resource {anywhere[0]}, "
                "which reads every secret in the account; scope it to the parameter path, secret or key ARNs "
                "(e.g. arn:aws:ssm:<region>:<account>:parameter/showrunner/<stack>/*)"
            )


def check_no_admin_attachment(resource: Resource) -> Iterator[str]:
    if resource.type == "aws:iam/role:Role":
        candidates = [(f"managedPolicyArns[{i}]", a) for i, a in enumerate(as_list(resource.props.get("managedPolicyArns")))]
    elif resource.type == "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive":
        candidates = [(f"policyArns[{i}]", a) for i, a in enumerate(as_list(resource.props.get("policyArns")))]
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
        return [(str(kind), str(v)) for kind, values in principal.items() for v in as_list(values)]
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
