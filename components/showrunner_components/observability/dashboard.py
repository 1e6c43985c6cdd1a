"""A stack's CloudWatch dashboard body, as a pure function of resolved names.

Rows, top to bottom: the alarms' states; the load balancer (requests, 5xx, response time) and each
routed service's healthy and unhealthy hosts; each fleet (hosts in service, CPU, fullest disk);
the database, the cache and the queues. The body is the JSON of
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from showrunner_components.observability.alarms import HOST_NAMESPACE, HOST_PATHS

WIDTH = 24
"""The dashboard grid's width."""
HALF, THIRD, HEIGHT = 12, 8, 6


def _metric_widget(title: str, region: str, metrics: list[list], *, width: int, stat: str = "Sum", period: int = 60) -> dict:
    return {
        "type": "metric",
        "width": width,
        "height": HEIGHT,
        "properties": {"title": title, "region": region, "view": "timeSeries", "stat": stat, "period": period, "metrics": metrics},
    }


def _load_balancer(region: str, load_balancer: str, target_groups: Mapping[str, str]) -> list[dict]:
    alb = ["AWS/ApplicationELB"]
    widgets = [
        _metric_widget("Requests", region, [[*alb, "RequestCount", "LoadBalancer", load_balancer]], width=THIRD),
        _metric_widget(
            "5xx (load balancer and targets)",
            region,
            [[*alb, "HTTPCode_ELB_5XX_Count", "LoadBalancer", load_balancer], [*alb, "HTTPCode_Target_5XX_Count", "LoadBalancer", load_balancer]],
            width=THIRD,
        ),
        _metric_widget(
            "Target response time p99",
            region,
            [[*alb, "TargetResponseTime", "TargetGroup", suffix, "LoadBalancer", load_balancer, {"label": name}] for name, suffix in sorted(target_groups.items())]
            or [[*alb, "TargetResponseTime", "LoadBalancer", load_balancer]],
            width=THIRD,
            stat="p99",
        ),
    ]
    for name, suffix in sorted(target_groups.items()):
        widgets.append(
            _metric_widget(
                f"{name}: healthy and unhealthy hosts",
                region,
                [
                    [*alb, "HealthyHostCount", "TargetGroup", suffix, "LoadBalancer", load_balancer],
                    [*alb, "UnHealthyHostCount", "TargetGroup", suffix, "LoadBalancer", load_balancer],
                ],
                width=HALF,
                stat="Maximum",
            )
        )
    return widgets


def _fleets(region: str, stack: str, fleets: Mapping[str, str]) -> list[dict]:
    widgets = []
    for fleet, group in sorted(fleets.items()):
        widgets += [
            _metric_widget(
                f"{fleet}: hosts in service",
                region,
                [["AWS/AutoScaling", "GroupInServiceInstances", "AutoScalingGroupName", group], ["AWS/AutoScaling", "GroupDesiredCapacity", "AutoScalingGroupName", group]],
                width=THIRD,
                stat="Maximum",
            ),
            _metric_widget(f"{fleet}: CPU", region, [["AWS/EC2", "CPUUtilization", "AutoScalingGroupName", group]], width=THIRD, stat="Average"),
            _metric_widget(
                f"{fleet}: fullest disk, percent",
                region,
                [[HOST_NAMESPACE, "DiskUsedPercent", "Stack", stack, "Fleet", fleet, "Path", path] for path in HOST_PATHS],
                width=THIRD,
                stat="Maximum",
                period=300,
            ),
        ]
    return widgets


def _stores(region: str, mysql: str | None, cache_nodes: Sequence[str], queues: Mapping[str, str], tables: Sequence[str]) -> list[dict]:
    widgets = []
    if mysql:
        rds = ["AWS/RDS"]
        widgets += [
            _metric_widget("Database CPU", region, [[*rds, "CPUUtilization", "DBInstanceIdentifier", mysql]], width=THIRD, stat="Average", period=300),
            _metric_widget("Database connections", region, [[*rds, "DatabaseConnections", "DBInstanceIdentifier", mysql]], width=THIRD, stat="Maximum", period=300),
            _metric_widget(
                "Database free storage and memory",
                region,
                [[*rds, "FreeStorageSpace", "DBInstanceIdentifier", mysql], [*rds, "FreeableMemory", "DBInstanceIdentifier", mysql]],
                width=THIRD,
                stat="Minimum",
                period=300,
            ),
        ]
    if cache_nodes:
        ec = ["AWS/ElastiCache"]
        widgets += [
            _metric_widget("Cache memory, percent", region, [[*ec, "DatabaseMemoryUsagePercentage", "CacheClusterId", n] for n in cache_nodes], width=HALF, stat="Maximum", period=300),
            _metric_widget("Cache evictions", region, [[*ec, "Evictions", "CacheClusterId", n] for n in cache_nodes], width=HALF, period=300),
        ]
    if queues:
        sqs = ["AWS/SQS"]
        widgets += [
            _metric_widget("Queue depth", region, [[*sqs, "ApproximateNumberOfMessagesVisible", "QueueName", q] for q in sorted(queues)], width=HALF, stat="Maximum", period=300),
            _metric_widget(
                "Dead-letter queue depth", region, [[*sqs, "ApproximateNumberOfMessagesVisible", "QueueName", dlq] for _, dlq in sorted(queues.items())],
                width=HALF, stat="Maximum", period=300,
            ),
        ]
    if tables:
        ddb = ["AWS/DynamoDB"]
        widgets.append(
            _metric_widget(
                "Table throttles",
                region,
                [[*ddb, "ThrottledRequests", "TableName", t] for t in sorted(tables)] + [[*ddb, "SystemErrors", "TableName", t] for t in sorted(tables)],
                width=WIDTH,
                period=300,
            )
        )
    return widgets


def _laid_out(widgets: list[dict]) -> list[dict]:
    """Place widgets left to right, wrapping at the grid's width."""
    x = y = 0
    placed = []
    for widget in widgets:
        if x + widget["width"] > WIDTH:
            x, y = 0, y + HEIGHT
        placed.append({"type": widget["type"], "x": x, "y": y, **{k: v for k, v in widget.items() if k != "type"}})
        x += widget["width"]
    return placed


def dashboard_body(
    *,
    region: str,
    stack: str,
    alarm_arns: Sequence[str] = (),
    load_balancer: str | None = None,
    target_groups: Mapping[str, str] | None = None,
    fleets: Mapping[str, str] | None = None,
    mysql: str | None = None,
    cache_nodes: Sequence[str] = (),
    queues: Mapping[str, str] | None = None,
    tables: Sequence[str] = (),
) -> str:
    """The dashboard's JSON. `target_groups`: route → ARN suffix; `fleets`: fleet → group name;
    `queues`: queue name → its dead-letter queue's name; names as CloudWatch's dimensions spell them."""
    widgets: list[dict] = []
    if alarm_arns:
        widgets.append({"type": "alarm", "width": WIDTH, "height": HEIGHT, "properties": {"title": "Alarms", "alarms": sorted(alarm_arns)}})
    if load_balancer:
        widgets += _load_balancer(region, load_balancer, target_groups or {})
    widgets += _fleets(region, stack, fleets or {})
    widgets += _stores(region, mysql, cache_nodes, queues or {}, tables)
    return json.dumps({"widgets": _laid_out(widgets)}, separators=(",", ":"))
