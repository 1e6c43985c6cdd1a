"""Every rule catches its bad cases and flags none of its good ones."""

from __future__ import annotations

import base64
import gzip

import pytest

from showrunner import policy
from showrunner_components.fleet.component import METADATA_HOP_LIMIT
from tests.policy.cases import CASES, PACKER_2015, PACKER_2015_UNTAGGED, POLICY, doc, state

RULE_NAMES = {rule.name for rule in policy.rules().RULES}


def violations(states: list[dict]) -> dict[str, list[str]]:
    report = policy.check_document({"steps": [{"op": "create", "urn": s["urn"], "newState": s} for s in states]})
    found: dict[str, list[str]] = {}
    for violation in report.violations:
        found.setdefault(violation.urn.rsplit("::", 1)[-1], []).append(violation.policy)
    return found


@pytest.mark.parametrize("states, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_case(states, expected):
    assert violations(states) == expected


def test_enough_cases_and_every_rule_has_good_and_bad():
    assert len(CASES) >= 40
    caught = {name for _, _, expected in CASES for names in expected.values() for name in names}
    assert caught == RULE_NAMES
    types_with_clean_cases = {s["type"] for _, states, expected in CASES if not expected for s in states}
    assert {"aws:iam/policy:Policy", "aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/securityGroup:SecurityGroup",
            "aws:ecr/repository:Repository", "aws:s3/bucket:Bucket", "aws:rds/instance:Instance"} <= types_with_clean_cases


def test_packer_2015_and_its_untagged_twin():
    assert violations([state(POLICY, "packer", {"policy": PACKER_2015})]) == {}
    report = policy.check_document({"steps": [{"op": "create", "newState": state(POLICY, "packer", {"policy": PACKER_2015_UNTAGGED})}]})
    [violation] = report.violations
    assert violation.enforcement == "mandatory"
    assert violation.message == (
        'Policy "packer": policy Statement[2] (Sid "PackerInstanceAccess") allows ec2:StopInstances, '
        "ec2:TerminateInstances, ec2:DeleteSnapshot, ec2:DetachVolume, ec2:DeleteVolume, ec2:ModifyImageAttribute "
        "(destructive: ec2:TerminateInstances, ec2:StopInstances, ec2:DeleteSnapshot, ec2:DetachVolume, "
        "ec2:DeleteVolume, ec2:ModifyImageAttribute) without a resource-tag condition; add one such as "
        '"Condition": {"StringEquals": {"aws:ResourceTag/ManagedBy": "pulumi"}}, as 2015\'s Packer policy did '
        'with Name = "Packer Builder"'
    )


@pytest.mark.parametrize(
    "pattern, action, expected",
    [
        ("ec2:*", "ec2:TerminateInstances", True),
        ("EC2:terminate*", "ec2:TerminateInstances", True),
        ("ec2:Terminate?nstances", "ec2:TerminateInstances", True),
        ("ec2:Terminate?", "ec2:TerminateInstances", False),
        ("ec2:Stop*", "ec2:StartInstances", False),
        ("*", "kms:Decrypt", True),
        ("kms:De*", "kms:Decrypt", True),
        ("kms:D.crypt", "kms:Decrypt", False),
        ("KMS:decrypt", "kms:Decrypt", True),
        ("kms:Decrypt", "kms:DecryptData", False),
        ("kms:Decrypt*", "kms:Decrypt", True),
        ("ec2:*Instances", "ec2:StopInstances", True),
        ("ec2:*Instances", "ec2:StopInstance", False),
    ],
)
def test_iam_wildcard_semantics(pattern, action, expected):
    assert policy.rules().action_matches(pattern, action) is expected


def test_messages_say_what_where_and_how():
    for _, states, expected in CASES:
        if not expected:
            continue
        report = policy.check_document({"steps": [{"op": "create", "newState": s} for s in states]})
        for violation in report.violations:
            label = violation.message.split(":", 1)[0]
            assert label.endswith(f'"{violation.urn.rsplit("::", 1)[-1]}"'), violation.message
            assert ";" in violation.message, f"no fix in: {violation.message}"


def test_secret_values_are_never_echoed():
    secret = "correct-horse-battery-staple"
    states = [state("aws:lambda/function:Function", "fn", {"environment": {"variables": {"API_TOKEN": secret}}})]
    report = policy.check_document({"steps": [{"op": "create", "newState": s} for s in states]})
    assert [v.policy for v in report.violations] == ["secrets-no-plaintext"]
    assert all(secret not in v.message for v in report.violations)


def test_deleted_resources_are_not_checked():
    bad = state(POLICY, "p", {"policy": doc({"Effect": "Allow", "Action": "*", "Resource": "*"})})
    assert policy.check_document({"steps": [{"op": "delete", "urn": bad["urn"], "oldState": bad}]}).violations == []


def test_the_imdsv1_advice_is_the_projects_hop_limit():
    report = policy.check_document({"steps": [{"op": "create", "newState": state(
        "aws:ec2/launchTemplate:LaunchTemplate", "lt", {"metadataOptions": {"httpTokens": "optional"},
                                                        "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true"}}]})}]})
    [violation] = report.violations
    assert violation.message == (
        'LaunchTemplate "lt": metadataOptions.httpTokens is "optional", so IMDSv1 stays open; set metadataOptions = '
        f'{{"httpTokens": "required", "httpPutResponseHopLimit": {METADATA_HOP_LIMIT}}} '
        "(2 only on hosts whose containers must call AWS themselves)"
    )
    assert METADATA_HOP_LIMIT == 1


CLOUD_CONFIG = "#cloud-config\nruncmd:\n- echo héllo\n"


@pytest.mark.parametrize(
    "value, expected",
    [
        (base64.b64encode(CLOUD_CONFIG.encode()).decode(), CLOUD_CONFIG),
        (base64.encodebytes((CLOUD_CONFIG * 10).encode()).decode(), CLOUD_CONFIG * 10),  # wrapped at 76 columns
        (base64.b64encode(gzip.compress(CLOUD_CONFIG.encode(), mtime=0)).decode(), CLOUD_CONFIG),
        ("#cloud-config\nruncmd: []\n", None),  # plain text
        ("echo hello world again", None),  # only base64 letters and spaces, yet text
        ("AKIAIOSFODNN7EXAMPLE", None),  # decodes, but not to UTF-8 text
        (base64.b64encode(CLOUD_CONFIG.encode()).decode()[:-1], None),  # truncated
        ("[secret]", None),
        (None, None),
    ],
)
def test_user_data_decoding(value, expected):
    assert policy.rules().decode_user_data(value) == expected
