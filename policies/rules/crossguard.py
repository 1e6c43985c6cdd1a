"""The CrossGuard adapter: the rules as pulumi_policy policies, fed plain data (pulumi_policy is imported only when asked)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .catalog import RULES
from .model import ADVISORY, MANDATORY, Resource

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
