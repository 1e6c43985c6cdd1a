"""`showrunner:state`: the stores services use (showrunner_components.state)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from showrunner.config.values import (
    AttributeName, CacheNodeType, CacheVersion, DailyWindow, DbInstanceClass, MysqlVersion, Name, SqlName, WeeklyWindow, _fail,
)
from showrunner.config.models.base import _Strict
from showrunner_components.state.contract import STORES


Store = Literal["mysql", "cache", "queues", "tables"]

class Mysql(_Strict):
    """RDS MySQL. Storage is always encrypted gp3, TLS is required, deletion protection is on and
    the final snapshot is always taken; the master password lives in Secrets Manager, managed by RDS."""

    engine_version: MysqlVersion = "8.0"
    """The parameter group's family follows it (`mysql8.0`). Default: `8.0`."""
    instance_class: DbInstanceClass = "db.t3.medium"
    """The instance's size. Default: `db.t3.medium`."""
    allocated_storage_gb: int = Field(default=50, ge=20, le=65536)
    """Storage, GiB. Default: `50`."""
    max_allocated_storage_gb: int | None = Field(default=None, ge=20, le=65536)
    """Storage autoscaling ceiling, above `allocated_storage_gb`. Default: none, storage stays at `allocated_storage_gb`."""
    multi_az: bool = False
    """A standby in another zone, failover in ~1-2 min (prod sets it). Default: `false`, one instance."""
    backup_retention_days: int = Field(default=7, ge=7, le=35)
    """Days the automated backups are kept. Default: `7`."""
    backup_window: DailyWindow = "07:00-07:30"
    """When the daily backup runs. Default: `07:00-07:30`."""
    maintenance_window: WeeklyWindow = "sun:08:00-sun:08:30"
    """When changes and patches are applied. Default: `sun:08:00-sun:08:30`."""
    database_name: SqlName = "showrunner"
    """The database created with the instance. Default: `showrunner`."""
    username: SqlName = "showrunner"
    """The master user; its password is managed (and rotated every 7 days) by RDS, and only
    migrations and the restore runbook use it. Default: `showrunner`."""
    app_username: SqlName = "showrunner_app"
    """The user services connect as, with IAM database authentication: hosts mint a 15-minute token
    from the fleet role every 5 minutes, so there is no password to rotate or leak. Default: `showrunner_app`."""

    @model_validator(mode="after")
    def _storage(self) -> "Mysql":
        if self.app_username == self.username:
            _fail("app_is_master", "app_username must differ from username: services never connect as the master user")
        if self.max_allocated_storage_gb is not None and self.max_allocated_storage_gb <= self.allocated_storage_gb:
            _fail(
                "max_storage",
                "max_allocated_storage_gb ({max}) must be above allocated_storage_gb ({size}), or leave it out",
                max=self.max_allocated_storage_gb,
                size=self.allocated_storage_gb,
            )
        return self


class Cache(_Strict):
    """An ElastiCache replication group (Valkey or Redis), TLS in transit and encrypted at rest."""

    engine: Literal["valkey", "redis"] = "valkey"
    """The engine. Default: `valkey`."""
    engine_version: CacheVersion = "7.2"
    """The engine's version. Default: `7.2`."""
    node_type: CacheNodeType = "cache.t3.small"
    """Each node's size. Default: `cache.t3.small`."""
    num_cache_clusters: int = Field(default=1, ge=1, le=6)
    """Primary plus replicas. Default: `1`, no replica."""
    automatic_failover: bool = False
    """A replica takes over when the primary fails; needs `num_cache_clusters` 2 or more. Default: `false`."""
    multi_az: bool = False
    """Replicas in other zones than the primary; needs `automatic_failover`. Default: `false`."""
    snapshot_retention_days: int = Field(default=1, ge=1, le=35)
    """Days the daily snapshots are kept. Default: `1`."""
    snapshot_window: DailyWindow = "05:00-06:00"
    """When the daily snapshot is taken. Default: `05:00-06:00`."""

    @model_validator(mode="after")
    def _failover(self) -> "Cache":
        if self.automatic_failover and self.num_cache_clusters < 2:
            _fail("failover_replica", "automatic_failover needs a replica: set num_cache_clusters to 2 or more")
        if self.multi_az and not self.automatic_failover:
            _fail("multi_az_failover", "multi_az needs automatic_failover: true")
        return self


class Table(_Strict):
    """One DynamoDB table: on-demand, point-in-time recovery, deletion protection, encrypted."""

    hash_key: AttributeName
    """The partition key's attribute."""
    hash_key_type: Literal["S", "N", "B"] = "S"
    """The partition key's type: string, number or binary. Default: `S`."""
    range_key: AttributeName | None = None
    """The sort key's attribute. Default: none, items are found by the partition key alone."""
    range_key_type: Literal["S", "N", "B"] = "S"
    """The sort key's type: string, number or binary. Default: `S`."""
    ttl_attribute: AttributeName | None = None
    """The attribute holding each item's expiry (epoch seconds). Default: no TTL."""


class Queues(_Strict):
    """SQS queues for Celery: one per Celery queue name, each with its dead-letter queue."""

    names: list[Name] = Field(min_length=1, max_length=20)
    """One SQS queue and its dead-letter queue per Celery queue; the first is Celery's default queue."""
    longest_task_seconds: int = Field(ge=1, le=43200)
    """The longest a task (or its ETA/countdown) may run before it is acknowledged."""
    visibility_timeout_seconds: int = Field(ge=1, le=43200)
    """Must be above `longest_task_seconds`: SQS hands a message out again once it expires, and Celery
    would run the task twice."""
    max_receive_count: int = Field(default=5, ge=1, le=1000)
    """Receives before a message moves to the dead-letter queue. Default: `5`."""
    message_retention_seconds: int = Field(default=345600, ge=60, le=1209600)
    """Seconds a message waits to be received; dead-letter queues always keep 14 days, the maximum.
    Default: `345600` (4 days, SQS's own)."""

    @model_validator(mode="after")
    def _unique(self) -> "Queues":
        if len(set(self.names)) != len(self.names):
            _fail("queue_repeated", "names lists a queue twice")
        return self


class State(_Strict):
    """The stacks' stores. A store left out is not created, and no service may use it."""

    mysql: Mysql | None = None
    """RDS MySQL (`mysql: {}` for every default). Default: not created."""
    cache: Cache | None = None
    """An ElastiCache replication group (`cache: {}` for every default). Default: not created."""
    tables: dict[Name, Table] = Field(default_factory=dict)
    """DynamoDB tables by key (`DYNAMODB_TABLE_<KEY>` in a service's env). Default: none."""
    queues: Queues | None = None
    """SQS queues for Celery. Default: not created."""
    protect: bool = True
    """Every stateful resource carries Pulumi's `protect` and `retain_on_delete`; a production stack
    (`showrunner:production: true`) may not set `false` (then `pulumi destroy` could remove it). Default: `true`."""

    def defined(self) -> list[str]:
        present = {"mysql": self.mysql, "cache": self.cache, "queues": self.queues, "tables": self.tables or None}
        return [store for store in STORES if present[store] is not None]
