"""The delivery roles' IAM documents, as pure functions of plain strings.

- the trust policies: GitHub's OIDC tokens for exactly the named subjects (pull requests and
  `main` for previews, the stack's GitHub environment for deploys);
- the preview policy: what `pulumi preview --refresh` reads, the state backend's lock, the stack's
  parameters and keys to decrypt; nothing that changes a resource;
- the deploy policy: create only what the request tags as this stack's, change only what is
  tagged so (2015's Packer policy touched only instances tagged `Packer Builder`), create and change
  roles only under the stack's permissions boundary, pass only the named roles, and never the
  boundary, the role's own grants or an administrator policy.

Every action here is one the AWS tier (`make test-aws`) requires, derived from CloudFormation's
handler permissions for the stack's resource types and simulated with AWS's condition keys: tags
on creates come as `aws:RequestTag` (and EC2 and ELB tag-on-create name the creating call), on
existing resources as `aws:ResourceTag`; a call that also authorizes against an existing resource
(the VPC of a new subnet) needs that resource's tags. docs/roles.md is written from the same data.

`Scope` carries the partition, account, region and stack every ARN is built from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com"
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
ADMIN_POLICIES = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")
"""AWS managed policies the deploy role may never attach."""

# What `pulumi preview --refresh` and a deploy's refresh read: CloudFormation's read handlers of
# every resource type the program manages. None reads a secret, an object or an item.
READ_ACTIONS = (
    "autoscaling:Describe*",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:ListTagsForResource",
    "dynamodb:DescribeContinuousBackups",
    "dynamodb:DescribeContributorInsights",
    "dynamodb:DescribeTable",
    "dynamodb:DescribeTimeToLive",
    "dynamodb:GetResourcePolicy",
    "dynamodb:ListTagsOfResource",
    "ec2:Describe*",
    "ec2:GetLaunchTemplateData",
    "ecr:DescribeImages",
    "ecr:DescribeRepositories",
    "ecr:GetLifecyclePolicy",
    "ecr:GetRepositoryPolicy",
    "ecr:ListTagsForResource",
    "elasticache:DescribeCacheClusters",
    "elasticache:DescribeCacheSubnetGroups",
    "elasticache:DescribeReplicationGroups",
    "elasticache:ListTagsForResource",
    "elasticloadbalancing:Describe*",
    "iam:GetInstanceProfile",
    "iam:GetOpenIDConnectProvider",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListEntitiesForPolicy",
    "iam:ListInstanceProfilesForRole",
    "iam:ListRolePolicies",
    "iam:ListRoleTags",
    "imagebuilder:Get*",
    "imagebuilder:List*",
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListResourceTags",
    "logs:DescribeIndexPolicies",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:GetDataProtectionPolicy",
    "logs:ListTagsForResource",
    "rds:DescribeDBEngineVersions",
    "rds:DescribeDBInstanceAutomatedBackups",
    "rds:DescribeDBInstances",
    "rds:DescribeDBParameterGroups",
    "rds:DescribeDBParameters",
    "rds:DescribeDBSnapshots",
    "rds:DescribeDBSubnetGroups",
    "rds:DescribeEngineDefaultParameters",
    "rds:DescribeEvents",
    "rds:ListTagsForResource",
    "sns:GetDataProtectionPolicy",
    "sns:GetTopicAttributes",
    "sns:ListSubscriptionsByTopic",
    "sns:ListTagsForResource",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:ListQueueTags",
    "ssm:DescribeParameters",
    "ssm:ListTagsForResource",
    "sts:GetCallerIdentity",
)

# A bucket's configuration, read by a refresh; on the stack's own buckets only (an object is not
# configuration, and `s3:Get*` would read any object in the account).
BUCKET_READ_ACTIONS = (
    "s3:GetAccelerateConfiguration",
    "s3:GetAnalyticsConfiguration",
    "s3:GetBucketAbac",
    "s3:GetBucketAcl",
    "s3:GetBucketCORS",
    "s3:GetBucketLocation",
    "s3:GetBucketLogging",
    "s3:GetBucketNotification",
    "s3:GetBucketObjectLockConfiguration",
    "s3:GetBucketOwnershipControls",
    "s3:GetBucketPolicy",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketTagging",
    "s3:GetBucketVersioning",
    "s3:GetBucketWebsite",
    "s3:GetEncryptionConfiguration",
    "s3:GetIntelligentTieringConfiguration",
    "s3:GetInventoryConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetMetricsConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:ListBucket",
    "s3:ListTagsForResource",
)
BUCKET_WRITE_ACTIONS = (
    "s3:CreateBucket",
    "s3:DeleteBucket",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketPolicy",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketTagging",
    "s3:PutLifecycleConfiguration",
    "s3:TagResource",
    "s3:UntagResource",
)

# Creating: the new resource carries the stack's tags (aws:RequestTag), in the same call.
CREATE_ACTIONS = (
    "autoscaling:CreateAutoScalingGroup",
    "autoscaling:CreateOrUpdateTags",
    "dynamodb:CreateTable",
    "dynamodb:TagResource",
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
    "ecr:TagResource",
    "elasticache:AddTagsToResource",
    "elasticache:CreateCacheSubnetGroup",
    "elasticache:CreateReplicationGroup",
    "elasticloadbalancing:CreateListener",
    "elasticloadbalancing:CreateLoadBalancer",
    "elasticloadbalancing:CreateRule",
    "elasticloadbalancing:CreateTargetGroup",
    "iam:CreateInstanceProfile",
    "iam:TagInstanceProfile",
    "iam:TagRole",
    "imagebuilder:CreateComponent",
    "imagebuilder:CreateDistributionConfiguration",
    "imagebuilder:CreateImagePipeline",
    "imagebuilder:CreateImageRecipe",
    "imagebuilder:CreateInfrastructureConfiguration",
    "imagebuilder:TagResource",
    "kms:CreateKey",
    "kms:TagResource",
    "logs:CreateLogGroup",
    "logs:TagResource",
    "rds:AddTagsToResource",
    "rds:CreateDBInstance",
    "rds:CreateDBParameterGroup",
    "rds:CreateDBSubnetGroup",
    "sns:CreateTopic",
    "sns:TagResource",
    "sqs:CreateQueue",
    "sqs:TagQueue",
)
# EC2 and ELB tag a new resource in a call of their own that names the creating call
# (ec2:CreateAction, elasticloadbalancing:CreateAction): AWS's documented tag-on-create grant.
EC2_CREATING_CALLS = (
    "AllocateAddress", "CreateInternetGateway", "CreateLaunchTemplate", "CreateNatGateway", "CreateRouteTable",
    "CreateSecurityGroup", "CreateSubnet", "CreateVpc", "RunInstances",
)
ELB_CREATING_CALLS = ("CreateListener", "CreateLoadBalancer", "CreateRule", "CreateTargetGroup")

# Changing and deleting: only what is tagged as this stack's (2015's rule). The creating calls are
# here too, for the existing resources they also authorize against (a new subnet's VPC).
MANAGE_ACTIONS = (
    "autoscaling:AttachLoadBalancerTargetGroups",
    "autoscaling:AttachTrafficSources",
    "autoscaling:CancelInstanceRefresh",
    "autoscaling:CreateOrUpdateTags",
    "autoscaling:CompleteLifecycleAction",
    "autoscaling:DeleteAutoScalingGroup",
    "autoscaling:DeleteLifecycleHook",
    "autoscaling:DeletePolicy",
    "autoscaling:DeleteScheduledAction",
    "autoscaling:DeleteTags",
    "autoscaling:DeleteWarmPool",
    "autoscaling:DetachLoadBalancerTargetGroups",
    "autoscaling:DetachTrafficSources",
    "autoscaling:DisableMetricsCollection",
    "autoscaling:EnableMetricsCollection",
    "autoscaling:PutLifecycleHook",
    "autoscaling:PutScalingPolicy",
    "autoscaling:PutScheduledUpdateGroupAction",
    "autoscaling:PutWarmPool",
    "autoscaling:StartInstanceRefresh",
    "autoscaling:UpdateAutoScalingGroup",
    "cloudwatch:DeleteAlarms",
    "cloudwatch:PutMetricAlarm",
    "cloudwatch:TagResource",
    "dynamodb:CreateTable",
    "dynamodb:DeleteTable",
    "dynamodb:TagResource",
    "dynamodb:UntagResource",
    "dynamodb:UpdateContinuousBackups",
    "dynamodb:UpdateTable",
    "dynamodb:UpdateTimeToLive",
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
    "ec2:ReplaceRouteTableAssociation",
    "ec2:RevokeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
    "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
    # Pushing the pipeline's images (`pulumi up` builds and pushes them).
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:CompleteLayerUpload",
    "ecr:DeleteLifecyclePolicy",
    "ecr:DeleteRepository",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:PutImageScanningConfiguration",
    "ecr:PutImageTagMutability",
    "ecr:PutLifecyclePolicy",
    "ecr:TagResource",
    "ecr:UntagResource",
    "ecr:UploadLayerPart",
    "elasticache:AddTagsToResource",
    "elasticache:CreateCacheCluster",
    "elasticache:CreateSnapshot",
    "elasticache:DecreaseReplicaCount",
    "elasticache:DeleteCacheCluster",
    "elasticache:DeleteCacheSubnetGroup",
    "elasticache:DeleteReplicationGroup",
    "elasticache:IncreaseReplicaCount",
    "elasticache:ModifyCacheSubnetGroup",
    "elasticache:ModifyReplicationGroup",
    "elasticache:RemoveTagsFromResource",
    "elasticloadbalancing:AddTags",
    "elasticloadbalancing:DeleteListener",
    "elasticloadbalancing:DeleteLoadBalancer",
    "elasticloadbalancing:DeleteRule",
    "elasticloadbalancing:DeleteTargetGroup",
    "elasticloadbalancing:DeregisterTargets",
    "elasticloadbalancing:ModifyIpPools",
    "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:ModifyListenerAttributes",
    "elasticloadbalancing:ModifyLoadBalancerAttributes",
    "elasticloadbalancing:ModifyRule",
    "elasticloadbalancing:ModifyTargetGroup",
    "elasticloadbalancing:ModifyTargetGroupAttributes",
    "elasticloadbalancing:RegisterTargets",
    "elasticloadbalancing:RemoveTags",
    "elasticloadbalancing:SetIpAddressType",
    "elasticloadbalancing:SetRulePriorities",
    "elasticloadbalancing:SetSecurityGroups",
    "elasticloadbalancing:SetSubnets",
    "iam:AddRoleToInstanceProfile",
    "iam:DeleteInstanceProfile",
    "iam:RemoveRoleFromInstanceProfile",
    "iam:TagInstanceProfile",
    "iam:TagRole",
    "iam:UntagInstanceProfile",
    "iam:UntagRole",
    "imagebuilder:Delete*",
    "imagebuilder:TagResource",
    "imagebuilder:UntagResource",
    "imagebuilder:Update*",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
    "logs:DeleteLogGroup",
    "logs:DeleteRetentionPolicy",
    "logs:PutRetentionPolicy",
    "logs:TagResource",
    "logs:UntagResource",
    "rds:AddTagsToResource",
    "rds:CreateDBInstance",
    "rds:CreateDBSnapshot",
    "rds:DeleteDBInstance",
    "rds:DeleteDBParameterGroup",
    "rds:DeleteDBSubnetGroup",
    "rds:ModifyDBInstance",
    "rds:ModifyDBParameterGroup",
    "rds:ModifyDBSubnetGroup",
    "rds:RebootDBInstance",
    "rds:RemoveTagsFromResource",
    "rds:ResetDBParameterGroup",
    "sns:DeleteTopic",
    "sns:Publish",
    "sns:SetTopicAttributes",
    "sns:TagResource",
    "sns:UntagResource",
    "sqs:DeleteQueue",
    "sqs:SetQueueAttributes",
    "sqs:TagQueue",
    "sqs:UntagQueue",
    "elasticache:CreateReplicationGroup",
    "elasticloadbalancing:CreateListener",
    "elasticloadbalancing:CreateRule",
    "ec2:CreateNatGateway",
    "ec2:CreateRouteTable",
    "ec2:CreateSecurityGroup",
    "ec2:CreateSubnet",
    "ec2:RunInstances",
    "imagebuilder:CreateImagePipeline",
    "imagebuilder:CreateImageRecipe",
    "imagebuilder:CreateInfrastructureConfiguration",
)

# A role the deploy role creates or changes must carry the stack's boundary (iam:PermissionsBoundary).
BOUNDED_ROLE_ACTIONS = (
    "iam:AttachRolePolicy",
    "iam:DeleteRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
)
UNBOUNDED_DENIED = (
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:UpdateAssumeRolePolicy",
)
# Service-linked roles the stack's services create on first use.
SERVICE_LINKED = (
    "autoscaling.amazonaws.com", "elasticache.amazonaws.com", "elasticloadbalancing.amazonaws.com",
    "imagebuilder.amazonaws.com", "rds.amazonaws.com",
)
PARAMETER_READ_ACTIONS = ("ssm:GetParameter", "ssm:GetParameters")
PARAMETER_WRITE_ACTIONS = ("ssm:AddTagsToResource", "ssm:DeleteParameter", "ssm:PutParameter", "ssm:RemoveTagsFromResource")


# A build pulls its parent and the registry cache (`cache_from`), and a preview builds every image it
# would rebuild (`build_on_preview`): both roles pull from the repositories tagged as this stack's
# (the Docker provider's pulls, not a resource API; pushing is the deploy role's ManageTagged).
IMAGE_PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")


def _pull_statement(scope: "Scope") -> list[dict]:
    return [{
        "Sid": "PullStackImages",
        "Effect": "Allow",
        "Action": list(IMAGE_PULL_ACTIONS),
        "Resource": scope.arn("ecr", "repository/*"),
        "Condition": _stack_tags(scope, "ResourceTag"),
    }]


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


def preview_subjects(repository: str, pull_requests: bool = True) -> list[str]:
    """Who may preview: `main` (the nightly drift check), and pull requests unless the stack's
    secrets must stay out of a pull request's reach (production: its previews run offline)."""
    return ([f"repo:{repository}:pull_request"] if pull_requests else []) + [f"repo:{repository}:ref:refs/heads/main"]


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
    project: str = "showrunner"
    """The first part of the stack's resource names (`<project>-<stack>-…`)."""
    boundary_arn: str | None = None
    """The permissions boundary every role the deploy role creates must carry; None: it creates none."""

    def arn(self, service: str, resource: str, *, region: str | None = None, account: str | None = None) -> str:
        """`arn:<partition>:<service>:<region>:<account>:<resource>` (empty region/account where given as "")."""
        return f"arn:{self.partition}:{service}:{self.region if region is None else region}:{self.account_id if account is None else account}:{resource}"

    @property
    def prefix(self) -> str:
        return f"{self.project}-{self.stack}"

    def parameter_arns(self) -> list[str]:
        return [self.arn("ssm", f"parameter/showrunner/{self.stack}/*"), self.arn("ssm", f"parameter/imagebuilder/showrunner/{self.stack}/*")]

    def public_parameter_arn(self) -> str:
        return self.arn("ssm", "parameter/aws/service/*", account="")

    def admin_policy_arns(self) -> list[str]:
        return [self.arn("iam", f"policy/{policy}", region="", account="aws") for policy in ADMIN_POLICIES]

    def bucket_arn(self) -> str:
        return self.arn("s3", f"{self.prefix}-*", region="", account="")


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


def _parameter_statements(scope: Scope, *, write: bool) -> list[dict]:
    statements = [
        {"Sid": "StackParameters", "Effect": "Allow", "Action": list(PARAMETER_READ_ACTIONS), "Resource": scope.parameter_arns()},
        {"Sid": "PublicParameters", "Effect": "Allow", "Action": list(PARAMETER_READ_ACTIONS), "Resource": scope.public_parameter_arn()},
    ]
    if write:
        statements += [
            {"Sid": "CreateStackParameters", "Effect": "Allow", "Action": ["ssm:AddTagsToResource", "ssm:PutParameter"],
             "Resource": scope.parameter_arns(), "Condition": _new_and_tagged(scope)},
            {"Sid": "ManageStackParameters", "Effect": "Allow", "Action": list(PARAMETER_WRITE_ACTIONS),
             "Resource": scope.parameter_arns(), "Condition": _stack_tags(scope, "ResourceTag")},
        ]
    return statements


def _key_statement(scope: Scope, actions: Sequence[str]) -> list[dict]:
    return [{"Sid": "StackKeys", "Effect": "Allow", "Action": list(actions), "Resource": list(scope.key_arns)}] if scope.key_arns else []


def _read_statements(scope: Scope) -> list[dict]:
    return [
        {"Sid": "Read", "Effect": "Allow", "Action": list(READ_ACTIONS), "Resource": "*"},
        # GetAuthorizationToken has no resource-level permissions; the program calls it in every preview.
        {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        {"Sid": "ReadStackBuckets", "Effect": "Allow", "Action": list(BUCKET_READ_ACTIONS), "Resource": scope.bucket_arn()},
    ]


def preview_policy(scope: Scope) -> dict:
    """Read-only: what `pulumi preview --refresh` needs, nothing that changes a resource."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            *_read_statements(scope),
            *_state_statements(scope, write=False),
            *_parameter_statements(scope, write=False),
            *_key_statement(scope, ["kms:Decrypt"]),
            *_pull_statement(scope),
            *observability_statements(scope, write=False),
        ],
    }


def _stack_tags(scope: Scope, kind: str) -> dict:
    return {"StringEquals": {f"aws:{kind}/ManagedBy": "pulumi", f"aws:{kind}/Environment": scope.stack}}


def _new_and_tagged(scope: Scope) -> dict:
    """The request tags a resource that has no tags yet (a new one) as this stack's."""
    return {**_stack_tags(scope, "RequestTag"), "Null": {"aws:ResourceTag/Environment": "true"}}


def _role_statements(scope: Scope) -> list[dict]:
    """Roles only under the stack's boundary, which is never lifted; none at all without one."""
    roles = scope.arn("iam", "role/*", region="")
    if scope.boundary_arn is None:
        return [{"Sid": "NoRoles", "Effect": "Deny", "Action": [*UNBOUNDED_DENIED, "iam:DeleteRolePermissionsBoundary"], "Resource": "*"}]
    bounded = {"iam:PermissionsBoundary": scope.boundary_arn}
    return [
        {"Sid": "CreateBoundedRoles", "Effect": "Allow", "Action": "iam:CreateRole", "Resource": roles,
         "Condition": {"StringEquals": {**_stack_tags(scope, "RequestTag")["StringEquals"], **bounded}}},
        {"Sid": "ManageBoundedRoles", "Effect": "Allow", "Action": list(BOUNDED_ROLE_ACTIONS), "Resource": roles,
         "Condition": {"StringEquals": {**_stack_tags(scope, "ResourceTag")["StringEquals"], **bounded}}},
        {"Sid": "NoRoleWithoutTheBoundary", "Effect": "Deny", "Action": list(UNBOUNDED_DENIED), "Resource": "*",
         "Condition": {"StringNotEquals": bounded}},
        {"Sid": "TheBoundaryStays", "Effect": "Deny", "Action": "iam:DeleteRolePermissionsBoundary", "Resource": "*"},
    ]


def deploy_policy(scope: Scope, pass_role_arns: Sequence[str], own_arns: Sequence[str], release_repository_arns: Sequence[str] = ()) -> dict:
    """Change only what this stack manages; hand EC2 only the named roles; roles only under the
    boundary; tag as releases only the images of `release_repository_arns` (the stack it promotes from)."""
    statements = [
        *_read_statements(scope),
        {"Sid": "CreateTagged", "Effect": "Allow", "Action": list(CREATE_ACTIONS), "Resource": "*", "Condition": _new_and_tagged(scope)},
        {"Sid": "TagOnCreateEc2", "Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*",
         "Condition": {"StringEquals": {"ec2:CreateAction": list(EC2_CREATING_CALLS), **_stack_tags(scope, "RequestTag")["StringEquals"]}}},
        {"Sid": "TagOnCreateElb", "Effect": "Allow", "Action": "elasticloadbalancing:AddTags", "Resource": "*",
         "Condition": {"StringEquals": {"elasticloadbalancing:CreateAction": list(ELB_CREATING_CALLS), **_stack_tags(scope, "RequestTag")["StringEquals"]}}},
        {"Sid": "ManageTagged", "Effect": "Allow", "Action": sorted(set(MANAGE_ACTIONS)), "Resource": "*", "Condition": _stack_tags(scope, "ResourceTag")},
        # A launch creates network interfaces a launch template cannot tag, from an AMI of any owner.
        {"Sid": "LaunchInterfacesAndImages", "Effect": "Allow", "Action": "ec2:RunInstances",
         "Resource": [scope.arn("ec2", "network-interface/*"), scope.arn("ec2", "image/*", account="")]},
        # Aliases have no tags: named by the stack.
        {"Sid": "StackAliases", "Effect": "Allow", "Action": ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"],
         "Resource": scope.arn("kms", f"alias/{scope.prefix}-*")},
        # The alarms target tracking makes for the groups' scaling policies (TargetTracking-<group>-…).
        {"Sid": "TargetTrackingAlarms", "Effect": "Allow", "Action": ["cloudwatch:DeleteAlarms", "cloudwatch:PutMetricAlarm"],
         "Resource": scope.arn("cloudwatch", "alarm:TargetTracking-*")},
        # What the stores make besides themselves: final snapshots of their own names, and the cache's
        # member clusters (<group id>-001 …), from AWS's default parameter groups.
        {"Sid": "StoreSnapshotsAndMembers", "Effect": "Allow",
         "Action": ["elasticache:CreateCacheCluster", "elasticache:CreateSnapshot", "elasticache:DeleteCacheCluster", "rds:CreateDBSnapshot"],
         "Resource": [scope.arn("elasticache", f"snapshot:{scope.prefix}-*"), scope.arn("elasticache", f"cluster:{scope.prefix}-*"),
                      scope.arn("rds", f"snapshot:{scope.prefix}-*")]},
        {"Sid": "DefaultCacheParameters", "Effect": "Allow", "Action": ["elasticache:CreateCacheCluster", "elasticache:CreateReplicationGroup"],
         "Resource": scope.arn("elasticache", "parametergroup:default.*")},
        # RDS keeps the database password in a secret it creates and names rds!db-<id>.
        {"Sid": "DatabasePasswordSecrets", "Effect": "Allow", "Action": ["secretsmanager:CreateSecret", "secretsmanager:TagResource"],
         "Resource": scope.arn("secretsmanager", "secret:rds!db-*")},
        # Named, not tagged: IAM sees a bucket's tags only when ABAC is enabled on it.
        {"Sid": "StackBuckets", "Effect": "Allow", "Action": list(BUCKET_WRITE_ACTIONS), "Resource": scope.bucket_arn()},
        *_role_statements(scope),
        {
            "Sid": "ServiceLinkedRoles",
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": scope.arn("iam", "role/aws-service-role/*", region=""),
            "Condition": {"StringEquals": {"iam:AWSServiceName": list(SERVICE_LINKED)}},
        },
        *_state_statements(scope, write=True),
        *_parameter_statements(scope, write=True),
        *_key_statement(scope, ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]),
        *_pull_statement(scope),
        *observability_statements(scope, write=True),
        *release_statements(release_repository_arns),
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
            "Resource": sorted({*own_arns, *([scope.boundary_arn] if scope.boundary_arn else [])}),
        },
    ]
    if pass_role_arns:
        statements.insert(len(_read_statements(scope)) + 4, {
            "Sid": "PassNamedRoles",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": sorted(pass_role_arns),
            # To EC2, or into an instance profile (AddRoleToInstanceProfile names no service).
            "Condition": {"StringEqualsIfExists": {"iam:PassedToService": "ec2.amazonaws.com"}},
        })
    return {"Version": "2012-10-17", "Statement": statements}


# --- day two (issue 13): what the roles above, rewritten against AWS's published data (issue 11),
# lack for the alert topic's subscriptions, the failed-build rule, the dashboard, new alarms, the log
# groups' key and release tags. (The topic itself, its key, existing alarms and the access-log bucket
# are covered above.)

OBSERVABILITY_READ_ACTIONS = (
    "cloudwatch:GetDashboard",
    "events:DescribeRule",
    "events:ListTagsForResource",
    "events:ListTargetsByRule",
    "sns:GetSubscriptionAttributes",
)
"""What a refresh reads of the topic's subscriptions, the rule and the dashboard."""
SUBSCRIPTION_WRITE_ACTIONS = ("sns:Subscribe", "sns:Unsubscribe")
"""Both authorize against the topic (`showrunner-<stack>-alerts`), tagged as the stack's."""
RULE_CREATE_ACTIONS = ("events:PutRule", "events:TagResource")
RULE_WRITE_ACTIONS = ("events:DeleteRule", "events:PutRule", "events:PutTargets", "events:RemoveTargets", "events:TagResource", "events:UntagResource")
DASHBOARD_WRITE_ACTIONS = ("cloudwatch:DeleteDashboards", "cloudwatch:PutDashboard")
"""pulumi-aws's Dashboard takes no tags: the dashboard is scoped by its name alone."""
ALARM_CREATE_ACTIONS = ("cloudwatch:PutMetricAlarm", "cloudwatch:TagResource")
"""PutMetricAlarm creates as well as updates: a new alarm carries the stack's tags in the request
(ManageTagged above changes the alarms that exist)."""
ALARM_UNTAG_ACTIONS = ("cloudwatch:UntagResource",)
LOG_GROUP_KEY_ACTIONS = ("logs:AssociateKmsKey", "logs:DisassociateKmsKey")
"""The service log groups are encrypted with the alert key (`kmsKeyId`)."""
RELEASE_TAG_ACTIONS = ("ecr:BatchGetImage", "ecr:PutImage")
"""Tagging a promoted digest `release-…` (tools/protect-releases): read its manifest, put it under a
new tag, in a repository tagged as another stack's (so ManageTagged does not cover it)."""


def observability_statements(scope: Scope, *, write: bool) -> list[dict]:
    """The topic and rule by their `showrunner-<stack>-…` names and the stack's tags, the dashboard
    by its name, alarms and log groups by the stack's tags."""
    statements = [{"Sid": "ReadObservability", "Effect": "Allow", "Action": list(OBSERVABILITY_READ_ACTIONS), "Resource": "*"}]
    if write:
        tagged = _stack_tags(scope, "ResourceTag")
        rules = scope.arn("events", f"rule/{scope.prefix}-*")
        statements += [
            {"Sid": "SubscribeToAlertTopic", "Effect": "Allow", "Action": list(SUBSCRIPTION_WRITE_ACTIONS),
             "Resource": scope.arn("sns", f"{scope.prefix}-*"), "Condition": tagged},
            {"Sid": "CreateFailedBuildRule", "Effect": "Allow", "Action": list(RULE_CREATE_ACTIONS), "Resource": rules, "Condition": _new_and_tagged(scope)},
            {"Sid": "ManageFailedBuildRule", "Effect": "Allow", "Action": list(RULE_WRITE_ACTIONS), "Resource": rules, "Condition": tagged},
            {"Sid": "WriteDashboard", "Effect": "Allow", "Action": list(DASHBOARD_WRITE_ACTIONS),
             "Resource": scope.arn("cloudwatch", f"dashboard/{scope.prefix}", region="")},
            {"Sid": "CreateTaggedAlarms", "Effect": "Allow", "Action": list(ALARM_CREATE_ACTIONS), "Resource": "*", "Condition": _new_and_tagged(scope)},
            {"Sid": "ManageTaggedObservability", "Effect": "Allow", "Action": [*ALARM_UNTAG_ACTIONS, *LOG_GROUP_KEY_ACTIONS], "Resource": "*",
             "Condition": tagged},
        ]
    return statements


def release_statements(release_repository_arns: Sequence[str]) -> list[dict]:
    """Tag the digests this stack promotes as releases, in the repositories they come from."""
    if not release_repository_arns:
        return []
    return [{"Sid": "TagReleases", "Effect": "Allow", "Action": list(RELEASE_TAG_ACTIONS), "Resource": sorted(set(release_repository_arns))}]
