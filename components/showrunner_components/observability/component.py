"""Alerts (an encrypted SNS topic, its key and subscribers) and a stack's Dashboard.

The alarms themselves belong to the components whose resources they watch (`Fleet`, `State`,
`LoadBalancer`, `GoldenAmi`'s failed-build rule): each takes the topic's ARN as its alarm action.
`Alerts` comes first (its topic and key are inputs of the others), the `Dashboard` last (it names
their resources). The pure builders are `alarms`, `dashboard` and `policies`.
"""

import hashlib
import json
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from showrunner_components.observability.dashboard import dashboard_body
from showrunner_components.observability.policies import key_policy, topic_policy
from showrunner_components.tagging import merge_tags

__all__ = ["Alerts", "AlertsArgs", "AlertsSubscription", "Dashboard", "DashboardArgs", "DashboardStores"]

PROTOCOLS = ("email", "https")
DEFAULT_KEY_DELETION_WINDOW_DAYS = 30


class AlertsSubscription(TypedDict):
    """One subscriber of the topic."""

    protocol: str
    """`email` (the address confirms the subscription once) or `https` (the endpoint confirms it)."""
    endpoint: str
    """The e-mail address, or the `https://` URL."""


class AlertsArgs(TypedDict):
    stack: str
    """The deployment name: the topic is `showrunner-<stack>-alerts`, the key's alias `alias/showrunner-<stack>-alerts`."""
    subscriptions: NotRequired[list[AlertsSubscription]]
    """Who hears every alarm, its recovery, and every failed image build. Default: none; the topic
    exists and alarms still gate rollouts, but no one is told."""
    log_group_prefix: NotRequired[str]
    """Log groups whose names start with this may be encrypted with the key (`Fleet`'s
    `log_kms_key_arn`), e.g. `/showrunner/prod/`. Default: the key encrypts only the topic."""
    key_deletion_window_days: NotRequired[int]
    """Days a deleted key can still be restored (7-30). Default: 30, the longest AWS allows."""
    tags: NotRequired[dict[str, str]]
    """Tags on the key and the topic, before `Service: alerts`. Default: none."""


class Alerts(pulumi.ComponentResource):
    """An SNS topic encrypted with a customer-managed key that alarms and EventBridge may use, and its subscriptions."""

    topic_arn: pulumi.Output[str]
    """Give it to every component's `alarm_actions` (and `GoldenAmi`'s `alert_topic_arn`)."""
    key_arn: pulumi.Output[str]
    """The topic's key; also encrypts the log groups under `log_group_prefix` (`Fleet`'s `log_kms_key_arn`)."""

    def __init__(self, name: str, args: AlertsArgs, opts: pulumi.ResourceOptions | None = None):
        _check_subscriptions(name, args.get("subscriptions", []))
        super().__init__("showrunner:index:Alerts", name, None, opts)
        self._child = pulumi.ResourceOptions(parent=self)
        self._tags = merge_tags(args.get("tags", {}), None, Service="alerts")
        invoke = pulumi.InvokeOutputOptions(parent=self)
        partition = aws.get_partition_output(opts=invoke).partition
        region = aws.get_region_output(opts=invoke).region
        account = aws.get_caller_identity_output(opts=invoke).account_id
        key = self._key(name, args, partition, region, account)
        topic = self._topic(name, args, key, partition, region, account)
        self._subscriptions(name, args, topic)
        self.topic_arn = topic.arn
        self.key_arn = key.arn
        self.register_outputs({"topic_arn": self.topic_arn, "key_arn": self.key_arn})

    def _key(self, name: str, args: AlertsArgs, partition, region, account) -> aws.kms.Key:
        stack = args["stack"]
        key = aws.kms.Key(
            f"{name}-key",
            description=f"showrunner {stack}: the alert topic and the log groups",
            enable_key_rotation=True,
            deletion_window_in_days=args.get("key_deletion_window_days", DEFAULT_KEY_DELETION_WINDOW_DAYS),
            policy=pulumi.Output.all(partition, account, region).apply(
                lambda v: json.dumps(key_policy(partition=v[0], account=v[1], region=v[2], log_group_prefix=args.get("log_group_prefix")))
            ),
            tags=merge_tags(self._tags, f"{name}-key"),
            opts=self._child,
        )
        aws.kms.Alias(f"{name}-key-alias", name=f"alias/showrunner-{stack}-alerts", target_key_id=key.key_id, opts=self._child)
        return key

    def _topic(self, name: str, args: AlertsArgs, key: aws.kms.Key, partition, region, account) -> aws.sns.Topic:
        topic = aws.sns.Topic(
            f"{name}-topic",
            name=f"showrunner-{args['stack']}-alerts",
            kms_master_key_id=key.arn,
            tags=merge_tags(self._tags, f"{name}-topic"),
            opts=self._child,
        )
        aws.sns.TopicPolicy(
            f"{name}-topic-policy",
            arn=topic.arn,
            policy=pulumi.Output.all(partition, account, region, topic.arn).apply(
                lambda v: json.dumps(topic_policy(partition=v[0], account=v[1], region=v[2], topic_arn=v[3]))
            ),
            opts=self._child,
        )
        return topic

    def _subscriptions(self, name: str, args: AlertsArgs, topic: aws.sns.Topic) -> None:
        """One per subscriber, named by its endpoint's hash: reordering the list replaces nothing."""
        for subscription in args.get("subscriptions", []):
            aws.sns.TopicSubscription(
                f"{name}-{subscription['protocol']}-{subscription_key(subscription)}",
                topic=topic.arn,
                protocol=subscription["protocol"],
                endpoint=subscription["endpoint"],
                opts=self._child,
            )


def subscription_key(subscription: AlertsSubscription) -> str:
    """Eight hex digits of the endpoint: stable, unique, and no address in a resource name."""
    return hashlib.sha256(f"{subscription['protocol']}:{subscription['endpoint']}".encode()).hexdigest()[:8]


def _check_subscriptions(name: str, subscriptions: list[AlertsSubscription]) -> None:
    seen = set()
    for index, subscription in enumerate(subscriptions):
        protocol, endpoint = subscription["protocol"], subscription["endpoint"]
        if protocol not in PROTOCOLS:
            raise ValueError(f"alerts {name}: subscriptions[{index}]: protocol {protocol!r} is not one of {', '.join(PROTOCOLS)}")
        if protocol == "https" and not endpoint.startswith("https://"):
            raise ValueError(f"alerts {name}: subscriptions[{index}]: an https subscription needs an https:// endpoint")
        if (protocol, endpoint) in seen:
            raise ValueError(f"alerts {name}: subscriptions[{index}]: {protocol} {endpoint} is given twice")
        seen.add((protocol, endpoint))


class DashboardStores(TypedDict):
    """The stores the dashboard shows, by the names CloudWatch's dimensions use."""

    mysql_instance_id: NotRequired[pulumi.Input[str]]
    """The RDS instance identifier. Default: no database row."""
    cache_node_ids: NotRequired[pulumi.Input[list[str]]]
    """The cache's member clusters (`<group>-001` …). Default: no cache row."""
    queues: NotRequired[pulumi.Input[dict[str, str]]]
    """Queue name → its dead-letter queue's name. Default: no queue row."""
    tables: NotRequired[pulumi.Input[list[str]]]
    """DynamoDB table names. Default: no table row."""


class DashboardArgs(TypedDict):
    stack: str
    """The deployment name: the dashboard is `showrunner-<stack>`; the fleets' disk metrics carry it as `Stack`."""
    alarm_arns: NotRequired[pulumi.Input[list[str]]]
    """Alarms whose state the top row shows. Default: no alarm row."""
    load_balancer_arn_suffix: NotRequired[pulumi.Input[str]]
    """The ALB (`app/<name>/<id>`). Default: no load balancer row."""
    target_group_arn_suffixes: NotRequired[pulumi.Input[dict[str, str]]]
    """Route → its target group's ARN suffix: healthy and unhealthy hosts per routed service. Default: none."""
    fleet_group_names: NotRequired[pulumi.Input[dict[str, str]]]
    """Fleet → its Auto Scaling group: hosts, CPU and the fullest disk per fleet. Default: none."""
    stores: NotRequired[DashboardStores]
    """Default: no store rows."""


class Dashboard(pulumi.ComponentResource):
    """One CloudWatch dashboard: alarms, the load balancer, each fleet, each store."""

    dashboard_name: pulumi.Output[str]
    """`showrunner-<stack>`."""

    def __init__(self, name: str, args: DashboardArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("showrunner:index:Dashboard", name, None, opts)
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        stores = args.get("stores", {})
        parts = pulumi.Output.all(
            region=region,
            alarm_arns=args.get("alarm_arns", []),
            load_balancer=args.get("load_balancer_arn_suffix"),
            target_groups=args.get("target_group_arn_suffixes", {}),
            fleets=args.get("fleet_group_names", {}),
            mysql=stores.get("mysql_instance_id"),
            cache_nodes=stores.get("cache_node_ids", []),
            queues=stores.get("queues", {}),
            tables=stores.get("tables", []),
        )
        dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=f"showrunner-{args['stack']}",
            dashboard_body=parts.apply(lambda v: dashboard_body(stack=args["stack"], **v)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.dashboard_name = dashboard.dashboard_name
        self.register_outputs({"dashboard_name": self.dashboard_name})
