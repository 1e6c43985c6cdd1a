"""`showrunner:alerts` and `showrunner:logs`: who hears about an alarm, when alarms fire, and how long logs stay."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from showrunner.config.values import LogRetentionDays, email, https_url
from showrunner.config.models.base import _Strict
from showrunner_components.observability import alarms


class Subscription(_Strict):
    """One subscriber of the stack's alert topic."""

    protocol: Literal["email", "https"]
    """`email` (the address must confirm the subscription once) or `https` (an endpoint, such as a pager's, that confirms it)."""
    endpoint: str
    """The e-mail address for `email`, the `https://` URL for `https`."""

    @model_validator(mode="after")
    def _endpoint(self) -> "Subscription":
        (email if self.protocol == "email" else https_url)(self.endpoint)
        return self


class Thresholds(_Strict):
    """When each alarm fires. Every alarm also notifies when it recovers. The defaults are the
    components' own (`showrunner_components.observability.alarms`)."""

    target_5xx_percent: float = Field(default=alarms.TARGET_5XX_PERCENT, gt=0, le=100)
    """A routed service's 5xx responses, percent of its requests, over each of 3 consecutive minutes. Default: `5`."""
    unhealthy_hosts: int = Field(default=alarms.UNHEALTHY_HOSTS, ge=0)
    """A routed service's unhealthy targets above this, for 3 consecutive minutes. Default: `0`, any unhealthy host."""
    p99_response_seconds: float = Field(default=alarms.P99_RESPONSE_SECONDS, gt=0, le=60)
    """A routed service's 99th-percentile target response time, seconds, over each of 3 consecutive minutes. Default: `2`."""
    load_balancer_5xx_per_minute: int = Field(default=alarms.LOAD_BALANCER_5XX_PER_MINUTE, ge=0)
    """5xx responses the load balancer itself gives (no healthy target, a timeout) per minute, for 3 consecutive minutes. Default: `10`."""
    disk_used_percent: float = Field(default=alarms.DISK_USED_PERCENT, gt=0, le=100)
    """A fleet's fullest host's data volume or root filesystem (the published `DiskUsedPercent`), for 2 of 5-minute reports. Default: `80`."""
    clock_offset_seconds: float = Field(default=alarms.CLOCK_OFFSET_SECONDS, gt=0, le=900)
    """A fleet's most-drifted host clock (chrony's offset, the published `ClockOffsetSeconds`), seconds, for 5 consecutive minutes. Default: `1`."""
    mysql_cpu_percent: float = Field(default=alarms.MYSQL_CPU_PERCENT, gt=0, le=100)
    """The database's CPU over 3 consecutive 5-minute periods. Default: `80`."""
    mysql_free_storage_percent: float = Field(default=alarms.MYSQL_FREE_STORAGE_PERCENT, gt=0, lt=100)
    """The database's free storage below this percent of its allocated storage. Default: `10`."""
    mysql_free_memory_percent: float = Field(default=alarms.MYSQL_FREE_MEMORY_PERCENT, gt=0, lt=100)
    """The database's freeable memory below this percent of its instance class's memory, for 3 consecutive 5-minute periods. Default: `10`."""
    mysql_connections_percent: float = Field(default=alarms.MYSQL_CONNECTIONS_PERCENT, gt=0, le=100)
    """Connections above this percent of RDS's default `max_connections` for the instance class, for 3 consecutive 5-minute periods. Default: `80`."""
    cache_memory_percent: float = Field(default=alarms.CACHE_MEMORY_PERCENT, gt=0, le=100)
    """A cache node's memory use (`DatabaseMemoryUsagePercentage`), for 3 consecutive 5-minute periods. Default: `80`."""
    cache_evictions: int = Field(default=alarms.CACHE_EVICTIONS, ge=0)
    """Keys a cache node evicts per 5 minutes above this, twice running: the cache is too small. Default: `100`."""
    dead_letter_messages: int = Field(default=alarms.DEAD_LETTER_MESSAGES, ge=0)
    """Messages waiting in a queue's dead-letter queue above this. Default: `0`, any failed task."""


class Alerts(_Strict):
    """The stack's alert topic (SNS, encrypted), who it reaches, and the alarms' thresholds."""

    subscriptions: list[Subscription] = Field(default_factory=list, max_length=20)
    """Who hears each alarm and its recovery, and each failed golden-AMI build. A production stack needs at least one. Default: none."""
    thresholds: Thresholds = Field(default_factory=Thresholds)
    """When the alarms fire; a stack file overrides any of them. Default: the values below."""


class Logs(_Strict):
    """Container output in CloudWatch Logs: one log group per service, encrypted with the stack's alerts key."""

    retention_days: LogRetentionDays = 30
    """Days a container's and a host's log events are kept. Default: `30`."""

