"""Delivery: GitHub Actions reaches AWS through OIDC, with no stored keys.

- the account's GitHub OIDC provider (or an existing one, named in `delivery.oidc_provider_arn`);
- a preview role for pull requests and the nightly drift check (`repo:<owner>/<name>:pull_request`
  and `…:ref:refs/heads/main`): it reads, it never changes a resource;
- a deploy role only a job in the stack's GitHub environment can assume (`…:environment:prod`,
  which has required reviewers). It changes what this program manages: resources tagged
  `ManagedBy = pulumi` and `Environment = <stack>`, the way 2015's Packer policy only touched
  instances tagged `Packer Builder`, and it passes only the named roles the program hands to EC2.

Both roles pass the policy pack; the documents are pure functions tested by exact comparison.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from showrunner.config.models import Delivery as DeliverySettings

GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com"
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
ADMIN_POLICY_ARNS = (
    "arn:aws:iam::aws:policy/AdministratorAccess",
    "arn:aws:iam::aws:policy/PowerUserAccess",
    "arn:aws:iam::aws:policy/IAMFullAccess",
)

# What `pulumi preview --refresh` reads of the resources this program manages.
READ_ACTIONS = (
    "autoscaling:Describe*",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:ListTagsForResource",
    "ec2:Describe*",
    "ec2:GetLaunchTemplateData",
    "ecr:DescribeImages",
    "ecr:DescribeRepositories",
    "ecr:GetLifecyclePolicy",
    "ecr:GetRepositoryPolicy",
    "ecr:ListTagsForResource",
    "elasticloadbalancing:Describe*",
    "iam:GetInstanceProfile",
    "iam:GetOpenIDConnectProvider",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
    "iam:ListRolePolicies",
    "imagebuilder:Get*",
    "imagebuilder:List*",
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListResourceTags",
    "logs:DescribeLogGroups",
    "logs:ListTagsForResource",
    "ssm:DescribeParameters",
    "ssm:ListTagsForResource",
    "sts:GetCallerIdentity",
)

# Creating: allowed only when the request tags the new resource as this stack's.
CREATE_ACTIONS = (
    "autoscaling:CreateAutoScalingGroup",
    "autoscaling:CreateOrUpdateTags",
    "ec2:AllocateAddress",
    "ec2:CreateInternetGateway",
    "ec2:CreateLaunchTemplate",
    "ec2:CreateNatGateway",
    "ec2:CreateRouteTable",
    "ec2:CreateSecurityGroup",
    "ec2:CreateSubnet",
    "ec2:CreateVpc",
    "ec2:RunInstances",
    "ecr:CreateRepository",
    "elasticloadbalancing:CreateListener",
    "elasticloadbalancing:CreateLoadBalancer",
    "elasticloadbalancing:CreateRule",
    "elasticloadbalancing:CreateTargetGroup",
    "iam:CreateInstanceProfile",
    "iam:CreatePolicy",
    "iam:CreateRole",
    "imagebuilder:CreateComponent",
    "imagebuilder:CreateDistributionConfiguration",
    "imagebuilder:CreateImagePipeline",
    "imagebuilder:CreateImageRecipe",
    "imagebuilder:CreateInfrastructureConfiguration",
    "kms:CreateKey",
    "logs:CreateLogGroup",
)

# Changing and deleting: allowed only on resources already tagged as this stack's (2015's rule).
MANAGE_ACTIONS = (
    "autoscaling:AttachLoadBalancerTargetGroups",
    "autoscaling:CancelInstanceRefresh",
    "autoscaling:CompleteLifecycleAction",
    "autoscaling:DeleteAutoScalingGroup",
    "autoscaling:DeleteLifecycleHook",
    "autoscaling:DeletePolicy",
    "autoscaling:DeleteScheduledAction",
    "autoscaling:DeleteTags",
    "autoscaling:DeleteWarmPool",
    "autoscaling:DetachLoadBalancerTargetGroups",
    "autoscaling:PutLifecycleHook",
    "autoscaling:PutScalingPolicy",
    "autoscaling:PutScheduledUpdateGroupAction",
    "autoscaling:PutWarmPool",
    "autoscaling:StartInstanceRefresh",
    "autoscaling:UpdateAutoScalingGroup",
    "cloudwatch:DeleteAlarms",
    "cloudwatch:PutMetricAlarm",
    "cloudwatch:TagResource",
    "ec2:Associate*",
    "ec2:Attach*",
    "ec2:AuthorizeSecurityGroupEgress",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:CreateLaunchTemplateVersion",
    "ec2:CreateRoute",
    "ec2:CreateTags",
    "ec2:Delete*",
    "ec2:Detach*",
    "ec2:Disassociate*",
    "ec2:Modify*",
    "ec2:ReleaseAddress",
    "ec2:ReplaceRoute",
    "ec2:RevokeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress",
    "ecr:DeleteLifecyclePolicy",
    "ecr:DeleteRepository",
    "ecr:PutImageScanningConfiguration",
    "ecr:PutImageTagMutability",
    "ecr:PutLifecyclePolicy",
    "ecr:SetRepositoryPolicy",
    "ecr:TagResource",
    "ecr:UntagResource",
    "elasticloadbalancing:AddTags",
    "elasticloadbalancing:Delete*",
    "elasticloadbalancing:Modify*",
    "elasticloadbalancing:RemoveTags",
    "elasticloadbalancing:Set*",
    "imagebuilder:Delete*",
    "imagebuilder:TagResource",
    "imagebuilder:UntagResource",
    "imagebuilder:Update*",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:EnableKeyRotation",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateKeyDescription",
    "logs:DeleteLogGroup",
    "logs:PutRetentionPolicy",
    "logs:TagResource",
)

IAM_MANAGE_ACTIONS = (
    "iam:AddRoleToInstanceProfile",
    "iam:AttachRolePolicy",
    "iam:CreatePolicyVersion",
    "iam:DeleteInstanceProfile",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:DeleteRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePolicy",
    "iam:RemoveRoleFromInstanceProfile",
    "iam:TagInstanceProfile",
    "iam:TagPolicy",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
)

SECRET_PARAMETER_ACTIONS = (
    "ssm:AddTagsToResource",
    "ssm:DeleteParameter",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:PutParameter",
    "ssm:RemoveTagsFromResource",
)


def trust_policy(provider_arn: str, subjects: Sequence[str]) -> dict:
    """Web identity trust in GitHub's tokens for exactly `subjects` (`repo:owner/name:...`)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com"},
                    "StringLike": {f"{GITHUB_OIDC_HOST}:sub": list(subjects)},
                },
            }
        ],
    }


def preview_subjects(repository: str) -> list[str]:
    return [f"repo:{repository}:pull_request", f"repo:{repository}:ref:refs/heads/main"]


def deploy_subjects(repository: str, environment: str) -> list[str]:
    return [f"repo:{repository}:environment:{environment}"]


@dataclass(frozen=True)
class Scope:
    """The account, region and stack the documents are scoped to, and the ARNs they name."""

    account_id: str
    region: str
    stack: str
    state_bucket: str
    key_arns: tuple[str, ...]
    """KMS keys whose data the role must decrypt: the secrets provider's and the service secrets'."""

    def parameter_arns(self) -> list[str]:
        prefix = f"arn:aws:ssm:{self.region}:{self.account_id}:parameter"
        return [f"{prefix}/showrunner/{self.stack}/*", f"{prefix}/imagebuilder/showrunner/{self.stack}/*"]

    def public_parameter_arn(self) -> str:
        return f"arn:aws:ssm:{self.region}::parameter/aws/service/*"


def _state_statements(scope: Scope, *, write: bool) -> list[dict]:
    bucket = f"arn:aws:s3:::{scope.state_bucket}"
    return [
        {"Sid": "StateList", "Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:ListBucket"], "Resource": bucket},
        {
            "Sid": "StateObjects",
            "Effect": "Allow",
            "Action": ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"] if write else ["s3:GetObject"],
            "Resource": f"{bucket}/*",
        },
        # Even a preview takes the stack's lock in the S3 backend.
        *(
            []
            if write
            else [{"Sid": "StateLocks", "Effect": "Allow", "Action": ["s3:DeleteObject", "s3:PutObject"], "Resource": f"{bucket}/.pulumi/locks/*"}]
        ),
    ]


def _secret_statements(scope: Scope, actions: Sequence[str], key_actions: Sequence[str]) -> list[dict]:
    statements = [
        {"Sid": "StackParameters", "Effect": "Allow", "Action": list(actions), "Resource": scope.parameter_arns()},
        {"Sid": "PublicParameters", "Effect": "Allow", "Action": ["ssm:GetParameter", "ssm:GetParameters"], "Resource": scope.public_parameter_arn()},
    ]
    if scope.key_arns:
        statements.append({"Sid": "StackKeys", "Effect": "Allow", "Action": list(key_actions), "Resource": list(scope.key_arns)})
    return statements


def preview_policy(scope: Scope) -> dict:
    """Read-only: what `pulumi preview --refresh` needs, nothing that changes a resource."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Read", "Effect": "Allow", "Action": list(READ_ACTIONS), "Resource": "*"},
            *_state_statements(scope, write=False),
            *_secret_statements(scope, ["ssm:GetParameter", "ssm:GetParameters"], ["kms:Decrypt"]),
        ],
    }


def _stack_tags(scope: Scope, kind: str) -> dict:
    return {"StringEquals": {f"aws:{kind}/ManagedBy": "pulumi", f"aws:{kind}/Environment": scope.stack}}


def deploy_policy(scope: Scope, pass_role_arns: Sequence[str], own_arns: Sequence[str]) -> dict:
    """Change only what this stack manages; hand EC2 and Image Builder only the named roles."""
    account = scope.account_id
    statements = [
        {"Sid": "Read", "Effect": "Allow", "Action": list(READ_ACTIONS), "Resource": "*"},
        {"Sid": "CreateTagged", "Effect": "Allow", "Action": list(CREATE_ACTIONS), "Resource": "*", "Condition": _stack_tags(scope, "RequestTag")},
        {"Sid": "ManageTagged", "Effect": "Allow", "Action": list(MANAGE_ACTIONS), "Resource": "*", "Condition": _stack_tags(scope, "ResourceTag")},
        {
            "Sid": "ManageTaggedIam",
            "Effect": "Allow",
            "Action": list(IAM_MANAGE_ACTIONS),
            "Resource": [f"arn:aws:iam::{account}:role/*", f"arn:aws:iam::{account}:instance-profile/*", f"arn:aws:iam::{account}:policy/*"],
            "Condition": _stack_tags(scope, "ResourceTag"),
        },
        {
            "Sid": "ServiceLinkedRoles",
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": f"arn:aws:iam::{account}:role/aws-service-role/*",
            "Condition": {"StringEquals": {"iam:AWSServiceName": [
                "autoscaling.amazonaws.com", "elasticloadbalancing.amazonaws.com", "imagebuilder.amazonaws.com"]}},
        },
        *_state_statements(scope, write=True),
        *_secret_statements(scope, SECRET_PARAMETER_ACTIONS, ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]),
        {
            "Sid": "NoAdministrators",
            "Effect": "Deny",
            "Action": ["iam:AttachRolePolicy", "iam:AttachUserPolicy", "iam:AttachGroupPolicy"],
            "Resource": "*",
            "Condition": {"ArnEquals": {"iam:PolicyARN": list(ADMIN_POLICY_ARNS)}},
        },
        {
            "Sid": "NotItsOwnGrants",
            "Effect": "Deny",
            "Action": ["iam:*"],
            "Resource": list(own_arns),
        },
    ]
    if pass_role_arns:
        statements.insert(4, {
            "Sid": "PassNamedRoles",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": sorted(pass_role_arns),
            "Condition": {"StringEquals": {"iam:PassedToService": ["ec2.amazonaws.com", "imagebuilder.amazonaws.com"]}},
        })
    return {"Version": "2012-10-17", "Statement": statements}


@dataclass
class DeliveryArgs:
    stack: str
    settings: DeliverySettings
    service_secrets_key_arn: pulumi.Input[str] | None = None
    """The KMS key of the services' SSM SecureStrings (hosts and refreshes decrypt with it)."""
    pass_role_arns: Sequence[pulumi.Input[str]] = field(default_factory=list)
    """Roles the deploy role may hand to EC2 / Image Builder (instance profiles). Default: none."""
    tags: dict[str, str] = field(default_factory=dict)


class Delivery(pulumi.ComponentResource):
    """The GitHub OIDC provider and the preview and deploy roles of one stack."""

    provider_arn: pulumi.Output[str]
    preview_role_arn: pulumi.Output[str]
    deploy_role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: DeliveryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("showrunner:delivery:Delivery", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings
        tags = {**args.tags, "Service": "delivery"}

        if settings.oidc_provider_arn:
            provider_arn = pulumi.Output.from_input(settings.oidc_provider_arn)
        else:
            provider_arn = aws.iam.OpenIdConnectProvider(
                f"{name}-github",
                url=GITHUB_OIDC_URL,
                client_id_lists=["sts.amazonaws.com"],
                tags=tags,
                opts=child,
            ).arn

        environment = settings.deploy_environment or args.stack
        preview_role = aws.iam.Role(
            f"{name}-preview",
            description=f"showrunner {args.stack}: read-only previews from {settings.github_repository}",
            assume_role_policy=provider_arn.apply(lambda arn: json.dumps(trust_policy(arn, preview_subjects(settings.github_repository)))),
            max_session_duration=3600,
            tags=tags,
            opts=child,
        )
        deploy_role = aws.iam.Role(
            f"{name}-deploy",
            description=f"showrunner {args.stack}: deploys from the {environment} environment of {settings.github_repository}",
            assume_role_policy=provider_arn.apply(
                lambda arn: json.dumps(trust_policy(arn, deploy_subjects(settings.github_repository, environment)))
            ),
            max_session_duration=3600,
            tags=tags,
            opts=child,
        )

        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self))
        keys = [k for k in (settings.secrets_provider_key_arn, args.service_secrets_key_arn) if k is not None]

        def scope(account_id: str, region_name: str, key_arns: list[str]) -> Scope:
            return Scope(account_id, region_name, args.stack, settings.state_bucket, tuple(key_arns))

        scoped = pulumi.Output.all(identity.account_id, region.region, pulumi.Output.all(*keys)).apply(lambda v: scope(v[0], v[1], v[2]))
        aws.iam.RolePolicy(
            f"{name}-preview-policy",
            role=preview_role.id,
            policy=scoped.apply(lambda s: json.dumps(preview_policy(s))),
            opts=child,
        )
        own_arns = pulumi.Output.all(preview_role.arn, deploy_role.arn, provider_arn)
        aws.iam.RolePolicy(
            f"{name}-deploy-policy",
            role=deploy_role.id,
            policy=pulumi.Output.all(scoped, pulumi.Output.all(*args.pass_role_arns), own_arns).apply(
                lambda v: json.dumps(deploy_policy(v[0], v[1], v[2]))
            ),
            opts=child,
        )

        self.provider_arn = provider_arn
        self.preview_role_arn = preview_role.arn
        self.deploy_role_arn = deploy_role.arn
        self.register_outputs(
            {"provider_arn": self.provider_arn, "preview_role_arn": self.preview_role_arn, "deploy_role_arn": self.deploy_role_arn}
        )
