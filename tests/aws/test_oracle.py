"""The tier's own machinery: each piece catches what it is there to catch.

These build small cases on the real rendered stack and AWS's real data, so a tier that stopped
checking (a request never simulated, a context key never supplied) fails here.
"""

from __future__ import annotations

import pytest

from tests.aws import check, reference, requests, simulator, stacks


def _principal(statements: list[dict]) -> dict:
    return {"t": {"arn": "arn:aws:sts::123456789012:assumed-role/t/s",
                  "identityPolicies": [{"name": "p", "policy": {"Version": "2012-10-17", "Statement": statements}}]}}


def test_a_request_tag_condition_allows_the_new_subnet_and_not_its_vpc():
    prod = check.stack("prod")
    subnet = prod.of_type("aws:ec2/subnet:Subnet")[0]
    built = [r for r in requests.Builder(prod).phase("t", subnet, requests.CREATE) if r.action == "ec2:CreateSubnet"]
    assert sorted(r.resource.split(":")[-1].split("/")[0] for r in built) == ["subnet", "vpc"]
    policy = _principal([{"Effect": "Allow", "Action": "ec2:CreateSubnet", "Resource": "*",
                          "Condition": {"StringEquals": {"aws:RequestTag/Environment": "prod"}}}])
    decided = {d.request.resource.split(":")[-1].split("/")[0]: d.decision for d in simulator.simulate(policy, built, prod.account)}
    assert decided == {"subnet": "Allowed", "vpc": "ImplicitlyDenied"}


def test_tag_on_create_carries_the_create_action_and_no_resource_tag():
    prod = check.stack("prod")
    vpc = prod.of_type("aws:ec2/vpc:Vpc")[0]
    [tagging] = [r for r in requests.Builder(prod).phase("t", vpc, requests.CREATE) if r.action == "ec2:CreateTags"]
    context = dict(tagging.context)
    assert context["ec2:CreateAction"] == "CreateVpc"
    assert context["aws:RequestTag/Environment"] == "prod"
    assert not any(k.startswith("aws:ResourceTag/") for k in context)


def test_pass_role_names_the_service_it_is_passed_to():
    prod = check.stack("prod")
    [infrastructure] = prod.of_type("aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration")
    passes = [r for r in requests.Builder(prod).phase("t", infrastructure, requests.CREATE) if r.action == "iam:PassRole"]
    assert [dict(r.context).get("iam:PassedToService") for r in passes] == ["ec2.amazonaws.com"]
    assert passes[0].resource.startswith("arn:aws:iam::123456789012:role/")


def test_an_unknown_type_fails_naming_it_and_where_to_add_it():
    prod = check.stack("prod")
    odd = stacks.Resource("urn:x", "aws:foo/bar:Bar", "b", {}, "b", {}, [], "")
    fake = stacks.Stack("prod", prod.account, prod.region, [*prod.resources, odd])
    [message] = stacks.unknown_types(fake)
    assert message.startswith("aws:foo/bar:Bar: not in tests/aws/data/resource-types.json")


@pytest.mark.parametrize("arn, matches", [
    ("arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/showrunner-prod-golden/1.0.1", True),
    ("arn:aws:imagebuilder:us-east-1:123456789012:imagerecipe/showrunner-prod-golden/1.0.1", False),
])
def test_arn_formats_come_from_the_reference(arn, matches):
    fmt = reference.resource_type("imagebuilder:imagerecipe")["arn"]
    assert bool(reference.arn_regex(fmt).fullmatch(arn)) is matches


def test_a_cross_field_rule_of_the_api_is_caught():
    prod = check.stack("prod")
    [infrastructure] = prod.of_type("aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration")
    bare = stacks.Resource(infrastructure.urn, infrastructure.type, infrastructure.name,
                           {**infrastructure.inputs, "subnetId": "subnet-1", "securityGroupIds": []}, infrastructure.id, {}, [], "")
    fake = stacks.Stack("prod", prod.account, prod.region, [bare])
    assert any("subnetId without securityGroupIds" in p for p in check.inputs.cross_field_problems(fake))


def test_botocore_ranges_and_enums_are_enforced():
    prod = check.stack("prod")
    group = prod.of_type("aws:lb/targetGroup:TargetGroup")[0]
    odd = stacks.Resource(group.urn, group.type, group.name, {**group.inputs, "port": 0, "protocol": "HTTP3"}, group.id, {}, [], "")
    problems = check.inputs.api_problems(odd)
    assert any("port is 0, under 1" in p for p in problems), problems
    assert any("protocol is 'HTTP3', not one of HTTP, HTTPS" in p for p in problems), problems


def test_the_deny_list_would_catch_a_role_that_may_do_everything():
    prod, staging = check.stack("prod"), check.stack("staging")
    denials = requests.deploy_denials(prod, staging, check.provider_keys())
    deploy = requests.role_of_kind(prod, "deploy").name
    everything = _principal([{"Effect": "Allow", "Action": "*", "Resource": "*"}])
    everything[deploy] = everything.pop("t")
    decided = simulator.simulate(everything, [d.request for d in denials], prod.account)
    rules = {d.rule for d in denials}
    assert rules == {"no role without the boundary", "the boundary stays", "not its own grants",
                     "only what is tagged as the stack's", "not another stack's secrets"}
    # Every request is well-formed (an ARN of the action's resource type, known keys) and a role
    # that may do everything is allowed each one: the tier's Deny is the policies' doing.
    assert [d for d in decided if d.decision == "Error"] == []
    assert all(d.allowed for d in decided)


def test_prod_secrets_are_out_of_every_pull_requests_reach_and_a_trusting_role_would_be_caught():
    prod = check.stack("prod")
    preview = requests.role_of_kind(prod, "preview")
    assert not preview.assumable_by(f"repo:{check.repository('prod')}:pull_request")
    assert preview.assumable_by(f"repo:{check.repository('prod')}:ref:refs/heads/main")
    staging_preview = requests.role_of_kind(check.stack("staging"), "preview")
    assert staging_preview.assumable_by(f"repo:{check.repository('staging')}:pull_request")
    # Trusted by pull requests, prod's preview role would be on the list, with every read of a prod secret.
    trusting = requests.Role(preview.resource, preview.arn, [{"Principal": {"Federated": "x"}, "Condition": {
        "StringLike": {"token.actions.githubusercontent.com:sub": [f"repo:{check.repository('prod')}:*"]}}}], preview.policies)
    reads = requests.secret_reads(prod, preview.name, check.provider_keys()["prod"])
    assert trusting.assumable_by(f"repo:{check.repository('prod')}:pull_request")
    assert {r.action for r in reads} >= {"ssm:GetParameter", "ssm:GetParametersByPath", "secretsmanager:GetSecretValue", "kms:Decrypt"}
