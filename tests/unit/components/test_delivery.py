"""Delivery IAM: exact documents, the resources a stack gets, and that they pass the policy pack."""

from __future__ import annotations

import dataclasses
import json

import pytest

from showrunner_components.delivery import policies as delivery
from showrunner.config import ConfigError, load_settings
from showrunner import policy, preview
from tests.conftest import by_type, one

SCOPE = delivery.Scope(
    account_id="123456789012",
    region="us-east-1",
    stack="prod",
    state_bucket="showrunner-pulumi-state",
    key_arns=("arn:aws:kms:us-east-1:123456789012:key/1111",),
)


def test_trust_policy_is_exact():
    assert delivery.trust_policy("arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
                                 delivery.deploy_subjects("acme/showrunner", "prod")) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                    "StringLike": {"token.actions.githubusercontent.com:sub": ["repo:acme/showrunner:environment:prod"]},
                },
            }
        ],
    }
    assert delivery.preview_subjects("acme/showrunner") == ["repo:acme/showrunner:pull_request", "repo:acme/showrunner:ref:refs/heads/main"]


def test_preview_policy_is_exact():
    assert delivery.preview_policy(SCOPE) == {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Read", "Effect": "Allow", "Action": list(delivery.READ_ACTIONS), "Resource": "*"},
            {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {"Sid": "ReadStackBuckets", "Effect": "Allow", "Action": list(delivery.BUCKET_READ_ACTIONS), "Resource": "arn:aws:s3:::showrunner-prod-*"},
            {"Sid": "StateList", "Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:ListBucket"], "Resource": "arn:aws:s3:::showrunner-pulumi-state"},
            {"Sid": "StateObjects", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::showrunner-pulumi-state/*"},
            {"Sid": "StateLocks", "Effect": "Allow", "Action": ["s3:DeleteObject", "s3:PutObject"], "Resource": "arn:aws:s3:::showrunner-pulumi-state/.pulumi/locks/*"},
            {"Sid": "StackParameters", "Effect": "Allow", "Action": ["ssm:GetParameter", "ssm:GetParameters"],
             "Resource": ["arn:aws:ssm:us-east-1:123456789012:parameter/showrunner/prod/*", "arn:aws:ssm:us-east-1:123456789012:parameter/imagebuilder/showrunner/prod/*"]},
            {"Sid": "PublicParameters", "Effect": "Allow", "Action": ["ssm:GetParameter", "ssm:GetParameters"], "Resource": "arn:aws:ssm:us-east-1::parameter/aws/service/*"},
            {"Sid": "StackKeys", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": ["arn:aws:kms:us-east-1:123456789012:key/1111"]},
            # build_on_preview: a preview builds changed images, pulling parents and the registry cache.
            {"Sid": "PullStackImages", "Effect": "Allow",
             "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
             "Resource": "arn:aws:ecr:us-east-1:123456789012:repository/*",
             "Condition": {"StringEquals": {"aws:ResourceTag/ManagedBy": "pulumi", "aws:ResourceTag/Environment": "prod"}}},
            {"Sid": "ReadObservability", "Effect": "Allow", "Action": list(delivery.OBSERVABILITY_READ_ACTIONS), "Resource": "*"},
        ],
    }
    # Reads never reach an object, an item or a secret.
    assert not any(a.startswith(("s3:GetObject", "dynamodb:GetItem", "secretsmanager:", "ssm:GetParameter")) for a in delivery.READ_ACTIONS)


def test_preview_policy_changes_nothing():
    actions = [a for s in delivery.preview_policy(SCOPE)["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]
    writes = [a for a in actions if not a.split(":")[1].startswith(("Describe", "Get", "List", "BatchGet", "BatchCheck"))]
    # The backend's lock file, and decrypting the stack's config secrets (which any preview does).
    assert writes == ["s3:DeleteObject", "s3:PutObject", "kms:Decrypt"]


def test_deploy_policy_statements():
    own = ["arn:aws:iam::123456789012:role/delivery-preview", "arn:aws:iam::123456789012:role/delivery-deploy"]
    boundary = "arn:aws:iam::123456789012:policy/showrunner-prod-boundary"
    scope = dataclasses.replace(SCOPE, boundary_arn=boundary)
    document = delivery.deploy_policy(scope, ["arn:aws:iam::123456789012:role/www-role"], own)
    statements = {s["Sid"]: s for s in document["Statement"]}
    assert list(statements) == [
        "Read", "EcrLogin", "ReadStackBuckets", "CreateTagged", "TagOnCreateEc2", "TagOnCreateElb", "ManageTagged", "PassNamedRoles",
        "LaunchInterfacesAndImages", "StackAliases", "TargetTrackingAlarms", "StoreSnapshotsAndMembers", "DefaultCacheParameters",
        "DatabasePasswordSecrets", "StackBuckets", "CreateBoundedRoles", "ManageBoundedRoles", "NoRoleWithoutTheBoundary",
        "TheBoundaryStays", "ServiceLinkedRoles", "StateList", "StateObjects", "StackParameters", "PublicParameters",
        "CreateStackParameters", "ManageStackParameters", "StackKeys", "PullStackImages",
        "ReadObservability", "SubscribeToAlertTopic", "CreateFailedBuildRule", "ManageFailedBuildRule", "WriteDashboard", "CreateTaggedAlarms", "ManageTaggedObservability", "NoAdministrators", "NotItsOwnGrants",
    ]
    # The topic and rule by their names and tags, the dashboard (untagged) by its name; new alarms by the tags their request carries.
    assert statements["SubscribeToAlertTopic"]["Resource"] == "arn:aws:sns:us-east-1:123456789012:showrunner-prod-*"
    assert statements["SubscribeToAlertTopic"]["Condition"] == statements["ManageFailedBuildRule"]["Condition"] == statements["ManageTagged"]["Condition"]
    assert statements["ManageFailedBuildRule"]["Resource"] == "arn:aws:events:us-east-1:123456789012:rule/showrunner-prod-*"
    assert statements["WriteDashboard"]["Resource"] == "arn:aws:cloudwatch::123456789012:dashboard/showrunner-prod"
    assert statements["CreateTaggedAlarms"]["Condition"] == {
        "StringEquals": {"aws:RequestTag/ManagedBy": "pulumi", "aws:RequestTag/Environment": "prod"}, "Null": {"aws:ResourceTag/Environment": "true"}}
    promoted = delivery.deploy_policy(SCOPE, [], own, ["arn:aws:ecr:us-east-1:123456789012:repository/showrunner/staging/www"])
    assert {s["Sid"]: s for s in promoted["Statement"]}["TagReleases"] == {
        "Sid": "TagReleases", "Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:PutImage"],
        "Resource": ["arn:aws:ecr:us-east-1:123456789012:repository/showrunner/staging/www"]}
    # Pushing is ManageTagged's; a build also pulls its parent and the registry cache.
    assert statements["PullStackImages"]["Action"] == ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    assert {"ecr:PutImage", "ecr:InitiateLayerUpload"} <= set(statements["ManageTagged"]["Action"])
    tag_scope = {"StringEquals": {"aws:ResourceTag/ManagedBy": "pulumi", "aws:ResourceTag/Environment": "prod"}}
    request_tags = {"aws:RequestTag/ManagedBy": "pulumi", "aws:RequestTag/Environment": "prod"}
    assert statements["ManageTagged"]["Condition"] == tag_scope
    # A new resource: tagged as this stack's by the request, and with no tags of its own yet.
    assert statements["CreateTagged"]["Condition"] == {"StringEquals": request_tags, "Null": {"aws:ResourceTag/Environment": "true"}}
    assert statements["TagOnCreateEc2"]["Condition"]["StringEquals"]["ec2:CreateAction"][:2] == ["AllocateAddress", "CreateInternetGateway"]
    assert statements["CreateBoundedRoles"]["Condition"] == {"StringEquals": {**request_tags, "iam:PermissionsBoundary": boundary}}
    assert statements["ManageBoundedRoles"]["Condition"] == {"StringEquals": {**tag_scope["StringEquals"], "iam:PermissionsBoundary": boundary}}
    assert statements["NoRoleWithoutTheBoundary"] == {
        "Sid": "NoRoleWithoutTheBoundary", "Effect": "Deny", "Action": list(delivery.UNBOUNDED_DENIED), "Resource": "*",
        "Condition": {"StringNotEquals": {"iam:PermissionsBoundary": boundary}}}
    assert statements["PassNamedRoles"]["Resource"] == ["arn:aws:iam::123456789012:role/www-role"]
    assert statements["NotItsOwnGrants"] == {"Sid": "NotItsOwnGrants", "Effect": "Deny", "Action": ["iam:*"], "Resource": sorted([*own, boundary])}
    assert not any(a.startswith("iam:") for a in statements["CreateTagged"]["Action"] if a not in ("iam:CreateInstanceProfile", "iam:TagInstanceProfile", "iam:TagRole"))
    assert "PassNamedRoles" not in {s["Sid"] for s in delivery.deploy_policy(scope, [], own)["Statement"]}
    # No boundary: no role at all.
    unbounded = {s["Sid"]: s for s in delivery.deploy_policy(SCOPE, [], own)["Statement"]}
    assert "CreateBoundedRoles" not in unbounded and unbounded["NoRoles"]["Effect"] == "Deny"


def test_every_arn_names_the_partition():
    scope = delivery.Scope("123456789012", "cn-north-1", "prod", "state", ("arn:aws-cn:kms:cn-north-1:123456789012:key/1111",), partition="aws-cn")
    own = ["arn:aws-cn:iam::123456789012:role/delivery-deploy"]
    documents = [delivery.preview_policy(scope), delivery.deploy_policy(scope, ["arn:aws-cn:iam::123456789012:role/www-role"], own)]
    resources = [r for d in documents for s in d["Statement"] for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])]
    conditions = [a for d in documents for s in d["Statement"] for a in s.get("Condition", {}).get("ArnEquals", {}).get("iam:PolicyARN", [])]
    arns = [r for r in resources + conditions if r != "*"]
    assert arns and all(arn.startswith("arn:aws-cn:") for arn in arns), [a for a in arns if not a.startswith("arn:aws-cn:")]
    assert "arn:aws-cn:iam::aws:policy/AdministratorAccess" in conditions
    assert "arn:aws-cn:s3:::state/*" in resources and "arn:aws-cn:ssm:cn-north-1::parameter/aws/service/*" in resources


SHARED_PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_stack_gets_provider_and_two_roles_that_pass_the_pack(stack_run, stack):
    run = stack_run(stack)
    assert [r.name for r in by_type(run, "showrunner:index:Delivery")] == ["delivery"]
    providers = by_type(run, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    deploy = one(run, "aws:iam/role:Role", "delivery-deploy")
    trust = json.loads(deploy.inputs["assumeRolePolicy"])
    if stack == "staging":
        # The account's one GitHub provider; prod, in the same account, trusts it (Pulumi.prod.yaml).
        [provider] = providers
        assert provider.inputs["url"] == "https://token.actions.githubusercontent.com"
        assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    else:
        assert providers == [] and trust["Statement"][0]["Principal"]["Federated"] == SHARED_PROVIDER
    assert trust["Statement"][0]["Condition"]["StringLike"] == {
        "token.actions.githubusercontent.com:sub": [f"repo:showrunner-tv/showrunner:environment:{stack}"]}
    preview_trust = json.loads(one(run, "aws:iam/role:Role", "delivery-preview").inputs["assumeRolePolicy"])
    # A production stack's pull requests preview offline: its preview role trusts main only.
    assert preview_trust["Statement"][0]["Condition"]["StringLike"]["token.actions.githubusercontent.com:sub"] == (
        ["repo:showrunner-tv/showrunner:ref:refs/heads/main"] if stack == "prod"
        else ["repo:showrunner-tv/showrunner:pull_request", "repo:showrunner-tv/showrunner:ref:refs/heads/main"])

    deploy_policy = json.loads(one(run, "aws:iam/rolePolicy:RolePolicy", "delivery-deploy-policy").inputs["policy"])
    passed = next(s for s in deploy_policy["Statement"] if s["Sid"] == "PassNamedRoles")["Resource"]
    fleet_roles = [r.name for r in by_type(run, "aws:iam/role:Role") if ":Fleet$aws:iam/role:Role::" in r.urn]
    assert len(passed) == len(fleet_roles) + 1 and len(fleet_roles) > 0
    assert f"arn:aws:iam::123456789012:role/showrunner-{stack}-imagebuilder-build" in passed
    assert all(arn.startswith("arn:aws:iam::123456789012:role/") for arn in passed)

    report = policy.check_document(preview.preview_document(run))
    assert [v for v in report.violations if "delivery" in v.urn] == []


BASE = {
    "services": {"web": {"type": "worker", "image": "www", "command": "run", "fleet": "www"}},
    "fleets": {"www": {"instance_types": ["t3.small"], "min_size": 1, "max_size": 1}},
    "images": {"www": {}},
    "load_balancer": {"certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/abc"},
    "alerts": {"subscriptions": [{"protocol": "email", "endpoint": "oncall@example.com"}]},
}


def test_delivery_settings_are_validated():
    bad = {**BASE, "delivery": {"github_repository": "no-slash", "state_bucket": "Bad_Bucket", "oidc_provider_arn": "arn:aws:iam::1:oidc-provider/x"}}
    with pytest.raises(ConfigError) as error:
        load_settings(bad, project="showrunner", stack="prod")
    assert error.value.problems == [
        'showrunner:delivery.github_repository: "no-slash" is not a GitHub repository like "owner/name"',
        'showrunner:delivery.state_bucket: "Bad_Bucket" is not an S3 bucket name (3-63 lower-case letters, digits, dots and dashes)',
        'showrunner:delivery.oidc_provider_arn: "arn:aws:iam::1:oidc-provider/x" is not the ARN of an account\'s GitHub OIDC provider '
        'like "arn:aws:iam::ACCOUNT:oidc-provider/token.actions.githubusercontent.com"',
    ]
    good = load_settings({**BASE, "delivery": {"github_repository": "acme/showrunner", "state_bucket": "acme-state"}}, project="showrunner", stack="prod")
    assert good.delivery.deploy_environment is None and good.delivery.oidc_provider_arn is None
    assert load_settings(BASE, project="showrunner", stack="prod").delivery is None
