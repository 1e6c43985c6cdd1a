"""`showrunner diff BASE.json HEAD.json [--markdown]`: what a change does to a stack, input by input.

Both files are offline previews (`showrunner preview --json`, the `pulumi preview --json` shape).
Resources are matched by URN: a URN only in HEAD is created, only in BASE deleted, in both with
different inputs or options updated. An input that is a JSON document (an IAM policy, a container
definition) is compared inside, so a reviewer sees `policy{}.Statement[2].Condition`, not two
walls of JSON; base64 `#cloud-config` user data is decoded and compared the same way, and a
multi-line text value (a unit file) shows only its changed lines. Values the engine marked secret are `[secret]` on both sides and stay that way.

The Markdown form is for a pull-request comment: the summary first, long sections folded, and
never more than GitHub's 65,536 characters (it says what it left out).
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from showrunner.policy import rules

COMMENT_LIMIT = 65536
MISSING = object()
_OPTIONS = ("protect", "retainOnDelete", "ignoreChanges", "replaceWith")
_TEXT_VALUE_WIDTH = 120
_MARKDOWN_VALUE_WIDTH = 300
_FOLD_OVER_LINES = 15


class DocumentError(Exception):
    """A file that is not an offline preview; the message is one line."""


@dataclass(frozen=True)
class Resource:
    urn: str
    type: str
    name: str
    inputs: dict
    options: dict

    @property
    def short_type(self) -> str:
        """`aws:iam/rolePolicy:RolePolicy` → `aws:iam:RolePolicy`, as the Pulumi CLI shows it."""
        parts = self.type.split(":")
        return f"{parts[0]}:{parts[1].split('/')[0]}:{parts[2]}" if len(parts) == 3 else self.type


@dataclass(frozen=True)
class Change:
    path: str
    old: Any
    new: Any


@dataclass
class Diff:
    stack: str
    created: list[Resource] = field(default_factory=list)
    deleted: list[Resource] = field(default_factory=list)
    updated: list[tuple[Resource, list[Change]]] = field(default_factory=list)
    unchanged: int = 0
    outputs: list[Change] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.created or self.deleted or self.updated or self.outputs)


def _load(path: Path) -> tuple[str, dict[str, Resource], dict]:
    try:
        document = json.loads(path.read_text())
    except OSError as error:
        raise DocumentError(f"{path}: cannot read ({error.strerror})") from None
    except json.JSONDecodeError as error:
        raise DocumentError(f"{path}: not JSON ({error.msg} at line {error.lineno} column {error.colno})") from None
    return _load_document(document, str(path))


def _load_document(document: Any, path: str) -> tuple[str, dict[str, Resource], dict]:
    steps = document.get("steps") if isinstance(document, dict) else None
    if not isinstance(steps, list):
        raise DocumentError(f"{path}: not an offline preview (`showrunner preview --json` writes `steps`)")
    stack, resources, outputs = "", {}, {}
    for index, step in enumerate(steps):
        state = step.get("newState") if isinstance(step, dict) else None
        if not isinstance(state, dict) or not isinstance(state.get("urn"), str) or not isinstance(state.get("type"), str):
            raise DocumentError(f"{path}: steps[{index}].newState: expected an object with urn and type")
        if state["type"] == "pulumi:pulumi:Stack":
            stack = state["urn"].split(":")[2]
            outputs = state.get("outputs") or {}
            continue
        options = {k: state[k] for k in _OPTIONS if k in state}
        resources[state["urn"]] = Resource(state["urn"], state["type"], state["urn"].rsplit("::", 1)[-1], state.get("inputs") or {}, options)
    return stack, resources, outputs


def _as_document(value: Any) -> Any:
    """A string holding a JSON object or list, or base64 `#cloud-config` user data, parsed;
    anything else, MISSING."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return MISSING
        return parsed if isinstance(parsed, (dict, list)) else MISSING
    text = rules().decode_user_data(value)
    if text is not None:
        if text.startswith("#cloud-config"):
            try:
                parsed = yaml.safe_load(text)
            except yaml.YAMLError:
                return MISSING
            return parsed if isinstance(parsed, dict) else MISSING
    return MISSING


def _is_text_change(change: Change) -> bool:
    """Both sides multi-line text (a unit file, a script): shown as the lines that changed."""
    return isinstance(change.old, str) and isinstance(change.new, str) and ("\n" in change.old or "\n" in change.new)


def _changed_lines(change: Change) -> list[str]:
    """`- old line` / `+ new line` for each changed line of a text value."""
    lines = difflib.unified_diff(change.old.splitlines(), change.new.splitlines(), lineterm="", n=0)
    return [line for line in lines if line[:1] in "-+" and not line.startswith(("---", "+++"))]


def changes(old: Any, new: Any, path: str = "") -> list[Change]:
    """Leaf-level differences between two input values, by path (`ingress[0].fromPort`)."""
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in sorted(set(old) | set(new)):
            found += changes(old.get(key, MISSING), new.get(key, MISSING), f"{path}.{key}" if path else str(key))
        return found
    if isinstance(old, list) and isinstance(new, list):
        found = []
        for index in range(max(len(old), len(new))):
            found += changes(old[index] if index < len(old) else MISSING, new[index] if index < len(new) else MISSING, f"{path}[{index}]")
        return found
    old_doc, new_doc = _as_document(old), _as_document(new)
    if old_doc is not MISSING and new_doc is not MISSING:
        return changes(old_doc, new_doc, f"{path}{{}}")
    return [Change(path, old, new)]


def diff(base: tuple[str, dict[str, Resource], dict], head: tuple[str, dict[str, Resource], dict]) -> Diff:
    base_stack, base_resources, base_outputs = base
    head_stack, head_resources, head_outputs = head
    result = Diff(stack=head_stack or base_stack)
    for urn, resource in head_resources.items():
        before = base_resources.get(urn)
        if before is None:
            result.created.append(resource)
            continue
        found = changes(before.inputs, resource.inputs)
        found += [Change(f"[{c.path}]", c.old, c.new) for c in changes(before.options, resource.options)]
        if found:
            result.updated.append((resource, found))
        else:
            result.unchanged += 1
    result.deleted = [r for urn, r in base_resources.items() if urn not in head_resources]
    result.outputs = changes(base_outputs, head_outputs)
    order = lambda r: (r.type, r.name)  # noqa: E731
    result.created.sort(key=order)
    result.deleted.sort(key=order)
    result.updated.sort(key=lambda pair: order(pair[0]))
    return result


def diff_files(base: Path, head: Path) -> Diff:
    return diff(_load(base), _load(head))


def show(value: Any, width: int) -> str:
    if value is MISSING:
        return "(none)"
    text = json.dumps(value, sort_keys=True)
    if len(text) > width:
        return f"{text[: width - 1]}… ({len(text):,} characters)"
    return text


def _leaves(inputs: dict) -> list[Change]:
    return changes({}, inputs)


def summary_line(result: Diff) -> str:
    parts = [f"{len(result.created)} to create", f"{len(result.updated)} to update", f"{len(result.deleted)} to delete",
             f"{result.unchanged} unchanged"]
    if result.outputs:
        parts.append(f"{len(result.outputs)} output{'s' if len(result.outputs) != 1 else ''} changed")
    return ", ".join(parts)


def render_text(result: Diff) -> str:
    lines = [f"Diff of stack {result.stack}: {summary_line(result)}"]
    for resource in result.created:
        lines += ["", f"+ {resource.short_type} {resource.name}"]
        lines += [f"    {c.path}: {show(c.new, _TEXT_VALUE_WIDTH)}" for c in _leaves(resource.inputs)]
    for resource, found in result.updated:
        lines += ["", f"~ {resource.short_type} {resource.name}"]
        for c in found:
            if _is_text_change(c):
                lines += [f"    {c.path}:"] + [f"      {line}" for line in _changed_lines(c)]
            else:
                lines.append(f"    {c.path}: {show(c.old, _TEXT_VALUE_WIDTH)} → {show(c.new, _TEXT_VALUE_WIDTH)}")
    for resource in result.deleted:
        lines += ["", f"- {resource.short_type} {resource.name}"]
    if result.outputs:
        lines += ["", "Outputs:"]
        lines += [f"    {c.path}: {show(c.old, _TEXT_VALUE_WIDTH)} → {show(c.new, _TEXT_VALUE_WIDTH)}" for c in result.outputs]
    return "\n".join(lines) + "\n"


def _code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def _block(sign: str, resource: Resource, body: list[str]) -> str:
    head = f"**{sign} {_code(resource.name)}** {_code(resource.type)}"
    if not body:
        return head + "\n"
    return head + "\n\n```diff\n" + "\n".join(body) + "\n```\n"


def _md(value: Any) -> str:
    # A value holding a code fence would end the ```diff block early.
    return show(value, _MARKDOWN_VALUE_WIDTH).replace("```", "`\u200b``")


def _created_body(resource: Resource) -> list[str]:
    return [f"+ {c.path}: {_md(c.new)}" for c in _leaves(resource.inputs)]


def _updated_body(found: list[Change]) -> list[str]:
    body = []
    for c in found:
        body.append(f"  {c.path}")
        if _is_text_change(c):
            body += [line[0] + " " + line[1:].replace("```", "`\u200b``") for line in _changed_lines(c)]
            continue
        if c.old is not MISSING:
            body.append(f"- {_md(c.old)}")
        if c.new is not MISSING:
            body.append(f"+ {_md(c.new)}")
    return body


def _section(title: str, blocks: list[str]) -> tuple[str, str]:
    """(opening, closing): folded in <details> when the section is long."""
    lines = sum(b.count("\n") for b in blocks)
    if lines > _FOLD_OVER_LINES:
        return f"<details><summary>{title}</summary>\n\n", "</details>\n\n"
    return f"#### {title}\n\n", "\n"


def render_markdown(result: Diff, limit: int = COMMENT_LIMIT) -> str:
    """A pull-request comment: summary, then created/updated/deleted, folded, under `limit` characters."""
    out = [f"### Preview diff: `{result.stack}`\n\n**{summary_line(result)}**\n\n"]
    if result.empty:
        out.append("No resource changes.\n")
        return "".join(out)
    sections = [
        ("Updated", [(r, _block("~", r, _updated_body(found))) for r, found in result.updated]),
        ("Created", [(r, _block("+", r, _created_body(r))) for r in result.created]),
        ("Deleted", [(r, _block("-", r, [])) for r in result.deleted]),
    ]
    if result.outputs:
        body = _updated_body(result.outputs)
        sections.append(("Outputs", [(None, "```diff\n" + "\n".join(body) + "\n```\n")]))
    # Room for the note on what was left out, written last.
    budget = limit - 400 - len(out[0])
    left_out: dict[str, int] = {}
    for title, blocks in sections:
        if not blocks:
            continue
        count = len(blocks) if title != "Outputs" else len(result.outputs)
        opening, closing = _section(f"{title} ({count})", [b for _, b in blocks])
        kept: list[str] = []
        used = len(opening) + len(closing)
        for index, (resource, block) in enumerate(blocks):
            if used + len(block) + 1 > budget:
                left_out[title.lower()] = len(blocks) - index
                break
            kept.append(block)
            used += len(block) + 1
        if kept:
            out.append(opening + "\n".join(kept) + closing)
            budget -= used
    if left_out:
        what = ", ".join(f"{n} {title}" for title, n in left_out.items())
        out.append(
            f"_Left out to stay under GitHub's {COMMENT_LIMIT:,}-character comment limit: {what}. "
            f"Run `make diff BASE=<base ref> STACK={result.stack}` for the full diff._\n"
        )
    return "".join(out)
