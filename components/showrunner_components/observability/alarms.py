"""CloudWatch alarms as pure functions: each returns the keyword arguments of one
`aws.cloudwatch.MetricAlarm` (its AWS name, description, metric or metric math, threshold).

The component that owns what an alarm watches creates it (`Fleet` its services' and hosts',
`State` its stores', `LoadBalancer` its own) and adds the actions and tags; the tests compare these
dictionaries exactly. Dimension values may be Pulumi Inputs (a target group's ARN suffix): the
functions only place them.

Every alarm notifies on ALARM and on OK, and a missing datapoint is "not breaching" unless said
otherwise: no traffic is not an outage, and a new host that has not reported yet is not a full disk.
The defaults below are what a component uses when its Args leave a threshold out; the program's
configuration (`showrunner:alerts.thresholds`) reads the same constants.
"""

from __future__ import annotations

import re
from typing import Any

TARGET_5XX_PERCENT = 5.0
UNHEALTHY_HOSTS = 0
P99_RESPONSE_SECONDS = 2.0
LOAD_BALANCER_5XX_PER_MINUTE = 10
DISK_USED_PERCENT = 80.0
CLOCK_OFFSET_SECONDS = 1.0
MYSQL_CPU_PERCENT = 80.0
MYSQL_FREE_STORAGE_PERCENT = 10.0
MYSQL_FREE_MEMORY_PERCENT = 10.0
MYSQL_CONNECTIONS_PERCENT = 80.0
CACHE_MEMORY_PERCENT = 80.0
CACHE_EVICTIONS = 100
DEAD_LETTER_MESSAGES = 0

HOST_NAMESPACE = "Showrunner/Host"
"""What the golden image's `showrunner-disk-usage` (dimensions Stack, Fleet, Path) and
`showrunner-clock-offset` (Stack, Fleet) publish."""
HOST_PATHS = ("/mnt/docker", "/")
"""The filesystems `showrunner-disk-usage` reports: Docker's data volume and the root."""

GIB = 1024**3
RDS_MAX_CONNECTIONS_DIVISOR = 12_582_880
"""RDS MySQL's default `max_connections` is `{DBInstanceClassMemory/12582880}` (its default parameter group)."""
_PER_VCPU_GIB = {"m": 4, "r": 8, "x": 16, "z": 8}
_BURSTABLE_GIB = {"micro": 1, "small": 2, "medium": 4, "large": 8, "xlarge": 16, "2xlarge": 32}


def actions(topic_arns: Any) -> dict:
    """An alarm's `alarm_actions` and `ok_actions`, both `topic_arns`: whoever hears it fire hears it recover."""
    return {"alarm_actions": topic_arns, "ok_actions": topic_arns}


def _alarm(name: str, description: str, *, threshold: float, comparison: str, periods: int, datapoints: int | None = None,
           missing: str = "notBreaching", **metric: Any) -> dict:
    spec = {
        "name": name,
        "alarm_description": description,
        **metric,
        "evaluation_periods": periods,
        "datapoints_to_alarm": periods if datapoints is None else datapoints,
        "threshold": float(threshold),
        "comparison_operator": comparison,
        "treat_missing_data": missing,
    }
    return spec


_COMPARISONS = {">": "GreaterThanThreshold", "<": "LessThanThreshold"}


def _single(name: str, description: str, above_or_below: str, threshold: float, periods: int, namespace: str, metric: str,
            dimensions: dict, statistic: str, period: int) -> dict:
    """An alarm on one metric; `statistic` p99 (any pNN) is an extended statistic."""
    stat = {"extended_statistic": statistic} if statistic.startswith("p") else {"statistic": statistic}
    return _alarm(name, description, threshold=threshold, comparison=_COMPARISONS[above_or_below], periods=periods,
                  namespace=namespace, metric_name=metric, dimensions=dimensions, **stat, period=period)


def _metric(namespace: str, metric: str, dimensions: dict, stat: str, period: int) -> dict:
    return {"metric_name": metric, "namespace": namespace, "dimensions": dimensions, "stat": stat, "period": period}


def target_5xx_rate(name: str, load_balancer: Any, target_group: Any, percent: float = TARGET_5XX_PERCENT) -> dict:
    """A routed service's share of 5xx responses (its targets' own), percent, each of 3 minutes."""
    dimensions = {"LoadBalancer": load_balancer, "TargetGroup": target_group}
    return _alarm(
        name,
        f"More than {percent:g}% of requests got a 5xx from the service's targets, 3 minutes running",
        threshold=percent,
        comparison="GreaterThanThreshold",
        periods=3,
        metric_queries=[
            {"id": "errors", "metric": _metric("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", dimensions, "Sum", 60), "return_data": False},
            {"id": "requests", "metric": _metric("AWS/ApplicationELB", "RequestCount", dimensions, "Sum", 60), "return_data": False},
            {"id": "rate", "expression": "IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)", "label": "5xx percent", "return_data": True},
        ],
    )


def unhealthy_hosts(name: str, load_balancer: Any, target_group: Any, hosts: int = UNHEALTHY_HOSTS) -> dict:
    """A routed service's unhealthy targets (its readiness check fails), 3 minutes running."""
    return _single(name, f"More than {hosts} of the service's hosts failed the load balancer's health check, 3 minutes running",
                   ">", hosts, 3, "AWS/ApplicationELB", "UnHealthyHostCount", {"LoadBalancer": load_balancer, "TargetGroup": target_group}, "Maximum", 60)


def target_p99(name: str, load_balancer: Any, target_group: Any, seconds: float = P99_RESPONSE_SECONDS) -> dict:
    """A routed service's 99th-percentile response time, each of 3 minutes."""
    return _single(name, f"The service's 99th-percentile response time was above {seconds:g} s, 3 minutes running",
                   ">", seconds, 3, "AWS/ApplicationELB", "TargetResponseTime", {"LoadBalancer": load_balancer, "TargetGroup": target_group}, "p99", 60)


def load_balancer_5xx(name: str, load_balancer: Any, per_minute: int = LOAD_BALANCER_5XX_PER_MINUTE) -> dict:
    """5xx the load balancer gives itself (no healthy target, a target timing out), per minute, 3 minutes running."""
    return _single(name, f"The load balancer itself answered more than {per_minute} requests a minute with a 5xx, 3 minutes running",
                   ">", per_minute, 3, "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", {"LoadBalancer": load_balancer}, "Sum", 60)


def disk_used(name: str, stack: str, fleet: str, percent: float = DISK_USED_PERCENT) -> dict:
    """The fleet's fullest host's data volume or root, from the 5-minute `DiskUsedPercent` reports, 2 running."""
    queries = [
        {
            "id": f"path{index}",
            "metric": _metric(HOST_NAMESPACE, "DiskUsedPercent", {"Stack": stack, "Fleet": fleet, "Path": path}, "Maximum", 300),
            "return_data": False,
        }
        for index, path in enumerate(HOST_PATHS)
    ]
    ids = ", ".join(q["id"] for q in queries)
    queries.append({"id": "fullest", "expression": f"MAX([{ids}])", "label": "fullest filesystem, percent", "return_data": True})
    return _alarm(
        name,
        f"A host's data volume or root filesystem is more than {percent:g}% full (2015: a full /mnt/docker broke starts)",
        threshold=percent,
        comparison="GreaterThanThreshold",
        periods=2,
        metric_queries=queries,
    )


def clock_offset(name: str, stack: str, fleet: str, seconds: float = CLOCK_OFFSET_SECONDS) -> dict:
    """The fleet's most-drifted host, from the per-minute `ClockOffsetSeconds` (chrony's offset), 5 minutes running.

    2015's S3 refused pulls when a host's clock drifted; chrony on the Time Sync Service keeps it to
    milliseconds, so a second means the host's time source is gone. A host whose chrony is not
    synchronised publishes nothing (its reporter fails in the journal); the others keep the metric.
    """
    return _single(name, f"A host's clock is more than {seconds:g} s off (chrony's offset), 5 minutes running; "
                   "2015: S3 refused pulls from drifted hosts",
                   ">", seconds, 5, HOST_NAMESPACE, "ClockOffsetSeconds", {"Stack": stack, "Fleet": fleet}, "Maximum", 60)


def status_check(name: str, group_name: Any) -> dict:
    """Any host of the group failing EC2's instance or system status check, 2 minutes running."""
    return _single(name, "A host failed EC2's status checks, 2 minutes running",
                   ">", 0, 2, "AWS/EC2", "StatusCheckFailed", {"AutoScalingGroupName": group_name}, "Maximum", 60)


def instance_memory_gib(instance_class: str) -> float | None:
    """The nominal memory of an RDS or ElastiCache class (`db.r6i.xlarge`, `cache.t3.small`); None when unknown.

    Burstable classes (t3, t4g) by size; general-purpose (m), memory-optimised (r, x, z) by vCPUs
    (large 2, xlarge 4, Nxlarge 4N) times the family's GiB per vCPU.
    """
    match = re.match(r"^(?:db|cache)\.(?P<family>[a-z]+)\d+[a-z]*\.(?P<size>\w+)$", instance_class)
    if not match:
        return None
    family, size = match.group("family"), match.group("size")
    if family == "t":
        return _BURSTABLE_GIB.get(size)
    per_vcpu = _PER_VCPU_GIB.get(family)
    sized = re.match(r"^(\d*)xlarge$", size)
    vcpus = 2 if size == "large" else 1 if size == "medium" else (4 * int(sized.group(1) or 1)) if sized else None
    return None if per_vcpu is None or vcpus is None else float(per_vcpu * vcpus)


def rds_default_max_connections(instance_class: str) -> int | None:
    memory = instance_memory_gib(instance_class)
    return None if memory is None else int(memory * GIB // RDS_MAX_CONNECTIONS_DIVISOR)


def mysql_cpu(name: str, instance_id: Any, percent: float = MYSQL_CPU_PERCENT) -> dict:
    return _single(name, f"The database's CPU was above {percent:g}% for 15 minutes",
                   ">", percent, 3, "AWS/RDS", "CPUUtilization", {"DBInstanceIdentifier": instance_id}, "Average", 300)


def mysql_free_storage(name: str, instance_id: Any, allocated_gib: int, percent: float = MYSQL_FREE_STORAGE_PERCENT) -> dict:
    """Free storage below `percent` of the allocated storage (storage autoscaling, when on, acts at 10%)."""
    return _single(name, f"The database has less than {percent:g}% of its {allocated_gib} GiB free",
                   "<", allocated_gib * GIB * percent / 100, 1, "AWS/RDS", "FreeStorageSpace", {"DBInstanceIdentifier": instance_id}, "Minimum", 300)


def mysql_free_memory(name: str, instance_id: Any, instance_class: str, percent: float = MYSQL_FREE_MEMORY_PERCENT) -> dict:
    """Freeable memory below `percent` of the class's memory (256 MiB for a class this module does not know)."""
    memory = instance_memory_gib(instance_class)
    threshold = memory * GIB * percent / 100 if memory is not None else 256 * 1024**2
    return _single(name, f"The database's freeable memory was below {threshold / 1024**2:.0f} MiB for 15 minutes",
                   "<", threshold, 3, "AWS/RDS", "FreeableMemory", {"DBInstanceIdentifier": instance_id}, "Average", 300)


def mysql_connections(name: str, instance_id: Any, instance_class: str, percent: float = MYSQL_CONNECTIONS_PERCENT) -> dict:
    """Connections above `percent` of RDS's default `max_connections` for the class (500 for a class this module does not know)."""
    maximum = rds_default_max_connections(instance_class)
    threshold = int(maximum * percent / 100) if maximum is not None else 500
    description = f"More than {threshold} connections to the database for 15 minutes"
    if maximum is not None:
        description += f" ({percent:g}% of its default max_connections, {maximum})"
    return _single(name, description, ">", threshold, 3, "AWS/RDS", "DatabaseConnections", {"DBInstanceIdentifier": instance_id}, "Maximum", 300)


def cache_memory(name: str, cluster_id: Any, percent: float = CACHE_MEMORY_PERCENT) -> dict:
    return _single(name, f"A cache node used more than {percent:g}% of its memory for 15 minutes",
                   ">", percent, 3, "AWS/ElastiCache", "DatabaseMemoryUsagePercentage", {"CacheClusterId": cluster_id}, "Maximum", 300)


def cache_evictions(name: str, cluster_id: Any, count: int = CACHE_EVICTIONS) -> dict:
    return _single(name, f"A cache node evicted more than {count} keys in each of two 5-minute periods: the cache is too small",
                   ">", count, 2, "AWS/ElastiCache", "Evictions", {"CacheClusterId": cluster_id}, "Sum", 300)


def dead_letter(name: str, queue_name: Any, count: int = DEAD_LETTER_MESSAGES) -> dict:
    """Messages in a dead-letter queue: tasks that failed `max_receive_count` times."""
    return _single(name, f"More than {count} messages wait in the dead-letter queue: tasks failed repeatedly; fix them and redrive",
                   ">", count, 1, "AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": queue_name}, "Maximum", 300)


def cache_member_ids(replication_group_id: str, clusters: int) -> list[str]:
    """The member clusters ElastiCache names for a replication group without cluster mode: `<id>-001`, `-002`, …"""
    return [f"{replication_group_id}-{index:03d}" for index in range(1, clusters + 1)]
