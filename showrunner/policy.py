"""`showrunner policy`: the CrossGuard pack's rules, run offline over a JSON document.

It reads three shapes and runs the same rules (the `policies/rules/` package) the pack runs:

- `pulumi preview --json` and the offline preview's JSON: `steps[].newState` (deleted resources
  are not checked: they are going away);
- `pulumi stack export`: `deployment.resources[]` (its secrets are objects carrying Pulumi's
  secret signature, and are treated like `[secret]`).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

RULES_PACKAGE = Path(__file__).resolve().parent.parent / "policies" / "rules"
_MODULE = "showrunner_policy_rules"


class DocumentError(Exception):
    """A file that is not one of the three JSON shapes; the message is one line."""


def rules() -> ModuleType:
    """The pack's rules package, imported by path (the pack directory is not on the program's path)."""
    module = sys.modules.get(_MODULE)
    if module is None:
        spec = importlib.util.spec_from_file_location(
            _MODULE, RULES_PACKAGE / "__init__.py", submodule_search_locations=[str(RULES_PACKAGE)]
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[_MODULE] = module
        spec.loader.exec_module(module)
    return module


def _state_resource(state: dict, where: str):
    R = rules().Resource
    if not isinstance(state, dict) or not isinstance(state.get("urn"), str) or not isinstance(state.get("type"), str):
        raise DocumentError(f"{where}: expected an object with urn and type")
    inputs = state.get("inputs") or {}
    if not isinstance(inputs, dict):
        raise DocumentError(f"{where}.inputs: expected an object")
    return R(
        type=state["type"],
        urn=state["urn"],
        name=state["urn"].rsplit("::", 1)[-1],
        props=inputs,
        protect=bool(state.get("protect", False)),
        dependencies=tuple(d for d in state.get("dependencies") or [] if isinstance(d, str)),
    )


_GONE = ("delete", "discard", "remove-pending-replace")


def _skip(type_token: str) -> bool:
    return type_token == "pulumi:pulumi:Stack" or type_token.startswith("pulumi:providers:")


def resources_of(document: Any, source: str = "document") -> list:
    """The resources a document describes, whichever of the three shapes it has."""
    if isinstance(document, dict) and isinstance(document.get("steps"), list):
        found = []
        for index, step in enumerate(document["steps"]):
            if not isinstance(step, dict):
                raise DocumentError(f"{source}: steps[{index}]: expected an object")
            state = step.get("newState")
            if state is None or step.get("op") in _GONE:
                continue
            resource = _state_resource(state, f"{source}: steps[{index}].newState")
            if not _skip(resource.type):
                found.append(resource)
        return found
    deployment = document.get("deployment") if isinstance(document, dict) else None
    if isinstance(deployment, dict) and isinstance(deployment.get("resources", []), list):
        found = []
        for index, state in enumerate(deployment.get("resources") or []):
            if isinstance(state, dict) and state.get("delete"):
                continue  # a resource pending deletion
            resource = _state_resource(state, f"{source}: deployment.resources[{index}]")
            if not _skip(resource.type):
                found.append(resource)
        return found
    raise DocumentError(
        f"{source}: not a `pulumi preview --json`, `pulumi stack export` or offline preview document "
        "(expected `steps` or `deployment.resources`)"
    )


def stacks_in(document: Any) -> int:
    """How many Stack resources a document holds: counted with the others, as `pulumi preview` counts."""
    if isinstance(document, dict) and isinstance(document.get("steps"), list):
        states = [s.get("newState") for s in document["steps"] if isinstance(s, dict) and s.get("op") not in _GONE]
    elif isinstance(document, dict) and isinstance(document.get("deployment"), dict):
        states = [s for s in document["deployment"].get("resources") or [] if isinstance(s, dict) and not s.get("delete")]
    else:
        return 0
    return sum(1 for s in states if isinstance(s, dict) and s.get("type") == "pulumi:pulumi:Stack")


def read_json(path: Path, error_type: type[Exception] = DocumentError) -> Any:
    """A JSON file's content, or `error_type` with one line naming the file and what is wrong
    (the policy, diff and drift commands read their documents alike)."""
    try:
        text = Path(path).read_text()
    except OSError as error:
        raise error_type(f"{path}: cannot read ({error.strerror})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise error_type(f"{path}: not JSON ({error.msg} at line {error.lineno} column {error.colno})") from None


def load(path: Path) -> tuple[list, int]:
    """The resources of a file and how many it counts (its Stack included)."""
    document = read_json(path)
    found = resources_of(document, str(path))
    return found, len(found) + stacks_in(document)


@dataclass
class Report:
    violations: list
    resources: int

    @property
    def mandatory(self) -> list:
        return [v for v in self.violations if v.enforcement == "mandatory"]

    @property
    def advisory(self) -> list:
        return [v for v in self.violations if v.enforcement != "mandatory"]


def check(resources: list, count: int | None = None) -> Report:
    """The rules over `resources`; `count` is how many resources the report says it covered."""
    r = rules()
    return Report(violations=r.evaluate(resources, r.RULES), resources=len(resources) if count is None else count)


def check_document(document: Any) -> Report:
    found = resources_of(document)
    return check(found, len(found) + stacks_in(document))


def summary(report: Report) -> str:
    r = rules()
    urns = {v.urn for v in report.violations}
    if not report.violations:
        return f"Policies: {r.PACK_NAME} ({len(r.RULES)} policies) passed on {report.resources} resources\n"
    return (
        f"Policies: {r.PACK_NAME} ({len(r.RULES)} policies): {len(report.mandatory)} mandatory and "
        f"{len(report.advisory)} advisory violations in {len(urns)} of {report.resources} resources\n"
    )


def render(report: Report, *, advisory: bool = True) -> str:
    """Violations grouped by resource, mandatory first within each, then the summary line."""
    lines: list[str] = []
    by_urn: dict[str, list] = {}
    for violation in report.violations:
        if advisory or violation.enforcement == "mandatory":
            by_urn.setdefault(violation.urn, []).append(violation)
    for urn, violations in by_urn.items():
        lines.append(urn)
        for v in sorted(violations, key=lambda v: v.enforcement != "mandatory"):
            lines.append(f"  [{v.enforcement}] {v.policy}: {v.message}")
        lines.append("")
    return "".join(line + "\n" for line in lines) + summary(report)


def json_document(report: Report) -> dict:
    return {
        "violations": [
            {"policyName": v.policy, "resourceUrn": v.urn, "message": v.message, "enforcementLevel": v.enforcement}
            for v in report.violations
        ]
    }


def run(files: list[Path], json_out: Path | None) -> int:
    """`showrunner policy FILE… [--json OUT]`: 1 on any mandatory violation, 0 otherwise."""
    resources, count = [], 0
    for path in files:
        found, counted = load(path)
        resources.extend(found)
        count += counted
    report = check(resources, count)
    sys.stdout.write(render(report))
    if json_out is not None:
        json_out.write_text(json.dumps(json_document(report), indent=2) + "\n")
        print(f"wrote {json_out}")
    return 1 if report.mandatory else 0
