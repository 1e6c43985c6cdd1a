"""The AWS tier's findings, per stack and kind: what the tests assert empty and what
`python -m tests.aws.check` prints (Markdown, one line per finding).

Kinds: types (the mapping knows every type), arns (the offline engine's ARNs are AWS's),
inputs (botocore's models and the API reference's prose), sufficient (every request a role must
make is allowed), least-privilege (every request on the deny list is denied).
"""

from __future__ import annotations

import functools
import sys
from collections import defaultdict

from tests.aws import inputs, reference, requests, simulator, stacks
from tests.aws.stacks import STACKS, Stack


@functools.cache
def stack(name: str) -> Stack:
    return stacks.render(name)


def type_findings(name: str) -> list[str]:
    found = stacks.unknown_types(stack(name))
    for type_token, spec in reference.type_table().items():
        cfn = spec.get("cloudformation")
        if cfn and reference.cloudformation_schema(cfn) is None:
            found.append(f"{type_token}: {cfn} is not a CloudFormation registry type in cfn-lint's schemas; fix resource-types.json")
        if spec.get("iam") and reference.resource_type(spec["iam"]) is None:
            found.append(f"{type_token}: {spec['iam']} is not a resource type of the Service Authorization Reference; fix resource-types.json")
    return found


def arn_findings(name: str) -> list[str]:
    """Every ARN the offline engine reports is in AWS's format, with the names AWS would put in it."""
    s = stack(name)
    found = []
    for resource in s.resources:
        spec = resource.spec
        if not spec.get("arn_output"):
            continue
        mocked = resource.outputs.get("arn")
        fmt = reference.resource_type(spec["iam"])["arn"]
        match = reference.arn_regex(fmt, stacks.PARTITION, s.region, s.account).fullmatch(str(mocked))
        if match is None:
            found.append(f"{resource.label}: the offline engine's ARN {mocked} is not of AWS's format {fmt} ({spec['iam']}); fix showrunner/mocks.py")
            continue
        for variable, expected in stacks.arn_values(resource).items():
            if match.group(variable) != expected:
                found.append(f"{resource.label}: the offline engine's ARN {mocked} has {variable} {match.group(variable)!r}, AWS would write {expected!r}; fix showrunner/mocks.py")
    return found


def input_findings(name: str) -> list[str]:
    return inputs.problems(stack(name))


@functools.cache
def _decisions(name: str) -> dict[str, list[simulator.Decision]]:
    s = stack(name)
    wanted = requests.all_requests(s)
    flat = [r for batch in wanted.values() for r in batch]
    other = stack(requests.OTHER_STACK[name])
    provider = provider_keys()
    denials = requests.deploy_denials(s, other, provider)
    denials += requests.pull_request_denials(s, stack("prod"), provider, repository(name))
    denials += requests.fleet_denials(s)
    decided = simulator.simulate(requests.principals_json(s), flat + [d.request for d in denials], s.account)
    allow = decided[: len(flat)]
    deny = decided[len(flat):]
    out: dict[str, list[simulator.Decision]] = {"allow": allow, "deny": deny}
    _decisions_rules[name] = [d.rule for d in denials]
    return out


_decisions_rules: dict[str, list[str]] = {}


@functools.cache
def provider_keys() -> dict[str, str | None]:
    from showrunner.engine import load_stack

    out = {}
    for name in STACKS:
        settings = load_stack(stacks.PROJECT_DIR, name)[3]
        out[name] = settings.delivery.secrets_provider_key_arn if settings.delivery else None
    return out


@functools.cache
def repository(name: str) -> str:
    from showrunner.engine import load_stack

    settings = load_stack(stacks.PROJECT_DIR, name)[3]
    return settings.delivery.github_repository if settings.delivery else "owner/name"


def _group(decisions: list[simulator.Decision], verb: str) -> list[str]:
    """One finding per (role, action, outcome): the resources and reasons under it."""
    grouped: dict[tuple, list[simulator.Decision]] = defaultdict(list)
    for d in decisions:
        grouped[(d.request.principal, d.request.action, d.decision, d.error)].append(d)
    out = []
    for (principal, action, decision, error), items in grouped.items():
        whys = sorted({d.request.why for d in items})
        first = items[0].request
        detail = f"{error}: " if error else ""
        out.append(
            f"{principal} {verb} {action} ({decision}{', ' + error if error else ''}) on {len(items)} request(s), e.g. "
            f"{first.describe()}; needed to {'; '.join(whys[:3])}{' …' if len(whys) > 3 else ''}"
        )
    return sorted(out)


def sufficiency_findings(name: str) -> list[str]:
    return _group([d for d in _decisions(name)["allow"] if not d.allowed], "is not allowed")


def least_privilege_findings(name: str) -> list[str]:
    rules = _decisions_rules[name] if name in _decisions_rules else (_decisions(name), _decisions_rules[name])[1]
    decisions = _decisions(name)["deny"]
    out = []
    bad = [(d, rule) for d, rule in zip(decisions, rules) if d.allowed or d.decision == "Error"]
    grouped: dict[tuple, list] = defaultdict(list)
    for d, rule in bad:
        grouped[(rule, d.request.principal, d.request.action, d.decision)].append(d)
    for (rule, principal, action, decision), items in sorted(grouped.items()):
        first = items[0]
        out.append(f"[{rule}] {principal} may {action} ({decision}{', ' + first.error if first.error else ''}) on {len(items)} request(s), "
                   f"e.g. {first.request.describe()}: {first.request.why}")
    s = stack(name)
    for role in requests.roles(s).values():
        if role.kind == "service" and not role.boundary_arn:
            out.append(f"[no role without the boundary] role {role.name} has no permissions boundary; the deploy role creates it, "
                       "so it must carry the stack's boundary")
    return out


KINDS = {
    "types": type_findings,
    "arns": arn_findings,
    "inputs": input_findings,
    "sufficient": sufficiency_findings,
    "least-privilege": least_privilege_findings,
}


def main() -> int:
    total = 0
    lines = ["# AWS tier findings", ""]
    for name in STACKS:
        for kind, finder in KINDS.items():
            found = finder(name)
            total += len(found)
            lines.append(f"## {name}: {kind} ({len(found)})")
            lines.append("")
            lines += [f"- {f}" for f in found] or ["- none"]
            lines.append("")
    sys.stdout.write("\n".join(lines))
    return 1 if total else 0


if __name__ == "__main__":
    raise SystemExit(main())
