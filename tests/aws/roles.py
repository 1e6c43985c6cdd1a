"""docs/roles.md, "What each role may do, and why": written from the requests the AWS tier
simulates (the same data as the check), so the page cannot say what the check does not prove.

`python -m tests.aws.roles` prints it; `--write` writes docs/roles.md; the tier fails while the
committed page differs from what it would write.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict

from tests.aws import check, reference, requests
from tests.aws.stacks import Stack

DOC = reference.ROOT / "docs" / "roles.md"
STACK = "prod"
"""The page describes prod; staging's roles differ only in the stack name and in who may assume the preview role."""


def _scope(resource: str, stack: Stack) -> str:
    """An ARN as a reader wants it: its resource type, with the stack's names and ids folded."""
    if resource == "*":
        return "`*` (no resource-level permissions)"
    match = re.match(r"arn:aws:([a-z0-9-]+):[^:]*:[^:]*:(.*)$", resource)
    if not match:
        return f"`{resource}`"
    service, rest = match.groups()
    kind = re.split(r"[/:]", rest, maxsplit=1)[0] or rest
    return f"{service} {kind}"


def _why(request: requests.Request) -> str:
    why = request.why
    match = re.search(r"^(\w+) \S+ \S+ \((\S+) \w+ handler\)$", why)
    if match:
        return f"{match.group(1)} {match.group(2)}"
    return re.sub(r"\b(Image|Parameter|Key) \S+", r"\1", why)


def _actions(actions: list[str]) -> str:
    verbs = defaultdict(list)
    for action in actions:
        verb = re.match(r"[A-Z][a-z]+", action.split(":")[1])
        verbs[verb.group(0) if verb else action].append(action)
    parts = []
    for verb, members in verbs.items():
        if len(members) >= 4:
            parts.append(f"`{members[0].split(':')[0]}:{verb}*` ({len(members)} actions)")
        else:
            parts += [f"`{m}`" for m in members]
    return ", ".join(parts)


def role_section(title: str, role: requests.Role | None, wanted: list[requests.Request], denied: list[tuple[str, requests.Request]], stack: Stack) -> list[str]:
    lines = [f"## {title}", ""]
    if role is not None:
        subjects = role.github_subjects()
        if subjects:
            lines.append("Assumed by GitHub Actions jobs whose token's `sub` is " + ", ".join(f"`{s}`" for s in subjects) + ".")
            if role.kind == "preview" and not role.assumable_by(f"repo:{check.repository(STACK)}:pull_request"):
                lines.append("No pull request can assume it: this stack's pull requests get the offline preview (README.md, "
                             "\"Pull requests and deploys\"); staging's preview role also trusts `…:pull_request`.")
        services = sorted(role.trusted_services())
        if services:
            lines.append("Assumed by " + ", ".join(f"`{s}`" for s in services) + ".")
        if role.boundary_arn:
            lines.append(f"Permissions boundary: `{role.boundary_arn.rsplit(':', 1)[-1]}`.")
        lines.append("")
    whys_of: dict[tuple[str, str], set[str]] = defaultdict(set)
    for request in wanted:
        whys_of[(request.action, _scope(request.resource, stack))].add(_why(request))
    # Actions on the same scope for the same reasons share a row; many of one verb read as `svc:Verb*`.
    rows: dict[tuple[str, str, tuple[str, ...]], list[str]] = defaultdict(list)
    for (action, scope), whys in whys_of.items():
        rows[(action.split(":")[0], scope, tuple(sorted(whys)))].append(action)
    lines += ["| may | on | because it must |", "|---|---|---|"]
    for (service, scope, whys), actions in sorted(rows.items(), key=lambda item: (sorted(item[1])[0], item[0][1])):
        lines.append(f"| {_actions(sorted(actions))} | {scope} | {'; '.join(whys[:4])}{' …' if len(whys) > 4 else ''} |")
    if denied:
        lines += ["", "Must not (each simulated, and denied):", ""]
        by_rule: dict[str, list[requests.Request]] = defaultdict(list)
        for rule, request in denied:
            by_rule[rule].append(request)
        for rule, items in sorted(by_rule.items()):
            actions = sorted({r.action for r in items})
            lines.append(f"- {rule}: {len(items)} requests, e.g. {items[0].why} (`{'`, `'.join(actions[:6])}`{' …' if len(actions) > 6 else ''})")
    lines.append("")
    return lines


def render() -> str:
    stack = check.stack(STACK)
    all_roles = requests.roles(stack)
    wanted = requests.all_requests(stack)
    other = check.stack(requests.OTHER_STACK[STACK])
    provider = check.provider_keys()
    denials = (requests.deploy_denials(stack, other, provider)
               + requests.pull_request_denials(stack, stack, provider, check.repository(STACK))
               + requests.fleet_denials(stack))
    by_principal: dict[str, list[tuple[str, requests.Request]]] = defaultdict(list)
    for denial in denials:
        by_principal[denial.request.principal].append((denial.rule, denial.request))
    lines = [
        "# What each role may do, and why",
        "",
        "Written by `python -m tests.aws.roles --write` from the requests the AWS tier (`make test-aws`) simulates",
        f"against each role's rendered policies in stack `{STACK}`: every row below is a request the tier requires to be",
        "allowed, every \"must not\" a request it requires to be denied. Why a request is needed comes from AWS's data:",
        "the CloudFormation handler permissions of each resource type (\"create AWS::EC2::Subnet\"), the calls the",
        "program makes during a preview, and the calls the hosts' rendered user data makes.",
        "",
    ]
    deploy = requests.role_of_kind(stack, "deploy")
    preview = requests.role_of_kind(stack, "preview")
    if deploy is not None:
        lines += role_section(f"Deploy role ({deploy.name})", deploy, wanted["deploy"], by_principal[deploy.name], stack)
    if preview is not None:
        lines += role_section(f"Preview role ({preview.name})", preview, wanted["preview"], by_principal[preview.name], stack)
    for calls in sorted(requests.host_requests(stack), key=lambda c: c.fleet):
        lines += role_section(f"Fleet {calls.fleet} hosts ({calls.role})", all_roles.get(calls.role), calls.requests, by_principal[calls.role], stack)
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--write" in argv:
        DOC.parent.mkdir(exist_ok=True)
        DOC.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
