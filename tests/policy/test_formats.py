"""`showrunner policy` reads each JSON shape and writes the same violations JSON for all of them."""

from __future__ import annotations

import json

import pytest

from showrunner import cli, preview
from tests.policy.cases import PACKER_2015_UNTAGGED, POLICY, SG, TAGS, state, urn

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "v1:abc"}

BAD_POLICY = state(POLICY, "packer", {"policy": json.dumps(PACKER_2015_UNTAGGED)})
SSH_GROUP = state(SG, "hosts", {"ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}], "tags": TAGS})
CLEAN_GROUP = state(SG, "alb", {"ingress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}], "tags": TAGS})

EXPECTED = {
    "violations": [
        {
            "policyName": "iam-destructive-ec2-tag-scoped",
            "resourceUrn": urn(POLICY, "packer"),
            "message": 'Policy "packer": policy Statement[2] (Sid "PackerInstanceAccess") allows ec2:StopInstances, '
            "ec2:TerminateInstances, ec2:DeleteSnapshot, ec2:DetachVolume, ec2:DeleteVolume, ec2:ModifyImageAttribute "
            "(destructive: ec2:TerminateInstances, ec2:StopInstances, ec2:DeleteSnapshot, ec2:DetachVolume, "
            "ec2:DeleteVolume, ec2:ModifyImageAttribute) without a resource-tag condition; add one such as "
            '"Condition": {"StringEquals": {"aws:ResourceTag/ManagedBy": "pulumi"}}, as 2015\'s Packer policy did '
            'with Name = "Packer Builder"',
            "enforcementLevel": "mandatory",
        },
        {
            "policyName": "hosts-no-open-ingress",
            "resourceUrn": urn(SG, "hosts"),
            "message": 'SecurityGroup "hosts": ingress[0] opens port 22 (tcp), which includes SSH (22); remove it and '
            "reach hosts through SSM Session Manager",
            "enforcementLevel": "mandatory",
        },
    ]
}


def _preview_json() -> dict:
    """What `pulumi preview --json` writes: every op, old states, unknowns and masked secrets."""
    stack = "urn:pulumi:staging::showrunner::pulumi:pulumi:Stack::showrunner-staging"
    gone = state(POLICY, "old", {"policy": json.dumps({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}})})
    pending = state("aws:ec2/launchTemplate:LaunchTemplate", "lt", {"userData": UNKNOWN, "metadataOptions": {"httpTokens": "required"},
                    "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true"}}], "tags": TAGS})
    return {
        "config": {"aws:region": "us-east-1", "showrunner:secrets": "[secret]"},
        "steps": [
            {"op": "same", "urn": stack, "oldState": {"type": "pulumi:pulumi:Stack", "urn": stack}, "newState": {"type": "pulumi:pulumi:Stack", "urn": stack}},
            {"op": "create", "urn": "urn:pulumi:staging::showrunner::pulumi:providers:aws::default_7_51_1",
             "newState": {"type": "pulumi:providers:aws", "urn": "urn:pulumi:staging::showrunner::pulumi:providers:aws::default_7_51_1", "inputs": {"region": "us-east-1"}}},
            {"op": "update", "urn": BAD_POLICY["urn"], "oldState": BAD_POLICY, "newState": BAD_POLICY, "diffReasons": ["policy"]},
            {"op": "create", "urn": SSH_GROUP["urn"], "newState": SSH_GROUP},
            {"op": "same", "urn": CLEAN_GROUP["urn"], "oldState": CLEAN_GROUP, "newState": CLEAN_GROUP},
            {"op": "create", "urn": pending["urn"], "newState": pending},
            {"op": "delete", "urn": gone["urn"], "oldState": gone},
        ],
        "changeSummary": {"create": 3, "update": 1, "same": 2, "delete": 1},
    }


def _stack_export() -> dict:
    """What `pulumi stack export` writes: resources with ids, outputs and secret envelopes."""
    secret_param = {"type": "aws:ssm/parameter:Parameter", "urn": urn("aws:ssm/parameter:Parameter", "p"), "custom": True,
                    "id": "/showrunner/staging/django/SECRET_KEY", "inputs": {"type": "SecureString", "value": SECRET_SIG, "tags": TAGS},
                    "outputs": {"value": SECRET_SIG}}
    resources = [
        {"urn": "urn:pulumi:staging::showrunner::pulumi:pulumi:Stack::showrunner-staging", "custom": False, "type": "pulumi:pulumi:Stack"},
        {**BAD_POLICY, "id": "arn:aws:iam::123456789012:policy/packer", "outputs": {"arn": "arn:aws:iam::123456789012:policy/packer"}},
        {**SSH_GROUP, "id": "sg-0123456789abcdef0", "outputs": {}},
        {**CLEAN_GROUP, "id": "sg-0fedcba9876543210", "outputs": {}},
        secret_param,
    ]
    return {"version": 3, "deployment": {"manifest": {"time": "2026-01-01T00:00:00Z"}, "secrets_providers": {"type": "awskms"}, "resources": resources}}


@pytest.mark.parametrize("make_document", [_preview_json, _stack_export], ids=["preview-json", "stack-export"])
def test_round_trip(tmp_path, capsys, make_document):
    source, out = tmp_path / "in.json", tmp_path / "violations.json"
    source.write_text(json.dumps(make_document()))
    assert cli.main(["policy", str(source), "--json", str(out)]) == 1
    assert json.loads(out.read_text()) == EXPECTED
    printed = capsys.readouterr().out
    assert printed.startswith(f"{urn(POLICY, 'packer')}\n  [mandatory] iam-destructive-ec2-tag-scoped: ")
    assert "Policies: showrunner-policies (20 policies): 2 mandatory and 0 advisory violations in 2 of " in printed


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_round_trip_offline_preview_and_own_stacks_are_clean(tmp_path, capsys, stack_run, stack):
    document = preview.preview_document(stack_run(stack))
    source, out = tmp_path / "preview.json", tmp_path / "violations.json"
    source.write_text(preview.dumps(document))
    assert cli.main(["policy", str(source), "--json", str(out)]) == 0
    written = json.loads(out.read_text())
    assert [v for v in written["violations"] if v["enforcementLevel"] == "mandatory"] == []
    assert {v["enforcementLevel"] for v in written["violations"]} <= {"advisory"}


def test_bad_input_is_one_line(tmp_path, capsys):
    source = tmp_path / "other.json"
    source.write_text('{"hello": 1}')
    assert cli.main(["policy", str(source)]) == 2
    assert capsys.readouterr().err == (
        f"error: {source}: not a `pulumi preview --json`, `pulumi stack export` or offline preview document "
        "(expected `steps` or `deployment.resources`)\n"
    )
    source.write_text("{")
    assert cli.main(["policy", str(source)]) == 2
    assert capsys.readouterr().err == f"error: {source}: not JSON (Expecting property name enclosed in double quotes at line 1 column 2)\n"
