"""The alerts key's and topic's resource policies, as pure functions of plain strings.

CloudWatch alarms and EventBridge rules publish to an encrypted topic only if the key lets their
service principals generate data keys, and the topic lets them publish: AWS-managed `aws/sns`
cannot be granted to them, hence a customer-managed key
(https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
CloudWatch Logs encrypts log groups with the same key when their ARN is under the given prefix
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html). Writers of
the log groups (the hosts' Docker engines) need no key permission: the service encrypts.
"""

from __future__ import annotations

from showrunner_components.fleet.iam import VERSION

PUBLISHERS = ("cloudwatch.amazonaws.com", "events.amazonaws.com")
"""The services that publish alarms and events to the topic."""
LOG_KEY_ACTIONS = ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"]


def key_policy(*, partition: str, account: str, region: str, log_group_prefix: str | None = None) -> dict:
    """The account administers the key; alarms and rules of this account publish through it; log
    groups under `log_group_prefix` (if given) are encrypted with it."""
    statements: list[dict] = [
        {
            "Sid": "AccountAdministers",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "AlarmsAndRulesPublish",
            "Effect": "Allow",
            "Principal": {"Service": list(PUBLISHERS)},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": account}},
        },
    ]
    if log_group_prefix is not None:
        statements.append(
            {
                "Sid": "LogGroupsEncrypt",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": LOG_KEY_ACTIONS,
                "Resource": "*",
                "Condition": {
                    "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account}:log-group:{log_group_prefix}*"}
                },
            }
        )
    return {"Version": VERSION, "Statement": statements}


def topic_policy(*, partition: str, account: str, region: str, topic_arn: str) -> dict:
    """This account's alarms and EventBridge rules may publish; the account manages the topic."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "AccountManages",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                "Action": ["sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:Publish", "sns:SetTopicAttributes", "sns:Subscribe"],
                "Resource": topic_arn,
            },
            _publishes("AlarmsPublish", "cloudwatch.amazonaws.com", f"arn:{partition}:cloudwatch:{region}:{account}:alarm:*", topic_arn),
            _publishes("RulesPublish", "events.amazonaws.com", f"arn:{partition}:events:{region}:{account}:rule/*", topic_arn),
        ],
    }


def _publishes(sid: str, service: str, source_arns: str, topic_arn: str) -> dict:
    """`service` may publish to the topic on behalf of this account's resources only (`aws:SourceArn`)."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sns:Publish",
        "Resource": topic_arn,
        "Condition": {"ArnLike": {"aws:SourceArn": source_arns}},
    }
