"""The delivery roles' IAM documents, as pure functions of plain strings.

- the trust policies: GitHub's OIDC tokens for exactly the named subjects (pull requests and
  `main` for previews, the stack's GitHub environment for deploys);
- the preview policy: what `pulumi preview --refresh` reads, the state backend's lock, the stack's
  parameters and keys to decrypt; nothing that changes a resource;
- the deploy policy: create only what the request tags as this stack's, change only what is
  tagged so (2015's Packer policy touched only instances tagged `Packer Builder`), pass only the
  named roles, and never the role's own grants or an administrator policy.

`Scope` carries the partition, account, region and stack every ARN is built from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com"
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
ADMIN_POLICIES = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")
"""AWS managed policies the deploy role may never attach."""

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


# The image pipeline's pushes and pulls (the Docker provider's, not a resource API): a preview
# builds changed images (`build_on_preview`), pulling parents and the registry cache; a deploy
# also pushes. Only repositories tagged as this stack's; the login token has no resource scope.
IMAGE_PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
IMAGE_PUSH_ACTIONS = ("ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart")


def _image_statements(scope: "Scope", *, push: bool) -> list[dict]:
    actions = [*IMAGE_PULL_ACTIONS, *(IMAGE_PUSH_ACTIONS if push else ())]
    return [
        {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        {
            "Sid": "PushStackImages" if push else "PullStackImages",
            "Effect": "Allow",
            "Action": sorted(actions),
            "Resource": scope.arn("ecr", "repository/*"),
            "Condition": _stack_tags(scope, "ResourceTag"),
        },
    ]


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
    partition: str = "aws"

    def arn(self, service: str, resource: str, *, region: str | None = None, account: str | None = None) -> str:
        """`arn:<partition>:<service>:<region>:<account>:<resource>` (empty region/account where given as "")."""
        return f"arn:{self.partition}:{service}:{self.region if region is None else region}:{self.account_id if account is None else account}:{resource}"

    def parameter_arns(self) -> list[str]:
        return [self.arn("ssm", f"parameter/showrunner/{self.stack}/*"), self.arn("ssm", f"parameter/imagebuilder/showrunner/{self.stack}/*")]

    def public_parameter_arn(self) -> str:
        return self.arn("ssm", "parameter/aws/service/*", account="")

    def admin_policy_arns(self) -> list[str]:
        return [self.arn("iam", f"policy/{policy}", region="", account="aws") for policy in ADMIN_POLICIES]


def _state_statements(scope: Scope, *, write: bool) -> list[dict]:
    bucket = scope.arn("s3", scope.state_bucket, region="", account="")
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
            *_image_statements(scope, push=False),
        ],
    }


def _stack_tags(scope: Scope, kind: str) -> dict:
    return {"StringEquals": {f"aws:{kind}/ManagedBy": "pulumi", f"aws:{kind}/Environment": scope.stack}}


def deploy_policy(scope: Scope, pass_role_arns: Sequence[str], own_arns: Sequence[str]) -> dict:
    """Change only what this stack manages; hand EC2 and Image Builder only the named roles."""
    statements = [
        {"Sid": "Read", "Effect": "Allow", "Action": list(READ_ACTIONS), "Resource": "*"},
        {"Sid": "CreateTagged", "Effect": "Allow", "Action": list(CREATE_ACTIONS), "Resource": "*", "Condition": _stack_tags(scope, "RequestTag")},
        {"Sid": "ManageTagged", "Effect": "Allow", "Action": list(MANAGE_ACTIONS), "Resource": "*", "Condition": _stack_tags(scope, "ResourceTag")},
        {
            "Sid": "ManageTaggedIam",
            "Effect": "Allow",
            "Action": list(IAM_MANAGE_ACTIONS),
            "Resource": [scope.arn("iam", f"{kind}/*", region="") for kind in ("role", "instance-profile", "policy")],
            "Condition": _stack_tags(scope, "ResourceTag"),
        },
        {
            "Sid": "ServiceLinkedRoles",
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": scope.arn("iam", "role/aws-service-role/*", region=""),
            "Condition": {"StringEquals": {"iam:AWSServiceName": [
                "autoscaling.amazonaws.com", "elasticloadbalancing.amazonaws.com", "imagebuilder.amazonaws.com"]}},
        },
        *_state_statements(scope, write=True),
        *_secret_statements(scope, SECRET_PARAMETER_ACTIONS, ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]),
        *_image_statements(scope, push=True),
        {
            "Sid": "NoAdministrators",
            "Effect": "Deny",
            "Action": ["iam:AttachRolePolicy", "iam:AttachUserPolicy", "iam:AttachGroupPolicy"],
            "Resource": "*",
            "Condition": {"ArnEquals": {"iam:PolicyARN": scope.admin_policy_arns()}},
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
