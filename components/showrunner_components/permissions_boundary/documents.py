"""The stack's permissions boundary: the most any role the deploy role creates may ever do.

The deploy role creates the hosts' roles and the image build role, so it could otherwise create a
role that trusts itself and give it `*:*`. It may create or change a role only when the role carries
this boundary (`iam:PermissionsBoundary`), and it may not change the boundary: an administrator
applies it, as the delivery roles. A role's effective permissions are what its own policy and the
boundary both allow: the boundary holds only what hosts and image builds call, on this stack's
resources, and no IAM, STS or Organizations action at all.

A pure builder (no Pulumi); `PermissionsBoundary` (component.py) makes it a managed policy.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["boundary_name", "boundary_policy"]

# What the SSM agent calls (AmazonSSMManagedInstanceCore) and Session Manager needs.
SSM_AGENT_ACTIONS = (
    "ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage", "ec2messages:FailMessage", "ec2messages:GetEndpoint",
    "ec2messages:GetMessages", "ec2messages:SendReply",
    "ssm:DescribeAssociation", "ssm:DescribeDocument", "ssm:GetDeployablePatchSnapshotForInstance", "ssm:GetDocument",
    "ssm:GetManifest", "ssm:ListAssociations", "ssm:ListInstanceAssociations", "ssm:PutComplianceItems",
    "ssm:PutConfigurePackageResult", "ssm:PutInventory", "ssm:UpdateAssociationStatus", "ssm:UpdateInstanceAssociationStatus",
    "ssm:UpdateInstanceInformation",
    "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
)
ECR_PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
QUEUE_ACTIONS = ("sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage", "sqs:SendMessage")
TABLE_ACTIONS = (
    "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem", "dynamodb:GetItem",
    "dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateItem",
)
LOG_ACTIONS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents")
NEVER = ("iam:*", "sts:*", "organizations:*", "account:*")


def boundary_name(stack: str) -> str:
    return f"showrunner-{stack}-boundary"


def boundary_policy(*, partition: str, region: str, account: str, stack: str, repository_prefix: str, key_arns: Sequence[str]) -> dict:
    """The boundary document: every Allow scoped to this stack's names, and IAM, STS and
    Organizations denied outright (a Deny no identity policy can outweigh)."""
    arn = f"arn:{partition}"
    at = f"{region}:{account}"
    statements = [
        {"Sid": "HostAgents", "Effect": "Allow", "Action": list(SSM_AGENT_ACTIONS), "Resource": "*"},
        {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        {"Sid": "StackRepositories", "Effect": "Allow", "Action": list(ECR_PULL_ACTIONS), "Resource": f"{arn}:ecr:{at}:repository/{repository_prefix}/*"},
        {
            "Sid": "StackParameters",
            "Effect": "Allow",
            "Action": ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
            "Resource": [
                f"{arn}:ssm:{at}:parameter/showrunner/{stack}/*",
                f"{arn}:ssm:{at}:parameter/imagebuilder/showrunner/{stack}/*",
                f"{arn}:ssm:{region}::parameter/aws/service/*",
            ],
        },
        {"Sid": "StackQueues", "Effect": "Allow", "Action": list(QUEUE_ACTIONS), "Resource": f"{arn}:sqs:{at}:showrunner-{stack}-*"},
        {"Sid": "StackTables", "Effect": "Allow", "Action": list(TABLE_ACTIONS), "Resource": f"{arn}:dynamodb:{at}:table/showrunner-{stack}-*"},
        # RDS names the secrets it manages rds!db-<uuid>; the identity policies name the stack's one.
        {"Sid": "DatabasePasswords", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": f"{arn}:secretsmanager:{at}:secret:rds!db-*"},
        # IAM database authentication: a user of any database here (its resource id is random, and
        # made after the boundary); the identity policies name the stack's database and app user.
        {"Sid": "DatabaseUsers", "Effect": "Allow", "Action": "rds-db:connect", "Resource": f"{arn}:rds-db:{at}:dbuser:*/*"},
        {
            "Sid": "StackLogs",
            "Effect": "Allow",
            "Action": list(LOG_ACTIONS),
            "Resource": [f"{arn}:logs:{at}:log-group:/showrunner/{stack}/*", f"{arn}:logs:{at}:log-group:/aws/imagebuilder/*"],
        },
        {"Sid": "Metrics", "Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*"},
        # A host past its start deadline marks itself Unhealthy; the groups are named by the stack (their Name tag).
        {
            "Sid": "StackGroupHealth",
            "Effect": "Allow",
            "Action": "autoscaling:SetInstanceHealth",
            "Resource": f"{arn}:autoscaling:{at}:autoScalingGroup:*:autoScalingGroupName/*",
            "Condition": {"StringLike": {"aws:ResourceTag/Name": f"showrunner-{stack}-*"}},
        },
        # The image build: its components, and its logs in the stack's bucket.
        {"Sid": "ImageBuild", "Effect": "Allow", "Action": "imagebuilder:GetComponent", "Resource": f"{arn}:imagebuilder:{at}:component/showrunner-{stack}-*"},
        {"Sid": "BuildLogs", "Effect": "Allow", "Action": "s3:PutObject", "Resource": f"{arn}:s3:::showrunner-{stack}-*/*"},
        {"Sid": "NoIdentityChanges", "Effect": "Deny", "Action": list(NEVER), "Resource": "*"},
    ]
    if key_arns:
        statements.insert(-1, {"Sid": "StackKeys", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": sorted(key_arns)})
    return {"Version": "2012-10-17", "Statement": statements}
