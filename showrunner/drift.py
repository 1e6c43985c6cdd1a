"""Drift that means drift: `pulumi preview --refresh --json` split into the expected AMI roll and the rest.

Every week Image Builder publishes a new golden AMI and writes its id to the SSM parameter the
program reads. Until the next `pulumi up`, a refreshing preview shows each fleet's launch template
taking the new `imageId` and its Auto Scaling group the template's new version: an expected roll,
not drift. Anything else that would change is drift: someone changed a resource outside Pulumi, or
the code and the stack disagree. Only that opens an issue.

`classify` is a pure function of the preview document (the `pulumi preview --json` shape: `steps[]`
with `op`, `urn`, `oldState`/`newState`, `diffReasons`, `detailedDiff`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from showrunner.policy import read_json

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
GROUP = "aws:autoscaling/group:Group"
STACK = "pulumi:pulumi:Stack"
NO_CHANGE = frozenset({"same", "read", "refresh", "discard"})
"""Step ops that change nothing (a refresh only reads; the changes it finds show as later steps)."""
AMI_PATHS = frozenset({"imageId"})
"""What an AMI roll changes on a launch template."""
VERSION_PATHS = frozenset({"launchTemplate.version", "mixedInstancesPolicy.launchTemplate.launchTemplateSpecification.version"})
"""What it changes on the template's group: the template version the group follows."""


class DocumentError(Exception):
    """A file that is not a `pulumi preview --json` document; the message is one line."""


@dataclass(frozen=True)
class Change:
    op: str
    urn: str
    type: str
    paths: tuple[str, ...]
    """The properties that change (the detailed diff's paths, else the diff reasons); empty when unknown."""
    old: dict = field(default_factory=dict, compare=False)
    new: dict = field(default_factory=dict, compare=False)

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    @property
    def parent(self) -> str | None:
        return self.new.get("parent") or self.old.get("parent")

    def describe(self) -> str:
        what = f"{self.op} {self.type} {self.name}"
        return f"{what}: {', '.join(self.paths)}" if self.paths else what


@dataclass
class DriftReport:
    stack: str
    expected: list[Change]
    """The AMI roll: launch templates taking the new golden AMI, and their groups the new version."""
    unexpected: list[Change]

    @property
    def drifted(self) -> bool:
        return bool(self.unexpected)


def _change(step: dict) -> Change:
    old, new = step.get("oldState") or {}, step.get("newState") or {}
    detailed = step.get("detailedDiff")
    paths = sorted(detailed) if isinstance(detailed, dict) and detailed else sorted(step.get("diffReasons") or [])
    urn = step.get("urn") or new.get("urn") or old.get("urn") or ""
    kind = new.get("type") or old.get("type") or (urn.split("::")[2] if urn.count("::") >= 3 else "")
    return Change(step.get("op", ""), urn, kind, tuple(paths), old, new)


def _is_ami_roll(change: Change) -> bool:
    return change.type == LAUNCH_TEMPLATE and change.op == "update" and bool(change.paths) and set(change.paths) <= AMI_PATHS


def classify(document: Any) -> DriftReport:
    """The expected AMI roll apart from every other change a refreshing preview would make."""
    steps = document.get("steps") if isinstance(document, dict) else None
    if not isinstance(steps, list):
        raise DocumentError("not a `pulumi preview --json` document (it has no `steps` list)")
    changes = [_change(step) for step in steps if isinstance(step, dict) and step.get("op") not in NO_CHANGE]
    stack = next((s.get("urn", "").split(":")[2] for s in steps if isinstance(s, dict) and s.get("urn", "").count(":") > 3), "")
    rolled = {c.parent for c in changes if _is_ami_roll(c)}
    expected, unexpected = [], []
    for change in changes:
        if change.type == STACK and change.op == "update":
            continue  # the stack's outputs (golden_ami_id): not a resource
        follows = change.type == GROUP and change.op == "update" and change.parent in rolled and bool(change.paths) and set(change.paths) <= VERSION_PATHS
        (expected if _is_ami_roll(change) or follows else unexpected).append(change)
    return DriftReport(stack, expected, unexpected)


def load(path: Path) -> DriftReport:
    document = read_json(path, DocumentError)
    try:
        return classify(document)
    except DocumentError as error:
        raise DocumentError(f"{path}: {error}") from None


def _roll_lines(report: DriftReport) -> list[str]:
    lines = []
    for change in report.expected:
        if change.type == LAUNCH_TEMPLATE:
            old, new = change.old.get("inputs", {}).get("imageId"), change.new.get("inputs", {}).get("imageId")
            lines.append(f"{change.name}: imageId {old or '?'} → {new or '?'}")
        else:
            lines.append(f"{change.name}: follows its launch template's new version")
    return lines


def render_text(report: DriftReport) -> str:
    lines = []
    if report.unexpected:
        lines.append(f"drift in stack {report.stack}: {len(report.unexpected)} unexpected change(s)")
        lines += [f"  {change.describe()}" for change in report.unexpected]
    else:
        lines.append(f"no drift in stack {report.stack}")
    if report.expected:
        lines.append("expected: the golden AMI rolled; the next `pulumi up` replaces the hosts (instance refresh):")
        lines += [f"  {line}" for line in _roll_lines(report)]
    return "\n".join(lines) + "\n"


def render_markdown(report: DriftReport, run_url: str | None = None) -> str:
    """The body of the drift issue (or of a comment on it): what changed, and what was expected."""
    if not report.unexpected:
        out = [f"No drift in stack `{report.stack}`."]
    else:
        out = [f"`pulumi preview --refresh` found {len(report.unexpected)} change(s) in stack `{report.stack}` that neither "
               "its code nor the weekly golden-AMI roll explains:\n"]
    out += [f"- `{change.op}` `{change.type}` **{change.name}**" + (f": `{'`, `'.join(change.paths)}`" if change.paths else "")
            for change in report.unexpected]
    if report.expected:
        out.append("\nAlso pending, and expected (the golden AMI rolled; the next `pulumi up` replaces the hosts):\n")
        out += [f"- {line}" for line in _roll_lines(report)]
    if run_url:
        out.append(f"\nRun: {run_url}")
    return "\n".join(out) + "\n"
