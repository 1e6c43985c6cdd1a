"""Render an offline run the way `pulumi preview` does: a resource tree, a summary, and JSON.

The JSON has the shape of `pulumi preview --json` (`steps` with `op`, `urn` and `newState`, and
`changeSummary`), inputs under the engine's camelCase names and secrets as `[secret]`. Steps come
in tree order (parents first, siblings by type then name), so two runs over the same input write
byte-identical files whatever order the engine happened to register resources in.
"""

from __future__ import annotations

import json
from typing import Any

from showrunner.engine import StackRun
from showrunner.mocks import REDACTED, RecordedResource, Secret


def stack_urn(run: StackRun) -> str:
    return f"urn:pulumi:{run.stack}::{run.project}::pulumi:pulumi:Stack::{run.project}-{run.stack}"


def _jsonable(value: Any) -> Any:
    if isinstance(value, Secret):
        return REDACTED
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def ordered(run: StackRun) -> list[tuple[int, RecordedResource]]:
    """Resources depth-first from the stack, each with its depth below the stack."""
    children: dict[str, list[RecordedResource]] = {}
    for resource in run.resources:
        children.setdefault(resource.parent or stack_urn(run), []).append(resource)
    out: list[tuple[int, RecordedResource]] = []

    def walk(urn: str, depth: int) -> None:
        for child in sorted(children.get(urn, []), key=lambda r: (r.type, r.name)):
            out.append((depth, child))
            walk(child.urn, depth + 1)

    walk(stack_urn(run), 1)
    return out


def preview_document(run: StackRun) -> dict:
    steps = [
        {
            "op": "create",
            "urn": stack_urn(run),
            "newState": {
                "type": "pulumi:pulumi:Stack",
                "urn": stack_urn(run),
                "custom": False,
                "inputs": {},
                "outputs": _jsonable(run.outputs),
            },
        }
    ]
    for _, resource in ordered(run):
        state: dict[str, Any] = {
            "type": resource.type,
            "urn": resource.urn,
            "custom": resource.custom,
            "parent": resource.parent or stack_urn(run),
            "inputs": _jsonable(resource.inputs),
        }
        if resource.protect:
            state["protect"] = True
        if resource.retain_on_delete:
            state["retainOnDelete"] = True
        if resource.ignore_changes:
            state["ignoreChanges"] = sorted(resource.ignore_changes)
        if resource.dependencies:
            state["dependencies"] = resource.dependencies
        if resource.replace_with:
            state["replaceWith"] = resource.replace_with
        steps.append({"op": "create", "urn": resource.urn, "newState": state})
    return {"steps": steps, "changeSummary": {"create": len(steps)}}


def dumps(document: dict) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def display_type(type_token: str) -> str:
    """`aws:kms/key:Key` → `aws:kms:Key`, as the Pulumi CLI shows it."""
    package, module, kind = type_token.split(":")
    return f"{package}:{module.split('/')[0]}:{kind}"


def _format_output(value: Any) -> str:
    return json.dumps(_jsonable(value), sort_keys=True)


def render_tree(run: StackRun) -> str:
    rows: list[tuple[str, str, str]] = [(display_type("pulumi:pulumi:Stack"), f"{run.project}-{run.stack}", "")]
    entries = ordered(run)
    for index, (depth, resource) in enumerate(entries):
        prefix = ""
        for level in range(1, depth):
            prefix += "│  " if _has_later_sibling_at(entries, index, level) else "   "
        last = not _has_later_sibling_at(entries, index, depth)
        prefix += "└─ " if last else "├─ "
        rows.append((prefix + display_type(resource.type), resource.name, _guards(resource)))
    width = max(len(r[0]) for r in rows) + 2
    lines = [f"Previewing update ({run.stack}) offline: Pulumi mocks, no cloud, no credentials", ""]
    lines.append(f"     {'Type':<{width}}{'Name':<40}Plan")
    for type_col, name, guards in rows:
        lines.append(f" +   {type_col:<{width}}{name:<40}create{guards}".rstrip())
    if run.outputs:
        lines += ["", "Outputs:"]
        for key in sorted(run.outputs):
            lines.append(f"    {key}: {_format_output(run.outputs[key])}")
    lines += ["", "Resources:", f"    + {len(rows)} to create"]
    return "\n".join(lines) + "\n"


def _guards(resource: RecordedResource) -> str:
    """What stops a mistaken change from destroying the resource: shown beside its plan."""
    guards = [g for g, on in (("protect", resource.protect), ("retain on delete", resource.retain_on_delete)) if on]
    return f"  [{', '.join(guards)}]" if guards else ""


def _has_later_sibling_at(entries: list[tuple[int, RecordedResource]], index: int, level: int) -> bool:
    """Whether the branch at `level` continues after entry `index` (draws the │ guides)."""
    for depth, _ in entries[index + 1:]:
        if depth < level:
            return False
        if depth == level:
            return True
    return False
