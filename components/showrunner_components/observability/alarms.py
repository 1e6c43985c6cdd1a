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
MYSQL_CPU_PERCENT = 80.0
MYSQL_FREE_STORAGE_PERCENT = 10.0
MYSQL_FREE_MEMORY_PERCENT = 10.0
MYSQL_CONNECTIONS_PERCENT = 80.0
CACHE_MEMORY_PERCENT = 80.0
CACHE_EVICTIONS = 100
DEAD_LETTER_MESSAGES = 0

HOST_NAMESPACE = "Showrunner/Host"
"""What the golden image's `showrunner-disk-usage` publishes (dimensions Stack, Fleet, Path)."""
HOST_PATHS = ("/mnt/docker", "/")
"""The filesystems `showrunner-disk-usage` reports: Docker's data volume and the root."""

GIB = 1024**3
RDS_MAX_CONNECTIONS_DIVISOR = 12_582_880
"""RDS MySQL's default `max_connections` is `{DBInstanceClassMemory/12582880}` (its default parameter group)."""
_PER_VCPU_GIB = {"m": 4, "r": 8, "x": 16, "z": 8}
_BURSTABLE_GIB = {"micro": 1, "small": 2, "medium": 4, "large": 8, "xlarge": 16, "2xlarge": 32}


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
    return _alarm(
        name,
        f"More than {hosts} of the service's hosts failed the load balancer's health check, 3 minutes running",
        threshold=hosts,
        comparison="GreaterThanThreshold",
        periods=3,
        namespace="AWS/ApplicationELB",
        metric_name="UnHealthyHostCount",
        dimensions={"LoadBalancer": load_balancer, "TargetGroup": target_group},
        statistic="Maximum",
        period=60,
    )


def target_p99(name: str, load_balancer: Any, target_group: Any, seconds: float = P99_RESPONSE_SECONDS) -> dict:
    """A routed service's 99th-percentile response time, each of 3 minutes."""
    return _alarm(
        name,
        f"The service's 99th-percentile response time was above {seconds:g} s, 3 minutes running",
        threshold=seconds,
        comparison="GreaterThanThreshold",
        periods=3,
        namespace="AWS/ApplicationELB",
        metric_name="TargetResponseTime",
        dimensions={"LoadBalancer": load_balancer, "TargetGroup": target_group},
        extended_statistic="p99",
        period=60,
    )


def load_balancer_5xx(name: str, load_balancer: Any, per_minute: int = LOAD_BALANCER_5XX_PER_MINUTE) -> dict:
    """5xx the load balancer gives itself (no healthy target, a target timing out), per minute, 3 minutes running."""
    return _alarm(
        name,
        f"The load balancer itself answered more than {per_minute} requests a minute with a 5xx, 3 minutes running",
        threshold=per_minute,
        comparison="GreaterThanThreshold",
        periods=3,
        namespace="AWS/ApplicationELB",
        metric_name="HTTPCode_ELB_5XX_Count",
        dimensions={"LoadBalancer": load_balancer},
        statistic="Sum",
        period=60,
    )


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


def status_check(name: str, group_name: Any) -> dict:
    """Any host of the group failing EC2's instance or system status check, 2 minutes running."""
    return _alarm(
        name,
        "A host failed EC2's status checks, 2 minutes running",
        threshold=0,
        comparison="GreaterThanThreshold",
        periods=2,
        namespace="AWS/EC2",
        metric_name="StatusCheckFailed",
        dimensions={"AutoScalingGroupName": group_name},
        statistic="Maximum",
        period=60,
    )


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
    return _alarm(
        name,
        f"The database's CPU was above {percent:g}% for 15 minutes",
        threshold=percent,
        comparison="GreaterThanThreshold",
        periods=3,
        namespace="AWS/RDS",
        metric_name="CPUUtilization",
        dimensions={"DBInstanceIdentifier": instance_id},
        statistic="Average",
        period=300,
    )


def mysql_free_storage(name: str, instance_id: Any, allocated_gib: int, percent: float = MYSQL_FREE_STORAGE_PERCENT) -> dict:
    """Free storage below `percent` of the allocated storage (storage autoscaling, when on, acts at 10%)."""
    return _alarm(
        name,
        f"The database has less than {percent:g}% of its {allocated_gib} GiB free",
        threshold=allocated_gib * GIB * percent / 100,
        comparison="LessThanThreshold",
        periods=1,
        namespace="AWS/RDS",
        metric_name="FreeStorageSpace",
        dimensions={"DBInstanceIdentifier": instance_id},
        statistic="Minimum",
        period=300,
    )


def mysql_free_memory(name: str, instance_id: Any, instance_class: str, percent: float = MYSQL_FREE_MEMORY_PERCENT) -> dict:
    """Freeable memory below `percent` of the class's memory (256 MiB for a class this module does not know)."""
    memory = instance_memory_gib(instance_class)
    threshold = memory * GIB * percent / 100 if memory is not None else 256 * 1024**2
    return _alarm(
        name,
        f"The database's freeable memory was below {threshold / 1024**2:.0f} MiB for 15 minutes",
        threshold=threshold,
        comparison="LessThanThreshold",
        periods=3,
        namespace="AWS/RDS",
        metric_name="FreeableMemory",
        dimensions={"DBInstanceIdentifier": instance_id},
        statistic="Average",
        period=300,
    )


def mysql_connections(name: str, instance_id: Any, instance_class: str, percent: float = MYSQL_CONNECTIONS_PERCENT) -> dict:
    """Connections above `percent` of RDS's default `max_connections` for the class (500 for a class this module does not know)."""
    maximum = rds_default_max_connections(instance_class)
    threshold = int(maximum * percent / 100) if maximum is not None else 500
    return _alarm(
        name,
        f"More than {threshold} connections to the database for 15 minutes"
        + (f" ({percent:g}% of its default max_connections, {maximum})" if maximum is not None else ""),
        threshold=threshold,
        comparison="GreaterThanThreshold",
        periods=3,
        namespace="AWS/RDS",
        metric_name="DatabaseConnections",
        dimensions={"DBInstanceIdentifier": instance_id},
        statistic="Maximum",
        period=300,
    )


def cache_memory(name: str, cluster_id: Any, percent: float = CACHE_MEMORY_PERCENT) -> dict:
    return _alarm(
        name,
        f"A cache node used more than {percent:g}% of its memory for 15 minutes",
        threshold=percent,
        comparison="GreaterThanThreshold",
        periods=3,
        namespace="AWS/ElastiCache",
        metric_name="DatabaseMemoryUsagePercentage",
        dimensions={"CacheClusterId": cluster_id},
        statistic="Maximum",
        period=300,
    )


def cache_evictions(name: str, cluster_id: Any, count: int = CACHE_EVICTIONS) -> dict:
    return _alarm(
        name,
        f"A cache node evicted more than {count} keys in each of two 5-minute periods: the cache is too small",
        threshold=count,
        comparison="GreaterThanThreshold",
        periods=2,
        namespace="AWS/ElastiCache",
        metric_name="Evictions",
        dimensions={"CacheClusterId": cluster_id},
        statistic="Sum",
        period=300,
    )


def dead_letter(name: str, queue_name: Any, count: int = DEAD_LETTER_MESSAGES) -> dict:
    """Messages in a dead-letter queue: tasks that failed `max_receive_count` times."""
    return _alarm(
        name,
        f"More than {count} messages wait in the dead-letter queue: tasks failed repeatedly; fix them and redrive",
        threshold=count,
        comparison="GreaterThanThreshold",
        periods=1,
        namespace="AWS/SQS",
        metric_name="ApproximateNumberOfMessagesVisible",
        dimensions={"QueueName": queue_name},
        statistic="Maximum",
        period=300,
    )


def cache_member_ids(replication_group_id: str, clusters: int) -> list[str]:
    """The member clusters ElastiCache names for a replication group without cluster mode: `<id>-001`, `-002`, …"""
    return [f"{replication_group_id}-{index:03d}" for index in range(1, clusters + 1)]
