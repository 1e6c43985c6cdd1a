"""The stack's permissions boundary: what any role the deploy role creates may at most do."""

from __future__ import annotations

import json

from showrunner import policy
from showrunner_components.permissions_boundary.documents import boundary_name, boundary_policy
from tests.conftest import by_type, one

KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_the_boundary_names_only_this_stacks_resources_and_denies_identity_changes():
    document = boundary_policy(partition="aws", region="us-east-1", account="123456789012", stack="prod",
                               repository_prefix="showrunner/prod", key_arns=[KEY])
    statements = {s["Sid"]: s for s in document["Statement"]}
    assert statements["StackRepositories"]["Resource"] == "arn:aws:ecr:us-east-1:123456789012:repository/showrunner/prod/*"
    assert statements["StackParameters"]["Resource"] == [
        "arn:aws:ssm:us-east-1:123456789012:parameter/showrunner/prod/*",
        "arn:aws:ssm:us-east-1:123456789012:parameter/imagebuilder/showrunner/prod/*",
        "arn:aws:ssm:us-east-1::parameter/aws/service/*",
    ]
    assert statements["StackQueues"]["Resource"] == "arn:aws:sqs:us-east-1:123456789012:showrunner-prod-*"
    assert statements["StackTables"]["Resource"] == "arn:aws:dynamodb:us-east-1:123456789012:table/showrunner-prod-*"
    assert statements["StackKeys"] == {"Sid": "StackKeys", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": [KEY]}
    assert document["Statement"][-1] == {"Sid": "NoIdentityChanges", "Effect": "Deny",
                                         "Action": ["iam:*", "sts:*", "organizations:*", "account:*"], "Resource": "*"}
    assert not any(a.startswith(("iam:", "sts:")) for s in document["Statement"] if s["Effect"] == "Allow" for a in s["Action"] if isinstance(s["Action"], list))
    assert boundary_name("prod") == "showrunner-prod-boundary"


def test_the_boundary_is_rendered_and_passes_the_pack(stack_run):
    run = stack_run("prod")
    rendered = one(run, "aws:iam/policy:Policy", "delivery-boundary-policy").inputs
    assert rendered["name"] == "showrunner-prod-boundary"
    assert json.loads(rendered["policy"]) == boundary_policy(
        partition="aws", region="us-east-1", account="123456789012", stack="prod",
        repository_prefix="showrunner/prod", key_arns=[run.outputs["secrets_key_arn"]])
    report = policy.check([r for r in policy.resources_of({"steps": [{"op": "create", "newState": {
        "type": "aws:iam/policy:Policy", "urn": "urn:pulumi:prod::showrunner::aws:iam/policy:Policy::b", "inputs": rendered}}]})])
    assert report.mandatory == []
    assert len(by_type(run, "aws:iam/policy:Policy")) == 1
