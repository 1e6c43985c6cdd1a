"""The nightly drift check: the weekly golden-AMI roll is expected, anything else is drift.

The previews are prod's real resources (its offline preview) as an existing stack would preview
them: every step `same`, then the changes a refresh would find, in `pulumi preview --json`'s
shape (`op`, `oldState`/`newState`, `diffReasons`, `detailedDiff`).
"""

from __future__ import annotations

import copy
import json

import pytest

from showrunner import cli, drift, preview

NEW_AMI = "ami-0fedcba9876543210"
FLEETS = ("micro", "ops", "worker", "www")


@pytest.fixture(scope="module")
def deployed(stack_run):
    """prod as deployed: every resource unchanged."""
    document = preview.preview_document(stack_run("prod"))
    return {"steps": [{"op": "same", "urn": s["urn"], "oldState": s["newState"], "newState": s["newState"]} for s in document["steps"]],
            "changeSummary": {"same": len(document["steps"])}}


def change(document: dict, name: str, op: str = "update", paths: dict[str, str] | None = None, **inputs) -> dict:
    """`name`'s step as a preview reports a change: new inputs, the detailed diff's paths."""
    document = copy.deepcopy(document)
    step = next(s for s in document["steps"] if s["urn"].endswith(f"::{name}"))
    step["op"] = op
    step["newState"] = {**step["newState"], "inputs": {**step["newState"]["inputs"], **inputs}}
    step["detailedDiff"] = {path: {"kind": kind, "inputDiff": True} for path, kind in (paths or {}).items()}
    step["diffReasons"] = sorted({path.split(".")[0] for path in paths or {}})
    return document


def ami_roll(document: dict) -> dict:
    """What a refreshing preview shows the week Image Builder published a new AMI."""
    for fleet in FLEETS:
        document = change(document, f"{fleet}-lt", paths={"imageId": "update"}, imageId=NEW_AMI)
        group = next(s for s in document["steps"] if s["urn"].endswith(f"::{fleet}-asg"))["newState"]["inputs"]
        version = ("mixedInstancesPolicy.launchTemplate.launchTemplateSpecification.version" if "mixedInstancesPolicy" in group
                   else "launchTemplate.version")
        document = change(document, f"{fleet}-asg", paths={version: "update"})
    return document


def test_nothing_changed_is_no_drift(deployed):
    report = drift.classify(deployed)
    assert (report.stack, report.expected, report.unexpected) == ("prod", [], [])
    assert drift.render_text(report) == "no drift in stack prod\n"


def test_the_weekly_ami_roll_is_expected_and_opens_nothing(deployed):
    report = drift.classify(ami_roll(deployed))
    assert not report.drifted
    assert sorted(c.name for c in report.expected) == sorted([f"{f}-lt" for f in FLEETS] + [f"{f}-asg" for f in FLEETS])
    # Both shapes of group: ops has one instance type (launchTemplate), the others a mixed-instances policy.
    assert {c.paths for c in report.expected if c.type == drift.GROUP} == {
        ("launchTemplate.version",), ("mixedInstancesPolicy.launchTemplate.launchTemplateSpecification.version",)}
    text = drift.render_text(report)
    assert text.startswith("no drift in stack prod\nexpected: the golden AMI rolled; the next `pulumi up` replaces the hosts")
    current = next(s for s in deployed["steps"] if s["urn"].endswith("::www-lt"))["oldState"]["inputs"]["imageId"]
    assert f"  www-lt: imageId {current} → {NEW_AMI}\n" in text


def test_a_change_beside_the_roll_is_drift_and_only_it_is_reported_as_such(deployed):
    document = change(ami_roll(deployed), "www-sg-in-django", paths={"fromPort": "update", "toPort": "update"}, fromPort=22, toPort=22)
    report = drift.classify(document)
    assert report.drifted and [c.describe() for c in report.unexpected] == [
        "update aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule www-sg-in-django: fromPort, toPort"]
    assert len(report.expected) == 8
    body = drift.render_markdown(report, "https://github.com/acme/showrunner/actions/runs/7")
    assert body.splitlines()[:3] == [
        "`pulumi preview --refresh` found 1 change(s) in stack `prod` that neither its code nor the weekly golden-AMI roll explains:",
        "",
        "- `update` `aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule` **www-sg-in-django**: `fromPort`, `toPort`",
    ]
    assert "Also pending, and expected (the golden AMI rolled" in body and body.endswith("Run: https://github.com/acme/showrunner/actions/runs/7\n")


@pytest.mark.parametrize("edit, unexpected", [
    # The template takes the AMI and something else: the whole change is drift.
    (lambda d: change(d, "www-lt", paths={"imageId": "update", "userData": "update"}, imageId=NEW_AMI), ["www-lt"]),
    # A group's template version moves with no AMI roll of its template.
    (lambda d: change(d, "ops-asg", paths={"launchTemplate.version": "update"}), ["ops-asg"]),
    # ... nor when another fleet's template rolled: a group follows its own fleet's template only.
    (lambda d: change(change(d, "www-lt", paths={"imageId": "update"}, imageId=NEW_AMI), "ops-asg",
                      paths={"launchTemplate.version": "update"}), ["ops-asg"]),
    # The group's size changed outside Pulumi, in the roll's week.
    (lambda d: change(ami_roll(d), "www-asg", paths={"maxSize": "update", "mixedInstancesPolicy.launchTemplate.launchTemplateSpecification.version": "update"}), ["www-asg"]),
    # Deleted outside Pulumi: the refresh drops it and the preview would create it again.
    (lambda d: change(d, "state-mysql", op="create"), ["state-mysql"]),
    (lambda d: change(d, "web-alb", op="replace", paths={"internal": "update-replace"}), ["web-alb"]),
])
def test_everything_else_is_drift(deployed, edit, unexpected):
    report = drift.classify(edit(deployed))
    assert [c.name for c in report.unexpected] == unexpected


def test_a_change_without_a_detailed_diff_falls_back_to_its_reasons(deployed):
    document = ami_roll(deployed)
    for step in document["steps"]:
        step.pop("detailedDiff", None)
    # The top-level reasons (`launchTemplate`, `mixedInstancesPolicy`) cannot prove a version-only change.
    report = drift.classify(document)
    assert sorted(c.name for c in report.expected) == [f"{f}-lt" for f in FLEETS]
    assert sorted(c.name for c in report.unexpected) == [f"{f}-asg" for f in FLEETS]


def test_the_cli_exits_1_on_drift_writes_the_issue_body_and_2_on_a_bad_file(deployed, tmp_path, capsys):
    path = tmp_path / "prod.json"
    path.write_text(json.dumps(ami_roll(deployed)))
    assert cli.main(["drift", str(path)]) == 0
    path.write_text(json.dumps(change(deployed, "web-alb", paths={"idleTimeout": "update"}, idleTimeout=30)))
    body = tmp_path / "prod.md"
    assert cli.main(["drift", str(path), "--markdown", str(body), "--run-url", "https://ci.example/1"]) == 1
    assert "**web-alb**: `idleTimeout`" in body.read_text()
    capsys.readouterr()
    path.write_text('{"changeSummary": {}}')
    assert cli.main(["drift", str(path)]) == 2
    assert capsys.readouterr().err == f"error: {path}: not a `pulumi preview --json` document (it has no `steps` list)\n"
