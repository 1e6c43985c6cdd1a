"""`StateArgs` and its nested types: the stores of one stack, in RDS's, ElastiCache's, DynamoDB's
and SQS's own words. A store that is left out is not created.

No `from __future__ import annotations`: the component provider reads these annotations.
"""

from typing import NotRequired, TypedDict

import pulumi


class StateMysql(TypedDict):
    """RDS MySQL. Always: encrypted gp3, TLS required, private subnets, deletion protection, a final
    snapshot, and a master password RDS creates and keeps in Secrets Manager."""

    engine_version: NotRequired[str]
    """Default: "8.0". The parameter group's family follows it (`mysql8.0`)."""
    instance_class: NotRequired[str]
    """Default: db.t3.medium."""
    allocated_storage: NotRequired[int]
    """GiB. Default: 50."""
    max_allocated_storage: NotRequired[int]
    """GiB, the storage autoscaling ceiling. Default: none, storage stays at `allocated_storage`."""
    multi_az: NotRequired[bool]
    """Default: false, one instance. True: a standby in another zone, failover in about two minutes."""
    backup_retention_period: NotRequired[int]
    """Days of automated backups. Default: 7."""
    backup_window: NotRequired[str]
    """UTC, `hh:mm-hh:mm`. Default: 07:00-07:30."""
    maintenance_window: NotRequired[str]
    """UTC, `ddd:hh:mm-ddd:hh:mm`; changes wait for it. Default: sun:08:00-sun:08:30."""
    db_name: NotRequired[str]
    """The database created on the instance. Default: showrunner."""
    username: NotRequired[str]
    """The master user (its password RDS creates and rotates). Default: showrunner."""
    app_username: NotRequired[str]
    """The user services connect as, with IAM database authentication (turned on for the instance):
    hosts mint its tokens with `rds-db:connect` (`access_statements`); migrations create it
    (docs/runbooks/restore.md). Default: showrunner_app."""


class StateCache(TypedDict):
    """An ElastiCache replication group. Always: TLS required in transit, encrypted at rest, a final snapshot."""

    engine: NotRequired[str]
    """valkey or redis. Default: valkey."""
    engine_version: NotRequired[str]
    """Default: "7.2"."""
    node_type: NotRequired[str]
    """Default: cache.t3.small."""
    num_cache_clusters: NotRequired[int]
    """Primary plus replicas. Default: 1, no replica."""
    automatic_failover_enabled: NotRequired[bool]
    """Default: false. True needs a replica (`num_cache_clusters` of 2 or more)."""
    multi_az_enabled: NotRequired[bool]
    """Default: false. True needs `automatic_failover_enabled`."""
    snapshot_retention_limit: NotRequired[int]
    """Days of daily snapshots. Default: 1."""
    snapshot_window: NotRequired[str]
    """UTC, `hh:mm-hh:mm`. Default: 05:00-06:00."""


class StateTable(TypedDict):
    """One DynamoDB table. Always: on demand, point-in-time recovery, deletion protection, encrypted."""

    hash_key: str
    """The partition key attribute."""
    hash_key_type: NotRequired[str]
    """S, N or B. Default: S."""
    range_key: NotRequired[str]
    """The sort key attribute. Default: none, the table has a partition key only."""
    range_key_type: NotRequired[str]
    """S, N or B. Default: S."""
    ttl_attribute: NotRequired[str]
    """The attribute holding each item's expiry (epoch seconds). Default: no TTL."""


class StateQueues(TypedDict):
    """SQS queues for Celery, each with a dead-letter queue that keeps messages 14 days.
    Always: SQS-managed encryption and 20 s long polling."""

    names: list[str]
    """One queue per Celery queue name; the first is Celery's default queue."""
    visibility_timeout_seconds: int
    """How long a received message stays hidden; keep it above the longest task, or Celery runs it twice."""
    message_retention_seconds: NotRequired[int]
    """Default: 345600 (4 days, SQS's own)."""
    max_receive_count: NotRequired[int]
    """Receives before a message moves to its dead-letter queue. Default: 5."""


class StateAlarms(TypedDict):
    """When the stores' alarms fire. Each notifies `alarm_actions` on ALARM and on OK."""

    mysql_cpu_percent: NotRequired[float]
    """The database's CPU, 3 consecutive 5-minute periods. Default: 80."""
    mysql_free_storage_percent: NotRequired[float]
    """Free storage below this percent of `allocated_storage`. Default: 10."""
    mysql_free_memory_percent: NotRequired[float]
    """Freeable memory below this percent of the instance class's memory, 15 minutes. Default: 10."""
    mysql_connections_percent: NotRequired[float]
    """Connections above this percent of RDS's default `max_connections` for the class, 15 minutes. Default: 80."""
    cache_memory_percent: NotRequired[float]
    """A cache node's memory use, 15 minutes. Default: 80."""
    cache_evictions: NotRequired[int]
    """Evictions per 5 minutes on a node, twice running. Default: 100."""
    dead_letter_messages: NotRequired[int]
    """Messages waiting in any dead-letter queue. Default: 0."""


class StateArgs(TypedDict):
    stack: str
    """The deployment name: AWS names are `showrunner-<stack>-<store>`."""
    vpc_id: pulumi.Input[str]
    """The VPC of the stores' security groups."""
    subnet_ids: pulumi.Input[list[str]]
    """Private subnets for the database and the cache (two zones or more)."""
    mysql: NotRequired[StateMysql]
    """Default: no database."""
    cache: NotRequired[StateCache]
    """Default: no cache."""
    tables: NotRequired[dict[str, StateTable]]
    """Table key → table; the key names the table (`showrunner-<stack>-<key>`). Default: no tables."""
    queues: NotRequired[StateQueues]
    """Default: no queues."""
    protect: NotRequired[bool]
    """Default: true, every stateful resource carries Pulumi's `protect` and `retain_on_delete`.
    AWS's own deletion protection and final snapshots stay on either way."""
    alarm_actions: NotRequired[pulumi.Input[list[str]]]
    """What the alarms notify (`Alerts.topic_arn`) when they fire and recover. Default: none; the alarms still exist."""
    alarms: NotRequired[StateAlarms]
    """Thresholds. Default: each as `StateAlarms` says. The database gets CPU, free storage, free
    memory and connections alarms; each cache node memory and evictions; each dead-letter queue its depth."""
    tags: NotRequired[dict[str, str]]
    """Tags on every resource, before `Name` and `Service=state`. Default: none."""
