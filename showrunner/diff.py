"""`showrunner diff BASE.json HEAD.json`: what a change does to a stack, input by input.

Both files are offline previews (`showrunner preview --json`, the `pulumi preview --json` shape).
Resources are matched by URN or by any of the head resource's aliases (a component renamed with
`pulumi.Alias`, and its children, match their old URNs, as `pulumi preview` matches them): a
resource only in HEAD is created, only in BASE deleted, in both with different inputs or options
updated, or replaced when a changed input is one the cloud cannot change in place
(`showrunner/replacement.py`; an input that table does not cover is shown as "replacement
unknown", never silently as an update).

An input that is a JSON document (an IAM policy, a container definition) is compared inside, so a
reviewer sees `policy{}.Statement[2].Condition`, not two walls of JSON; base64 `#cloud-config`
user data is decoded and compared the same way, and multi-line text (a unit file) shows its changed
lines in full, a new one every line. A secret is `[secret]` on both sides; its keyed fingerprint
(never the value) tells a changed secret (`[secret] changed`) from an unchanged one. A value only
the cloud knows (an id, an ARN the mocks made up) reads `output<string>`, as Pulumi shows it.

Two previews of different stacks have no URN in common: the diff refuses them unless `--as-stack`
asks to compare them by logical name (the URN without its stack).

The Markdown form is for a pull-request comment: the summary first, deletes and replacements
(with a warning for a protected or retained resource) before updates and creates, long sections
folded, and never more than GitHub's 65,536 characters; when it must shorten it drops creates
first, then updates, and says what it left out.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from showrunner import replacement
from showrunner.mocks import REDACTED
from showrunner.policy import read_json, rules
from showrunner.style import OP_SYMBOLS, paint

COMMENT_LIMIT = 65536
MISSING = object()
STACK_TYPE = "pulumi:pulumi:Stack"
_OPTIONS = ("protect", "retainOnDelete", "ignoreChanges", "replaceWith")
_TEXT_VALUE_WIDTH = 120
_MARKDOWN_VALUE_WIDTH = 300
_FOLD_OVER_LINES = 15
_SKIPPED_OPS = ("delete", "discard", "remove-pending-replace", "delete-replaced")


class DocumentError(Exception):
    """A file that is not an offline preview; the message is one line."""


class StackMismatch(DocumentError):
    """Two previews of different stacks, compared without `--as-stack`."""


class SecretValue:
    """A `[secret]` input with its fingerprint: equal when the fingerprints are (or one is not known)."""

    __slots__ = ("fingerprint",)

    def __init__(self, fingerprint: str | None):
        self.fingerprint = fingerprint

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SecretValue):
            return False
        return self.fingerprint is None or other.fingerprint is None or self.fingerprint == other.fingerprint

    def __hash__(self) -> int:
        return hash(REDACTED)

    def __repr__(self) -> str:
        return REDACTED


def short_type(type_token: str) -> str:
    """`aws:iam/rolePolicy:RolePolicy` → `aws:iam:RolePolicy`, as the Pulumi CLI shows it everywhere."""
    parts = type_token.split(":")
    return f"{parts[0]}:{parts[1].split('/')[0]}:{parts[2]}" if len(parts) == 3 else type_token


def logical_urn(urn: str) -> str:
    """A URN without its stack: `urn:pulumi:staging::p::t::n` → `p::t::n` (for `--as-stack`)."""
    return urn.split("::", 1)[1] if urn.startswith("urn:pulumi:") and "::" in urn else urn


@dataclass(frozen=True)
class Resource:
    urn: str
    type: str
    inputs: dict
    options: dict
    custom: bool = True
    aliases: tuple[str, ...] = ()
    unknowns: frozenset = frozenset()
    parent: str = ""

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    @property
    def short_type(self) -> str:
        return short_type(self.type)


@dataclass(frozen=True)
class Change:
    path: str
    old: Any
    new: Any
    effect: str = replacement.UPDATE
    """replacement.REPLACE, UPDATE or UNKNOWN: what this change does to the resource."""
    new_unknown: bool = False
    """The new value is an output only the cloud knows."""


@dataclass
class Step:
    op: str  # create, update, replace, delete
    resource: Resource  # the head resource; the base one for a delete
    changes: list[Change] = field(default_factory=list)
    old: Resource | None = None

    @property
    def replace_reasons(self) -> list[str]:
        return sorted({replacement.top_property(c.path) for c in self.changes if c.effect == replacement.REPLACE})

    @property
    def unknown_reasons(self) -> list[str]:
        return sorted({replacement.top_property(c.path) for c in self.changes if c.effect == replacement.UNKNOWN})

    @property
    def guarded(self) -> list[str]:
        """What makes deleting or replacing this resource dangerous: its base state's options."""
        if self.op not in ("delete", "replace"):
            return []
        options = (self.old or self.resource).options
        return [g for g, key in (("protected", "protect"), ("retained on delete", "retainOnDelete")) if options.get(key)]


@dataclass
class Preview:
    """One offline preview document: its stack, its resources by URN, its outputs."""

    stack: str
    resources: dict[str, Resource]
    outputs: dict
    output_unknowns: frozenset = frozenset()


@dataclass
class Diff:
    stack: str
    steps: list[Step] = field(default_factory=list)
    unchanged: int = 0
    outputs: list[Change] = field(default_factory=list)
    base_stack: str = ""

    def _op(self, op: str) -> list[Step]:
        return [s for s in self.steps if s.op == op]

    @property
    def created(self) -> list[Step]:
        return self._op("create")

    @property
    def updated(self) -> list[Step]:
        return self._op("update")

    @property
    def replaced(self) -> list[Step]:
        return self._op("replace")

    @property
    def deleted(self) -> list[Step]:
        return self._op("delete")

    @property
    def guarded(self) -> list[Step]:
        """Deletes and replaces of protected or retained resources: called out before anything else."""
        return [s for s in self.steps if s.guarded]

    @property
    def empty(self) -> bool:
        return not (self.steps or self.outputs)


def _with_secrets(value: Any, fingerprints: dict[str, str], path: str = "") -> Any:
    """`[secret]` leaves become SecretValue(fingerprint at that path)."""
    if value == REDACTED:
        return SecretValue(fingerprints.get(path))
    if isinstance(value, dict):
        return {k: _with_secrets(v, fingerprints, f"{path}.{k}" if path else k) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_secrets(v, fingerprints, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


def _load(path: Path) -> Preview:
    return _load_document(read_json(path, DocumentError), str(path))


def _load_document(document: Any, path: str) -> Preview:
    steps = document.get("steps") if isinstance(document, dict) else None
    if not isinstance(steps, list):
        raise DocumentError(f"{path}: not an offline preview (`showrunner preview --json` writes `steps`)")
    stack, resources, outputs, output_unknowns = "", {}, {}, frozenset()
    for index, step in enumerate(steps):
        if isinstance(step, dict) and step.get("op") in _SKIPPED_OPS:
            continue  # a resource this preview deletes is not in its stack
        state = step.get("newState") if isinstance(step, dict) else None
        if not isinstance(state, dict) or not isinstance(state.get("urn"), str) or not isinstance(state.get("type"), str):
            raise DocumentError(f"{path}: steps[{index}].newState: expected an object with urn and type")
        secrets = state.get("secrets") or {}
        if state["type"] == STACK_TYPE:
            stack = state["urn"].split(":")[2]
            outputs = _with_secrets(state.get("outputs") or {}, secrets)
            output_unknowns = frozenset(state.get("unknowns") or ())
            continue
        options = {k: state[k] for k in _OPTIONS if k in state}
        resources[state["urn"]] = Resource(
            urn=state["urn"],
            type=state["type"],
            inputs=_with_secrets(state.get("inputs") or {}, secrets),
            options=options,
            custom=bool(state.get("custom", True)),
            aliases=tuple(state.get("aliases") or ()),
            unknowns=frozenset(state.get("unknowns") or ()),
            parent=state.get("parent") or "",
        )
    return Preview(stack, resources, outputs, output_unknowns)


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


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and "\n" in value


def _is_text_change(change: Change) -> bool:
    """Multi-line text on either side (a unit file, a script): shown as the lines that changed."""
    sides = [v for v in (change.old, change.new) if v is not MISSING]
    return any(_is_text(v) for v in sides) and all(isinstance(v, str) for v in sides)


def _changed_lines(change: Change) -> list[str]:
    """`- old line` / `+ new line` for each changed line of a text value; a new text is all `+`."""
    old = change.old.splitlines() if isinstance(change.old, str) else []
    new = change.new.splitlines() if isinstance(change.new, str) else []
    lines = difflib.unified_diff(old, new, lineterm="", n=0)
    return [line for line in lines if line[:1] in "-+" and not line.startswith(("---", "+++"))]


def _expandable(value: Any) -> bool:
    return isinstance(value, (dict, list)) and bool(value)


def changes(old: Any, new: Any, path: str = "") -> list[Change]:
    """Leaf-level differences between two input values, by path (`ingress[0].fromPort`).

    A value on one side only is expanded to its leaves too, so that a new unit inside user data
    shows every line, not `{"content": "[Unit]…"}`.
    """
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
    if old is MISSING and _expandable(new):
        return changes({} if isinstance(new, dict) else [], new, path)
    if new is MISSING and _expandable(old):
        return changes(old, {} if isinstance(old, dict) else [], path)
    old_doc = MISSING if old is MISSING else _as_document(old)
    new_doc = MISSING if new is MISSING else _as_document(new)
    if (old_doc is not MISSING or old is MISSING) and (new_doc is not MISSING or new is MISSING) and (old_doc, new_doc) != (MISSING, MISSING):
        return changes(old_doc, new_doc, f"{path}{{}}")
    return [Change(path, old, new)]


def _classified(resource: Resource, found: list[Change], option_changes: list[Change]) -> list[Change]:
    out = []
    for c in found:
        effect = replacement.classify(resource.type, c.path) if resource.custom else replacement.UPDATE
        out.append(Change(c.path, c.old, c.new, effect, c.path in resource.unknowns))
    return out + [Change(f"[{c.path}]", c.old, c.new) for c in option_changes]


def diff(base: Preview, head: Preview, *, as_stack: bool = False) -> Diff:
    """Match head resources to base ones by URN or alias, and classify every difference."""
    if base.stack and head.stack and base.stack != head.stack and not as_stack:
        raise StackMismatch(
            f"the base is stack {base.stack} and the head stack {head.stack}: no URN can match; "
            "compare them by logical name with --as-stack"
        )
    key = logical_urn if as_stack else (lambda urn: urn)
    base_by_key = {key(urn): resource for urn, resource in base.resources.items()}
    matched: set[str] = set()
    result = Diff(stack=head.stack or base.stack, base_stack=base.stack)
    for resource in head.resources.values():
        before = next((base_by_key[k] for k in map(key, (resource.urn, *resource.aliases)) if k in base_by_key and k not in matched), None)
        if before is None:
            result.steps.append(Step("create", resource))
            continue
        matched.add(key(before.urn))
        found = _classified(resource, changes(before.inputs, resource.inputs), changes(before.options, resource.options))
        if not found:
            result.unchanged += 1
            continue
        op = "replace" if any(c.effect == replacement.REPLACE for c in found) else "update"
        result.steps.append(Step(op, resource, found, before))
    result.steps += [Step("delete", r, old=r) for k, r in base_by_key.items() if k not in matched]
    result.unchanged += 1  # the stack itself, counted as `pulumi preview` counts it
    result.outputs = [Change(c.path, c.old, c.new, new_unknown=c.path in head.output_unknowns)
                      for c in changes(base.outputs, head.outputs)]
    order = {"replace": 0, "delete": 1, "update": 2, "create": 3}
    result.steps.sort(key=lambda s: (not s.guarded, order[s.op], s.resource.type, s.resource.name))
    return result


def diff_files(base: Path, head: Path, *, as_stack: bool = False) -> Diff:
    return diff(_load(base), _load(head), as_stack=as_stack)


def _jsonable(value: Any) -> Any:
    if isinstance(value, SecretValue):
        return REDACTED
    raise TypeError(type(value).__name__)


def show(value: Any, width: int, unknown: bool = False) -> str:
    if value is MISSING:
        return "(none)"
    if unknown:
        return "output<string>"
    text = json.dumps(value, sort_keys=True, default=_jsonable)
    if len(text) > width:
        return f"{text[: width - 1]}… ({len(text):,} characters)"
    return text


def _is_secret_change(change: Change) -> bool:
    return isinstance(change.old, SecretValue) and isinstance(change.new, SecretValue)


def summary_line(result: Diff) -> str:
    """`1 to create, 1 to replace, 152 unchanged`: the counts that are not zero, as Pulumi words them."""
    counts = [(len(result.created), "to create"), (len(result.updated), "to update"), (len(result.replaced), "to replace"),
              (len(result.deleted), "to delete")]
    parts = [f"{n} {words}" for n, words in counts if n] + [f"{result.unchanged} unchanged"]
    if result.outputs:
        parts.append(f"{len(result.outputs)} output{'s' if len(result.outputs) != 1 else ''} changed")
    return ", ".join(parts)


def _guard_sentence(step: Step) -> str:
    verb = "replace" if step.op == "replace" else "delete"
    said = []
    if "protected" in step.guarded:
        said.append(f"protected (`pulumi up` refuses to {verb} it until `protect` is lifted)")
    if "retained on delete" in step.guarded:
        said.append("retained on delete (the old one stays in AWS, outside the stack)" if verb == "replace"
                    else "retained on delete (it leaves the stack but stays in AWS)")
    return f"{step.resource.short_type} {step.resource.name} is " + " and ".join(said)


def _reasons(step: Step) -> str:
    notes = []
    if step.replace_reasons:
        notes.append("replace: " + ", ".join(step.replace_reasons))
    if step.unknown_reasons:
        notes.append("replacement unknown: " + ", ".join(step.unknown_reasons))
    return f"  [{'; '.join(notes)}]" if notes else ""


def _effect_note(change: Change) -> str:
    return {replacement.REPLACE: "  [forces replacement]", replacement.UNKNOWN: "  [replacement unknown]"}.get(change.effect, "")


def _text_change(c: Change, width: int, created: bool = False) -> list[str]:
    if _is_secret_change(c):
        return [f"{c.path}: {REDACTED} changed{_effect_note(c)}"]
    if _is_text_change(c) and not c.new_unknown:
        return [f"{c.path}:{_effect_note(c)}"] + [f"  {line}" for line in _changed_lines(c)]
    if created:
        return [f"{c.path}: {show(c.new, width, c.new_unknown)}"]
    return [f"{c.path}: {show(c.old, width)} → {show(c.new, width, c.new_unknown)}{_effect_note(c)}"]


_LINE_KIND = {"+": "create", "-": "delete"}


def render_text(result: Diff, color: bool = False) -> str:
    lines = [f"Diff of stack {result.stack}: {summary_line(result)}"]
    if result.guarded:
        lines.append("")
        lines += [paint(f"! {_guard_sentence(s)}", "warning", color) for s in result.guarded]
    for step in result.steps:
        symbol = OP_SYMBOLS[step.op]
        lines += ["", paint(f"{symbol} {step.resource.short_type} {step.resource.name}{_reasons(step)}", step.op, color)]
        if step.op == "create":
            body = changes({}, step.resource.inputs)
            body = [Change(c.path, c.old, c.new, new_unknown=c.path in step.resource.unknowns) for c in body]
        elif step.op == "delete":
            continue
        else:
            body = step.changes
        for c in body:
            for index, line in enumerate(_text_change(c, _TEXT_VALUE_WIDTH, created=step.op == "create")):
                kind = _LINE_KIND.get(line[2:3]) if index and line.startswith("  ") else None
                lines.append(paint(f"    {line}", kind, color))
    if result.outputs:
        lines += ["", "Outputs:"]
        lines += [f"    {line}" for c in result.outputs for line in _text_change(c, _TEXT_VALUE_WIDTH)]
    return "\n".join(lines) + "\n"


def _code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def _fence_safe(text: str) -> str:
    # A value holding a code fence would end the ```diff block early.
    return text.replace("```", "`\u200b``")


def _block(step: Step, body: list[str]) -> str:
    resource = step.resource
    head = f"**{OP_SYMBOLS[step.op]} {_code(resource.name)}** {_code(resource.short_type)}"
    if step.replace_reasons:
        head += " — replaced because of " + ", ".join(_code(r) for r in step.replace_reasons)
    if step.unknown_reasons:
        head += " — replacement unknown for " + ", ".join(_code(r) for r in step.unknown_reasons)
    if not body:
        return head + "\n"
    return head + "\n\n```diff\n" + "\n".join(body) + "\n```\n"


def _md(value: Any, unknown: bool = False) -> str:
    return _fence_safe(show(value, _MARKDOWN_VALUE_WIDTH, unknown))


def _created_body(resource: Resource) -> list[str]:
    body = []
    for c in changes({}, resource.inputs):
        if _is_text_change(c):
            body.append(f"+ {c.path}:")
            body += ["+ " + _fence_safe(line[1:]) for line in _changed_lines(c)]
        else:
            body.append(f"+ {c.path}: {_md(c.new, c.path in resource.unknowns)}")
    return body


def _updated_body(found: list[Change]) -> list[str]:
    body = []
    for c in found:
        body.append(f"  {c.path}{_effect_note(c)}")
        if _is_secret_change(c):
            body.append(f"! {REDACTED} changed")
            continue
        if _is_text_change(c) and not c.new_unknown:
            body += [line[0] + " " + _fence_safe(line[1:]) for line in _changed_lines(c)]
            continue
        if c.old is not MISSING:
            body.append(f"- {_md(c.old)}")
        if c.new is not MISSING:
            body.append(f"+ {_md(c.new, c.new_unknown)}")
    return body


def _section(title: str, blocks: list[str]) -> tuple[str, str]:
    """(opening, closing): folded in <details> when the section is long."""
    lines = sum(b.count("\n") for b in blocks)
    if lines > _FOLD_OVER_LINES:
        return f"<details><summary>{title}</summary>\n\n", "</details>\n\n"
    return f"#### {title}\n\n", "\n"


def render_markdown(result: Diff, limit: int = COMMENT_LIMIT) -> str:
    """A pull-request comment under `limit` characters: summary, warnings, then replaced, deleted,
    updated, created and outputs; when it must shorten, creates go first, then updates."""
    out = [f"### Preview diff: `{result.stack}`\n\n**{summary_line(result)}**\n\n"]
    if result.empty:
        out.append("No resource changes.\n")
        return "".join(out)
    if result.guarded:
        warning = "> [!WARNING]\n" + "".join(f"> {_guard_sentence(s)}.\n" for s in result.guarded) + "\n"
        out.append(warning)
    sections = [
        ("Replaced", [_block(s, _updated_body(s.changes)) for s in result.replaced]),
        ("Deleted", [_block(s, []) for s in result.deleted]),
        ("Updated", [_block(s, _updated_body(s.changes)) for s in result.updated]),
        ("Created", [_block(s, _created_body(s.resource)) for s in result.created]),
    ]
    if result.outputs:
        sections.append(("Outputs", ["```diff\n" + "\n".join(_updated_body(result.outputs)) + "\n```\n"]))
    # What is kept when space runs out: deletes and replacements first, creates last.
    priority = ["Replaced", "Deleted", "Outputs", "Updated", "Created"]
    budget = limit - 400 - sum(map(len, out))  # room for the note on what was left out
    rendered: dict[str, str] = {}
    left_out: dict[str, int] = {}
    for title in priority:
        blocks = dict(sections).get(title) or []
        if not blocks:
            continue
        count = len(blocks) if title != "Outputs" else len(result.outputs)
        opening, closing = _section(f"{title} ({count})", blocks)
        kept: list[str] = []
        used = len(opening) + len(closing)
        for index, block in enumerate(blocks):
            if used + len(block) + 1 > budget:
                left_out[title] = len(blocks) - index if title != "Outputs" else count
                break
            kept.append(block)
            used += len(block) + 1
        if kept:
            rendered[title] = opening + "\n".join(kept) + closing
            budget -= used
    out += [rendered[title] for title, _ in sections if title in rendered]
    if left_out:
        words = {"Replaced": "replaced", "Deleted": "deleted", "Updated": "updated", "Created": "created", "Outputs": "outputs"}
        what = ", ".join(f"{left_out[t]} {words[t]}" for t in priority if t in left_out)
        out.append(
            f"_Left out to stay under GitHub's {COMMENT_LIMIT:,}-character comment limit: {what}. "
            f"Run `make diff BASE=<base ref> STACK={result.stack}` for the full diff._\n"
        )
    return "".join(out)
