"""Alerts, the dashboard, the stores' and the golden image's alarms: under mocks (prod), then the
pure builders (`observability.alarms`, `.dashboard`, `.policies`) by exact comparison."""

from __future__ import annotations

import json

import pytest

from showrunner_components.golden_ami.component import failed_build_pattern
from showrunner_components.observability import alarms, dashboard, policies
from showrunner_components.observability.component import _check_subscriptions, subscription_key
from tests.conftest import by_type, one
from tests.unit.stand_ins import standalone_run

ACCOUNT = "123456789012"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:showrunner-prod-alerts"


def _alarms(run) -> dict[str, dict]:
    return {a.name: a.inputs for a in by_type(run, "aws:cloudwatch/metricAlarm:MetricAlarm")}


def test_the_alert_topic_is_encrypted_with_a_key_alarms_and_rules_may_use(stack_run):
    run = stack_run("prod")
    topic = one(run, "aws:sns/topic:Topic", "alerts-topic").inputs
    key = one(run, "aws:kms/key:Key", "alerts-key").inputs
    assert topic["name"] == "showrunner-prod-alerts" and topic["kmsMasterKeyId"].startswith(f"arn:aws:kms:us-east-1:{ACCOUNT}:key/")
    assert key["enableKeyRotation"] is True
    assert json.loads(key["policy"]) == policies.key_policy(partition="aws", account=ACCOUNT, region="us-east-1", log_group_prefix="/showrunner/prod/")
    assert json.loads(one(run, "aws:sns/topicPolicy:TopicPolicy", "alerts-topic-policy").inputs["policy"]) == policies.topic_policy(
        partition="aws", account=ACCOUNT, region="us-east-1", topic_arn=TOPIC)
    subscriptions = {(s.inputs["protocol"], s.inputs["endpoint"], s.inputs["topic"]) for s in by_type(run, "aws:sns/topicSubscription:TopicSubscription")}
    assert subscriptions == {("email", "oncall@showrunner.example", TOPIC), ("https", "https://alerts.showrunner.example/sns/prod", TOPIC)}
    assert run.outputs["alerts_topic_arn"] == TOPIC


def test_every_store_has_its_alarms_at_the_stacks_thresholds(stack_run):
    run = stack_run("prod")
    state = {name: inputs for name, inputs in _alarms(run).items() if name.startswith("state-alarm-")}
    assert sorted(state) == sorted(
        [f"state-alarm-mysql-{what}" for what in ("cpu", "free-storage", "free-memory", "connections")]
        + [f"state-alarm-cache-{node:03d}-{what}" for node in (1, 2, 3) for what in ("memory", "evictions")]
        + ["state-alarm-celery-dlq-depth", "state-alarm-notifications-dlq-depth"]
    )
    assert all(a["alarmActions"] == a["okActions"] == [TOPIC] for a in state.values())
    # prod: 200 GiB allocated (10% free is 20 GiB); db.r6i.xlarge is 32 GiB, 2730 default connections.
    assert state["state-alarm-mysql-free-storage"]["threshold"] == 200 * 1024**3 * 0.1
    assert state["state-alarm-mysql-free-memory"]["threshold"] == 32 * 1024**3 * 0.1
    assert state["state-alarm-mysql-connections"]["threshold"] == 2184
    assert state["state-alarm-mysql-cpu"]["dimensions"] == {"DBInstanceIdentifier": "showrunner-prod-mysql"}
    assert state["state-alarm-cache-002-memory"]["dimensions"] == {"CacheClusterId": "showrunner-prod-cache-002"}
    assert state["state-alarm-celery-dlq-depth"]["dimensions"] == {"QueueName": "showrunner-prod-celery-dlq"}
    # Staging's single cache node has its own pair.
    assert sorted(n for n in _alarms(stack_run("staging")) if n.startswith("state-alarm-cache")) == [
        "state-alarm-cache-001-evictions", "state-alarm-cache-001-memory"]


def test_a_failed_golden_image_build_reaches_the_topic(stack_run):
    run = stack_run("prod")
    rule = one(run, "aws:cloudwatch/eventRule:EventRule", "golden-ami-failed-builds").inputs
    assert rule["name"] == "showrunner-prod-golden-failed"
    assert json.loads(rule["eventPattern"]) == {
        "source": ["aws.imagebuilder"],
        "detail-type": ["EC2 Image Builder Image State Change"],
        "resources": [{"prefix": f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:image/showrunner-prod-golden/"}],
        "detail": {"state": {"status": ["FAILED"]}},
    }
    target = one(run, "aws:cloudwatch/eventTarget:EventTarget", "golden-ami-failed-builds-alert").inputs
    assert (target["rule"], target["arn"]) == ("showrunner-prod-golden-failed", TOPIC)
    assert failed_build_pattern("aws-cn", "cn-north-1", "1", "r")["resources"] == [{"prefix": "arn:aws-cn:imagebuilder:cn-north-1:1:image/r/"}]


def test_one_dashboard_shows_the_alarms_the_load_balancer_every_fleet_and_every_store(stack_run):
    run = stack_run("prod")
    board = one(run, "aws:cloudwatch/dashboard:Dashboard", "dashboard-dashboard").inputs
    assert board["dashboardName"] == "showrunner-prod" == run.outputs["dashboard_name"]
    widgets = json.loads(board["dashboardBody"])["widgets"]
    titles = [w["properties"]["title"] for w in widgets]
    assert titles[:6] == ["Alarms", "Requests", "5xx (load balancer and targets)", "Target response time p99",
                          "catalog: healthy and unhealthy hosts", "django: healthy and unhealthy hosts"]
    for fleet in ("micro", "ops", "worker", "www"):
        assert [f"{fleet}: hosts in service", f"{fleet}: CPU", f"{fleet}: fullest disk, percent"] == [t for t in titles if t.startswith(f"{fleet}:")]
    assert titles[-8:] == ["Database CPU", "Database connections", "Database free storage and memory", "Cache memory, percent",
                           "Cache evictions", "Queue depth", "Dead-letter queue depth", "Table throttles"]
    # Every alarm of the stack is on the alarm row.
    every = sorted(f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:{a['name']}" for a in _alarms(run).values())
    assert widgets[0]["properties"]["alarms"] == every and len(every) == 31
    www_group = run.outputs["fleet_groups"]["www"]
    assert widgets[titles.index("www: CPU")]["properties"]["metrics"] == [["AWS/EC2", "CPUUtilization", "AutoScalingGroupName", www_group]]
    assert all(w["x"] + w["width"] <= dashboard.WIDTH for w in widgets)


# --- pure builders -----------------------------------------------------------------------------


def test_a_5xx_rate_alarm_is_metric_math_over_the_target_groups_counts():
    assert alarms.target_5xx_rate("a-5xx", "app/lb/1", "targetgroup/tg/2", 2.5) == {
        "name": "a-5xx",
        "alarm_description": "More than 2.5% of requests got a 5xx from the service's targets, 3 minutes running",
        "metric_queries": [
            {"id": "errors", "return_data": False, "metric": {"metric_name": "HTTPCode_Target_5XX_Count", "namespace": "AWS/ApplicationELB",
                                                              "dimensions": {"LoadBalancer": "app/lb/1", "TargetGroup": "targetgroup/tg/2"},
                                                              "stat": "Sum", "period": 60}},
            {"id": "requests", "return_data": False, "metric": {"metric_name": "RequestCount", "namespace": "AWS/ApplicationELB",
                                                                "dimensions": {"LoadBalancer": "app/lb/1", "TargetGroup": "targetgroup/tg/2"},
                                                                "stat": "Sum", "period": 60}},
            {"id": "rate", "expression": "IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)", "label": "5xx percent", "return_data": True},
        ],
        "evaluation_periods": 3,
        "datapoints_to_alarm": 3,
        "threshold": 2.5,
        "comparison_operator": "GreaterThanThreshold",
        "treat_missing_data": "notBreaching",
    }


def test_a_dead_letter_alarm_fires_on_the_first_failed_task():
    assert alarms.dead_letter("q-dlq-depth", "q-dlq") == {
        "name": "q-dlq-depth",
        "alarm_description": "More than 0 messages wait in the dead-letter queue: tasks failed repeatedly; fix them and redrive",
        "namespace": "AWS/SQS",
        "metric_name": "ApproximateNumberOfMessagesVisible",
        "dimensions": {"QueueName": "q-dlq"},
        "statistic": "Maximum",
        "period": 300,
        "evaluation_periods": 1,
        "datapoints_to_alarm": 1,
        "threshold": 0.0,
        "comparison_operator": "GreaterThanThreshold",
        "treat_missing_data": "notBreaching",
    }


def test_a_clock_alarm_watches_the_most_drifted_host_of_the_fleet():
    assert alarms.clock_offset("showrunner-prod-www-clock", "prod", "www", 0.5) == {
        "name": "showrunner-prod-www-clock",
        "alarm_description": "A host's clock is more than 0.5 s off (chrony's offset), 5 minutes running; 2015: S3 refused pulls from drifted hosts",
        "namespace": "Showrunner/Host",
        "metric_name": "ClockOffsetSeconds",
        "dimensions": {"Stack": "prod", "Fleet": "www"},
        "statistic": "Maximum",
        "period": 60,
        "evaluation_periods": 5,
        "datapoints_to_alarm": 5,
        "threshold": 0.5,
        "comparison_operator": "GreaterThanThreshold",
        "treat_missing_data": "notBreaching",
    }


@pytest.mark.parametrize(
    ("instance_class", "memory", "connections"),
    [
        ("db.t3.small", 2, 170),
        ("db.t3.medium", 4, 341),
        ("db.r6i.xlarge", 32, 2730),
        ("db.m6g.medium", 4, 341),
        ("db.r6i.2xlarge", 64, 5461),
        ("db.x2g.large", 32, 2730),
        ("db.q9.large", None, None),
        ("not-a-class", None, None),
    ],
)
def test_instance_memory_and_rds_default_max_connections(instance_class, memory, connections):
    assert alarms.instance_memory_gib(instance_class) == memory
    assert alarms.rds_default_max_connections(instance_class) == connections


def test_an_unknown_class_still_gets_a_connections_and_memory_alarm():
    assert alarms.mysql_connections("c", "db", "db.q9.large")["threshold"] == 500
    assert alarms.mysql_free_memory("m", "db", "db.q9.large")["threshold"] == 256 * 1024**2


def test_cache_members_are_named_as_elasticache_names_them():
    assert alarms.cache_member_ids("showrunner-qa-cache", 2) == ["showrunner-qa-cache-001", "showrunner-qa-cache-002"]


def test_the_key_lets_only_this_accounts_log_groups_under_the_prefix_use_it():
    policy = policies.key_policy(partition="aws", account="111122223333", region="eu-west-1", log_group_prefix="/showrunner/qa/")
    logs = policy["Statement"][2]
    assert logs["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    assert logs["Condition"] == {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:111122223333:log-group:/showrunner/qa/*"}}
    assert [s["Sid"] for s in policies.key_policy(partition="aws", account="1", region="r")["Statement"]] == ["AccountAdministers", "AlarmsAndRulesPublish"]


def test_the_dashboard_body_is_laid_out_on_the_grid():
    body = json.loads(dashboard.dashboard_body(region="eu-west-1", stack="qa", fleets={"www": "www-asg-1"}))
    assert [(w["x"], w["y"], w["width"]) for w in body["widgets"]] == [(0, 0, 8), (8, 0, 8), (16, 0, 8)]
    assert body["widgets"][2]["properties"]["metrics"] == [
        ["Showrunner/Host", "DiskUsedPercent", "Stack", "qa", "Fleet", "www", "Path", "/mnt/docker"],
        ["Showrunner/Host", "DiskUsedPercent", "Stack", "qa", "Fleet", "www", "Path", "/"],
    ]


def test_subscriptions_are_named_by_a_hash_and_checked():
    assert subscription_key({"protocol": "email", "endpoint": "a@example.com"}) == subscription_key({"protocol": "email", "endpoint": "a@example.com"})
    assert subscription_key({"protocol": "email", "endpoint": "a@example.com"}) != subscription_key({"protocol": "email", "endpoint": "b@example.com"})
    with pytest.raises(ValueError, match=r"^alerts a: subscriptions\[0\]: protocol 'sms' is not one of email, https$"):
        _check_subscriptions("a", [{"protocol": "sms", "endpoint": "+1"}])
    with pytest.raises(ValueError, match=r"^alerts a: subscriptions\[0\]: an https subscription needs an https:// endpoint$"):
        _check_subscriptions("a", [{"protocol": "https", "endpoint": "http://x"}])
    with pytest.raises(ValueError, match=r"^alerts a: subscriptions\[1\]: email a@example.com is given twice$"):
        _check_subscriptions("a", [{"protocol": "email", "endpoint": "a@example.com"}] * 2)


STANDALONE = """
import pulumi
from showrunner_components.observability import Alerts

alerts = Alerts("alerts", {"stack": "qa"})
pulumi.export("topic", alerts.topic_arn)
"""


def test_alerts_from_plain_args_is_a_topic_and_a_key_and_nothing_else(tmp_path):
    run = standalone_run(tmp_path, STANDALONE)
    assert sorted(r.type for r in run.resources) == [
        "aws:kms/alias:Alias", "aws:kms/key:Key", "aws:sns/topic:Topic", "aws:sns/topicPolicy:TopicPolicy", "showrunner:index:Alerts"]
    assert run.outputs["topic"] == f"arn:aws:sns:us-east-1:{ACCOUNT}:showrunner-qa-alerts"
