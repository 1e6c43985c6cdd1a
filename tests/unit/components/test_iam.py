"""Instance-role documents, compared exactly: every action and resource a host is granted."""

from __future__ import annotations

import json

from showrunner_components.aws import ec2_trust_policy
from showrunner_components.fleet.iam import instance_role_policy, to_json

KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-0000-0000-0000-000000000000"
WWW_REPO = "arn:aws:ecr:us-east-1:123456789012:repository/showrunner-prod/www"
MICRO_REPO = "arn:aws:ecr:us-east-1:123456789012:repository/showrunner-prod/micro"


def _policy(**overrides):
    args = dict(
        partition="aws",
        region="us-east-1",
        account="123456789012",
        stack="prod",
        fleet="www",
        services=["django"],
        repository_arns=[WWW_REPO, MICRO_REPO, WWW_REPO],
        secrets_key_arn=KEY,
        metric_namespaces=["Showrunner", "CWAgent"],
    )
    return instance_role_policy(**{**args, **overrides})


def test_instance_role_policy_is_exact():
    assert _policy() == {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {
                "Sid": "EcrPullStackRepositories",
                "Effect": "Allow",
                "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                "Resource": [MICRO_REPO, WWW_REPO],
            },
            {
                "Sid": "ReadOwnServiceParameters",
                "Effect": "Allow",
                "Action": ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
                "Resource": [
                    "arn:aws:ssm:us-east-1:123456789012:parameter/showrunner/prod/django",
                    "arn:aws:ssm:us-east-1:123456789012:parameter/showrunner/prod/django/*",
                ],
            },
            {
                "Sid": "DecryptParametersThroughSsm",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": KEY,
                "Condition": {"StringEquals": {"kms:ViaService": "ssm.us-east-1.amazonaws.com"}},
            },
            {
                "Sid": "WriteFleetLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                "Resource": [
                    "arn:aws:logs:us-east-1:123456789012:log-group:/showrunner/prod/www",
                    "arn:aws:logs:us-east-1:123456789012:log-group:/showrunner/prod/www:log-stream:*",
                    "arn:aws:logs:us-east-1:123456789012:log-group:/showrunner/prod/www/django",
                    "arn:aws:logs:us-east-1:123456789012:log-group:/showrunner/prod/www/django:log-stream:*",
                ],
            },
            {
                "Sid": "PutStackMetrics",
                "Effect": "Allow",
                "Action": "cloudwatch:PutMetricData",
                "Resource": "*",
                "Condition": {"StringEquals": {"cloudwatch:namespace": ["CWAgent", "Showrunner"]}},
            },
            {
                "Sid": "MarkOwnGroupInstancesUnhealthy",
                "Effect": "Allow",
                "Action": "autoscaling:SetInstanceHealth",
                "Resource": "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:*:autoScalingGroupName/*",
                "Condition": {"StringEquals": {"aws:ResourceTag/Name": "showrunner-prod-www"}},
            },
            {
                "Sid": "SessionManager",
                "Effect": "Allow",
                "Action": [
                    "ssm:UpdateInstanceInformation",
                    "ssmmessages:CreateControlChannel",
                    "ssmmessages:CreateDataChannel",
                    "ssmmessages:OpenControlChannel",
                    "ssmmessages:OpenDataChannel",
                ],
                "Resource": "*",
            },
        ],
    }


def test_each_service_path_is_granted_and_no_wider_one():
    statement = _policy(services=["celery", "clearsessions"])["Statement"][2]
    assert statement["Resource"] == [
        "arn:aws:ssm:us-east-1:123456789012:parameter/showrunner/prod/celery",
        "arn:aws:ssm:us-east-1:123456789012:parameter/showrunner/prod/celery/*",
        "arn:aws:ssm:us-east-1:123456789012:parameter/showrunner/prod/clearsessions",
        "arn:aws:ssm:us-east-1:123456789012:parameter/showrunner/prod/clearsessions/*",
    ]


def test_nothing_is_granted_on_star_but_what_aws_cannot_scope():
    star = {json.dumps(s["Action"]) for s in _policy()["Statement"] if s["Resource"] == "*"}
    assert star == {
        '"ecr:GetAuthorizationToken"',
        '"cloudwatch:PutMetricData"',
        json.dumps(
            [
                "ssm:UpdateInstanceInformation",
                "ssmmessages:CreateControlChannel",
                "ssmmessages:CreateDataChannel",
                "ssmmessages:OpenControlChannel",
                "ssmmessages:OpenDataChannel",
            ]
        ),
    }


def test_a_fleet_without_repositories_or_services_gets_no_ecr_or_ssm_statement():
    sids = [s["Sid"] for s in _policy(repository_arns=[], services=[])["Statement"]]
    assert sids == ["WriteFleetLogs", "PutStackMetrics", "MarkOwnGroupInstancesUnhealthy", "SessionManager"]


def test_only_ec2_assumes_the_role():
    assert to_json(ec2_trust_policy()) == (
        '{"Version":"2012-10-17","Statement":[{"Sid":"Ec2Instances","Effect":"Allow",'
        '"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
    )


def test_additional_statements_come_last_and_unchanged():
    queues = {"Sid": "UseCeleryQueues", "Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": ["arn:aws:sqs:us-east-1:123456789012:q"]}
    policy = _policy(additional_statements=[queues])
    assert policy["Statement"][:-1] == _policy()["Statement"]
    assert policy["Statement"][-1] == queues


def test_every_arn_the_role_builds_is_in_the_given_partition():
    key = KEY.replace("arn:aws:kms:us-east-1:", "arn:aws-cn:kms:cn-north-1:")
    policy = _policy(partition="aws-cn", region="cn-north-1", repository_arns=[], services=["django"], secrets_key_arn=key)
    arns = [r for s in policy["Statement"] for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"]) if r != "*"]
    assert len(arns) == 8 and all(r.startswith("arn:aws-cn:") for r in arns), arns
    decrypt = next(s for s in policy["Statement"] if s["Sid"] == "DecryptParametersThroughSsm")
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": "ssm.cn-north-1.amazonaws.com.cn"}}
    assert ec2_trust_policy("aws-cn")["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com.cn"}
