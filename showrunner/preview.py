"""Render an offline run the way `pulumi preview` does: a resource tree, outputs, a summary, and JSON.

The JSON has the shape of `pulumi preview --json`: `steps` (each with `op`, `urn`, `newState`, and
against a base `diffReasons`, `replaceReasons` and `detailedDiff`; a deleted resource has only
`oldState`), `changeSummary` and `diagnostics` (what the program logged, then the policy pack's
violations). Inputs are under the engine's camelCase names and secrets are `[secret]`. Beyond
Pulumi's shape, each state may carry `aliases` (the URNs it was known by), `secrets` (input path →
keyed fingerprint, never the value) and `unknowns` (input paths whose value only the cloud knows;
the mocks made the value up, and it stays in `inputs` so that rendered documents stay concrete).
Unchanged resources are listed too (`op: same`): the file is also the next diff's base.

Steps come in tree order (parents first, siblings by type then name), so two runs over the same
input write byte-identical files whatever order the engine happened to register resources in; the
duration is printed, never written.
"""

from __future__ import annotations

import json
from typing import Any

from showrunner import diff as preview_diff
from showrunner.engine import StackRun
from showrunner.mocks import REDACTED, RecordedResource, Secret, _string_leaves
from showrunner.style import OP_SYMBOLS, paint

_CONTAINED_MIN = 16
"""A made-up value at least this long found inside an output string makes that output unknown."""


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


def output_unknowns(run: StackRun) -> list[str]:
    """Stack output paths that only the cloud knows: a made-up value, or a string built from one."""
    long_ones = [m for m in run.made_up if len(m) >= _CONTAINED_MIN]
    found = []
    for key in sorted(run.outputs):
        for path, leaf in _string_leaves(run.outputs[key], key):
            if leaf in run.made_up or any(m in leaf for m in long_ones):
                found.append(path)
    return found


def _state(resource: RecordedResource, stack: str) -> dict:
    state: dict[str, Any] = {
        "type": resource.type,
        "urn": resource.urn,
        "custom": resource.custom,
        "parent": resource.parent or stack,
        "inputs": _jsonable(resource.inputs),
    }
    for key, value, on in (
        ("protect", True, resource.protect),
        ("retainOnDelete", True, resource.retain_on_delete),
        ("ignoreChanges", sorted(resource.ignore_changes), resource.ignore_changes),
        ("dependencies", resource.dependencies, resource.dependencies),
        ("replaceWith", resource.replace_with, resource.replace_with),
        ("aliases", resource.aliases, resource.aliases),
        ("secrets", resource.secrets, resource.secrets),
        ("unknowns", resource.unknowns, resource.unknowns),
    ):
        if on:
            state[key] = value
    return state


def preview_document(run: StackRun, base: preview_diff.Preview | None = None, *, as_stack: bool = False,
                     suppress_outputs: bool = False) -> dict:
    """The `pulumi preview --json` document; against `base`, each step's op is what would happen to it."""
    root = stack_urn(run)
    stack_state: dict[str, Any] = {"type": "pulumi:pulumi:Stack", "urn": root, "custom": False, "inputs": {}, "outputs": {}}
    if not suppress_outputs:
        stack_state["outputs"] = _jsonable(run.outputs)
        if run.output_secrets:
            stack_state["secrets"] = run.output_secrets
        if unknown := output_unknowns(run):
            stack_state["unknowns"] = unknown
    steps = [{"op": "create", "urn": root, "newState": stack_state}]
    steps += [{"op": "create", "urn": r.urn, "newState": _state(r, root)} for _, r in ordered(run)]
    document = {"steps": steps, "diagnostics": list(run.diagnostics)}
    if base is not None:
        result = _against(document, base, as_stack)
        if suppress_outputs:
            result.outputs = []  # not compared: this document does not carry them
    counts: dict[str, int] = {}
    for step in steps:
        counts[step["op"]] = counts.get(step["op"], 0) + 1
    document["changeSummary"] = dict(sorted(counts.items()))
    return document


def _against(document: dict, base: preview_diff.Preview, as_stack: bool) -> preview_diff.Diff:
    """Set each step's op (and Pulumi's diff fields) from the diff with `base`; add the deletes."""
    result = preview_diff.diff(base, preview_diff._load_document(document, "preview"), as_stack=as_stack)
    by_urn = {s.resource.urn: s for s in result.steps if s.op != "delete"}
    for step in document["steps"]:
        if step["newState"]["type"] == "pulumi:pulumi:Stack":
            step["op"] = "same"
            continue
        found = by_urn.get(step["urn"])
        step["op"] = found.op if found else "same"
        if found and found.op in ("update", "replace"):
            step["diffReasons"] = sorted({preview_diff.replacement.top_property(c.path.strip("[]")) for c in found.changes})
            if found.replace_reasons:
                step["replaceReasons"] = found.replace_reasons
            step["detailedDiff"] = {
                c.path: {"kind": ("update" if c.old is not preview_diff.MISSING and c.new is not preview_diff.MISSING
                                  else "add" if c.old is preview_diff.MISSING else "delete")
                         + ("-replace" if c.effect == preview_diff.replacement.REPLACE else ""), "inputDiff": True}
                for c in found.changes
            }
    for step in result.deleted:
        old = step.resource
        inputs = json.loads(json.dumps(old.inputs, default=preview_diff._jsonable))
        state = {"type": old.type, "urn": old.urn, "custom": old.custom, "parent": old.parent, "inputs": inputs, **old.options}
        document["steps"].append({"op": "delete", "urn": old.urn, "oldState": state})
    document["diff"] = result  # for the caller; removed before writing
    return result


def add_policy_results(document: dict, report) -> None:
    """The policy pack's violations as diagnostics, worded as `pulumi preview` prints them."""
    from showrunner import policy

    for v in report.violations:
        document["diagnostics"].append({
            "urn": v.urn,
            "message": f"[{v.enforcement}] {policy.rules().PACK_NAME} {v.policy}: {v.message}",
            "severity": "error" if v.enforcement == "mandatory" else "warning",
        })


def dumps(document: dict) -> str:
    return json.dumps({k: v for k, v in document.items() if k != "diff"}, indent=2, sort_keys=True) + "\n"


def display_type(type_token: str) -> str:
    """`aws:kms/key:Key` → `aws:kms:Key`, as the Pulumi CLI shows it."""
    return preview_diff.short_type(type_token)


def _render_value(value: Any, indent: int, path: str, unknown: set[str]) -> list[str]:
    """A value as `pulumi preview` prints outputs: objects and lists one entry a line, aligned."""
    if path in unknown:
        return ["output<string>"]
    if isinstance(value, Secret) or value == REDACTED:
        return [REDACTED]
    if isinstance(value, dict) and value:
        width = max(len(k) for k in value)
        lines = ["{"]
        for key in sorted(value):
            sub = _render_value(value[key], indent + 4, f"{path}.{key}", unknown)
            lines.append(" " * (indent + 4) + f"{key:<{width}}: {sub[0]}")
            lines += sub[1:]
        return lines + [" " * indent + "}"]
    if isinstance(value, list) and value:
        lines = ["["]
        for index, item in enumerate(value):
            sub = _render_value(item, indent + 4, f"{path}[{index}]", unknown)
            lines.append(" " * (indent + 4) + f"[{index}]: {sub[0]}")
            lines += sub[1:]
        return lines + [" " * indent + "]"]
    return [json.dumps(_jsonable(value))]


def render_outputs(run: StackRun) -> list[str]:
    if not run.outputs:
        return []
    unknown = set(output_unknowns(run))
    width = max(len(k) for k in run.outputs)
    lines = ["", "Outputs:"]
    for key in sorted(run.outputs):
        sub = _render_value(run.outputs[key], 4, key, unknown)
        lines.append(f"    {key:<{width}}: {sub[0]}")
        lines += sub[1:]
    return lines


def _tree(run: StackRun, document: dict) -> list[tuple[int, str, str, RecordedResource | None]]:
    """(depth, urn, type, resource) depth-first from the stack, deleted resources under their old
    parent (or the stack, if it went too), siblings by type then name."""
    root = stack_urn(run)
    children: dict[str, list[tuple[str, str, str, RecordedResource | None]]] = {}
    for resource in run.resources:
        children.setdefault(resource.parent or root, []).append((resource.type, resource.name, resource.urn, resource))
    present = {r.urn for r in run.resources}
    for step in document["steps"]:
        if step["op"] == "delete":
            old = step["oldState"]
            parent = old.get("parent") if old.get("parent") in present else root
            children.setdefault(parent, []).append((old["type"], step["urn"].rsplit("::", 1)[-1], step["urn"], None))
    out: list[tuple[int, str, str, RecordedResource | None]] = [(0, root, "pulumi:pulumi:Stack", None)]

    def walk(urn: str, depth: int) -> None:
        for type_token, _, child_urn, resource in sorted(children.get(urn, []), key=lambda c: (c[0], c[1], c[2])):
            out.append((depth, child_urn, type_token, resource))
            walk(child_urn, depth + 1)

    walk(root, 1)
    return out


def render_tree(run: StackRun, document: dict | None = None, *, color: bool = False, suppress_outputs: bool = False,
                seconds: float | None = None) -> str:
    """The tree, outputs and summary, as `pulumi preview` prints them. Against a base, each row
    shows its op and unchanged resources are left out unless a changed one is below them."""
    document = document or preview_document(run)
    steps = {s["urn"]: s for s in document["steps"]}
    rows = _tree(run, document)
    if any(s["op"] not in ("create",) for s in document["steps"]):
        keep, chain = set(), []
        for depth, urn, _, _ in rows:
            chain = chain[:depth] + [urn]
            if steps[urn]["op"] != "same" or depth == 0:
                keep.update(chain)
        rows = [row for row in rows if row[1] in keep]
    type_cells = []
    for index, (depth, _, type_token, _) in enumerate(rows):
        prefix = "".join("│  " if _has_later_sibling_at(rows, index, level) else "   " for level in range(1, depth))
        if depth:
            prefix += "├─ " if _has_later_sibling_at(rows, index, depth) else "└─ "
        type_cells.append(prefix + display_type(type_token))
    width = max(len(t) for t in type_cells) + 2
    lines = [f"Previewing update ({run.stack}) offline: Pulumi mocks, no cloud, no credentials", "",
             f"     {'Type':<{width}}{'Name':<40}{'Plan':<11}Info".rstrip()]
    for (depth, urn, _, resource), type_cell in zip(rows, type_cells):
        step = steps[urn]
        op = step["op"]
        info = [_guards(resource)] if resource else []
        if step.get("diffReasons"):
            replacing = step.get("replaceReasons", [])
            info.insert(0, "[diff: " + " ".join(("+-" if r in replacing else "~") + r for r in step["diffReasons"]) + "]")
        name = urn.rsplit("::", 1)[-1] if depth else f"{run.project}-{run.stack}"
        line = f" {OP_SYMBOLS[op]:<3} {type_cell:<{width}}{name:<40}{'' if op == 'same' else op:<11}{' '.join(i for i in info if i)}"
        lines.append(paint(line.rstrip(), None if op == "same" else op, color))
    if not suppress_outputs:
        lines += render_outputs(run)
    lines += ["", "Resources:"]
    summary = document["changeSummary"]
    changed = 0
    for op in ("create", "update", "replace", "delete"):
        if summary.get(op):
            changed += summary[op]
            lines.append(paint(f"    {OP_SYMBOLS[op]:<2}{summary[op]} to {op}", op, color))
    if summary.get("same"):
        plural = "s" if changed != 1 else ""
        lines.append(f"    {changed} change{plural}. {summary['same']} unchanged" if changed else f"    {summary['same']} unchanged")
    if seconds is not None:
        lines += ["", f"Duration: {seconds:.1f}s"]
    return "\n".join(lines) + "\n"


def _guards(resource: RecordedResource) -> str:
    """What stops a mistaken change from destroying the resource: shown beside its plan."""
    guards = [g for g, on in (("protect", resource.protect), ("retain on delete", resource.retain_on_delete)) if on]
    return f"[{', '.join(guards)}]" if guards else ""


def _has_later_sibling_at(entries, index: int, level: int) -> bool:
    """Whether the branch at `level` continues after entry `index` (draws the │ guides)."""
    for entry in entries[index + 1:]:
        if entry[0] < level:
            return False
        if entry[0] == level:
            return True
    return False
