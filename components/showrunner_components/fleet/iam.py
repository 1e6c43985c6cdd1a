"""IAM documents of a fleet's instance role, as pure functions of plain strings.

One role per fleet, so that a host can read only the secrets of the services it runs. Nothing in
here calls AWS; `Fleet` applies these documents to resolved ARNs and the tests compare them exactly.

What a host may do, and nothing else:
- pull images from this stack's ECR repositories (`GetAuthorizationToken` has no resource-level
  permissions, so it is the one ECR action on "*");
- read the SSM parameters under `/showrunner/<stack>/<service>/` of its own services, and decrypt
  them with the secrets key only when SSM asks on its behalf (`kms:ViaService`): SSM decrypts only
  for a GetParameter call it authorized first, so which secrets a host reads is decided there;
- write its logs to its fleet's log group and its services' (`<fleet group>/<service>`, where
  Docker's awslogs driver sends each container's output), and metrics to the stack's metric namespaces;
- answer SSM Session Manager, the only way in (there is no SSH); those actions have no
  resource-level permissions either;
- whatever `additional_statements` add, after all of the above: this program passes the stores
  its services use (`state.contract.access_statements`: those queues, those tables, the database
  password's secret, and nothing else of the stack's).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

VERSION = "2012-10-17"

ECR_PULL_ACTIONS = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
SSM_READ_ACTIONS = ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"]
LOG_ACTIONS = ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
SESSION_MANAGER_ACTIONS = [
    "ssm:UpdateInstanceInformation",
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
]


def parameter_arns(partition: str, region: str, account: str, stack: str, services: Sequence[str]) -> list[str]:
    """The path of each service (for GetParametersByPath) and every parameter under it."""
    arns = []
    for service in sorted(services):
        base = f"arn:{partition}:ssm:{region}:{account}:parameter/showrunner/{stack}/{service}"
        arns += [base, f"{base}/*"]
    return arns


def service_domain(partition: str) -> str:
    """The DNS suffix of AWS service endpoints in a partition (what `kms:ViaService` names)."""
    return "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"


def log_group_name(stack: str, fleet: str, service: str | None = None) -> str:
    """`/showrunner/<stack>/<fleet>` (the hosts'), or a service's `/showrunner/<stack>/<fleet>/<service>`."""
    return f"/showrunner/{stack}/{fleet}" + (f"/{service}" if service is not None else "")


def group_name_tag(stack: str, fleet: str) -> str:
    """The `Name` tag of a fleet's Auto Scaling group: what its hosts' `SetInstanceHealth` is scoped to
    (the group's own name is generated, and unknown when the role's policy is written)."""
    return f"showrunner-{stack}-{fleet}"


def instance_role_policy(
    *,
    partition: str,
    region: str,
    account: str,
    stack: str,
    fleet: str,
    services: Sequence[str],
    repository_arns: Sequence[str],
    secrets_key_arn: str,
    metric_namespaces: Sequence[str],
    additional_statements: Sequence[dict] = (),
) -> dict:
    """The inline policy of one fleet's instance role. Statements with no resource are left out."""
    statements: list[dict] = []
    if repository_arns:
        statements += [
            {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {"Sid": "EcrPullStackRepositories", "Effect": "Allow", "Action": ECR_PULL_ACTIONS, "Resource": sorted(set(repository_arns))},
        ]
    if services:
        statements += [
            {
                "Sid": "ReadOwnServiceParameters",
                "Effect": "Allow",
                "Action": SSM_READ_ACTIONS,
                "Resource": parameter_arns(partition, region, account, stack, services),
            },
            {
                "Sid": "DecryptParametersThroughSsm",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": secrets_key_arn,
                "Condition": {"StringEquals": {"kms:ViaService": f"ssm.{region}.{service_domain(partition)}"}},
            },
        ]
    groups = [f"arn:{partition}:logs:{region}:{account}:log-group:{name}" for name in
              [log_group_name(stack, fleet), *(log_group_name(stack, fleet, service) for service in sorted(services))]]
    statements += [
        {"Sid": "WriteFleetLogs", "Effect": "Allow", "Action": LOG_ACTIONS, "Resource": [arn for group in groups for arn in (group, f"{group}:log-stream:*")]},
        {
            "Sid": "PutStackMetrics",
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": sorted(metric_namespaces)}},
        },
        {
            # showrunner-retry, past the start deadline: the group replaces a host that cannot start its services.
            "Sid": "MarkOwnGroupInstancesUnhealthy",
            "Effect": "Allow",
            "Action": "autoscaling:SetInstanceHealth",
            "Resource": f"arn:{partition}:autoscaling:{region}:{account}:autoScalingGroup:*:autoScalingGroupName/*",
            "Condition": {"StringEquals": {"aws:ResourceTag/Name": group_name_tag(stack, fleet)}},
        },
        {"Sid": "SessionManager", "Effect": "Allow", "Action": SESSION_MANAGER_ACTIONS, "Resource": "*"},
    ]
    statements += list(additional_statements)
    return {"Version": VERSION, "Statement": statements}


def to_json(document: dict) -> str:
    """The exact text sent to IAM: keys in the order built, compact, stable."""
    return json.dumps(document, separators=(",", ":"))
