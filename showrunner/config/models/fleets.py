"""`showrunner:fleets`: the Auto Scaling groups."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from showrunner.config.values import InstanceType, Name, Recurrence, TimeZone, _fail
from showrunner.config.models.base import _Strict

# Upper bounds, each AWS's own:
SIZE_MAX = 1000
"""Instances in a group at most: an ALB target group holds at most 1,000 instance targets (Elastic
Load Balancing quotas, "Targets per target group per Region"), and no fleet outgrows the load balancer."""
SCHEDULED_MAX = 125
"""Scheduled actions per Auto Scaling group (Amazon EC2 Auto Scaling quotas)."""


class Scaling(_Strict):
    """Target tracking: ALB requests per target (web fleets) and average CPU."""

    requests_per_target: int | None = Field(default=None, ge=1)
    """Target for `ALBRequestCountPerTarget` (requests per target per minute). Default: no request tracking."""
    cpu_percent: float = Field(default=50.0, gt=0, le=100)
    """Target average CPU, percent. Default: `50`."""


class ScheduledCapacity(_Strict):
    """A recurring capacity change for the weekly peaks (times in `time_zone`)."""

    recurrence: Recurrence
    """When the change applies, read in `time_zone`."""
    min_size: int = Field(ge=0, le=SIZE_MAX)
    """The group's `min_size` from then on; at most `max_size`."""
    max_size: int = Field(ge=0, le=SIZE_MAX)
    """The group's `max_size` from then on."""
    desired_capacity: int | None = Field(default=None, ge=0, le=SIZE_MAX)
    """The group's desired capacity from then on, between the two sizes. Default: left to scaling."""
    time_zone: TimeZone = "UTC"
    """The zone `recurrence` is read in. Default: `UTC`."""

    @model_validator(mode="after")
    def _bounds(self) -> "ScheduledCapacity":
        _check_bounds(self.min_size, self.max_size, self.desired_capacity)
        return self


class Spot(_Strict):
    """Mixed instances: on-demand up to a base, Spot above it."""

    on_demand_base_capacity: int = Field(default=0, ge=0, le=SIZE_MAX)
    """On-demand instances before any Spot one. Default: `0`."""
    on_demand_percentage_above_base: int = Field(default=0, ge=0, le=100)
    """Percent of the instances above the base that are on-demand. Default: `0`, all Spot."""


class WarmPool(_Strict):
    """Instances booted ahead of a scale-out, kept in the pool until the group needs them."""

    min_size: int = Field(default=0, ge=0, le=SIZE_MAX)
    """Instances the pool keeps at least. Default: `0`."""
    max_group_prepared_capacity: int | None = Field(default=None, ge=0, le=SIZE_MAX)
    """Instances in the group and the pool together at most. Default: the group's `max_size`."""
    pool_state: Literal["Stopped", "Running", "Hibernated"] = "Stopped"
    """The state pooled instances wait in. Default: `Stopped`."""


def _check_bounds(min_size: int, max_size: int, desired: int | None) -> None:
    if min_size > max_size:
        _fail("min_gt_max", "min_size ({min}) must be <= max_size ({max})", min=min_size, max=max_size)
    if desired is not None and not min_size <= desired <= max_size:
        _fail(
            "desired_out_of_range",
            "desired_capacity ({desired}) must be between min_size ({min}) and max_size ({max})",
            desired=desired,
            min=min_size,
            max=max_size,
        )


class Fleet(_Strict):
    """One Auto Scaling group of hosts booted from the golden AMI."""

    instance_types: list[InstanceType] = Field(min_length=1, max_length=20)
    """The first is preferred; arm64 (Graviton) types are refused: the golden AMI is x86_64."""
    min_size: int = Field(ge=0, le=SIZE_MAX)
    """Fewest instances; at most `max_size`."""
    max_size: int = Field(ge=1, le=SIZE_MAX)
    """Most instances (an ALB target group holds at most 1,000)."""
    desired_capacity: int | None = Field(default=None, ge=0, le=SIZE_MAX)
    """The group's size at creation only; ignored afterwards so scaling owns it. Default: `min_size`."""
    scaling: Scaling = Field(default_factory=Scaling)
    """Target tracking: ALB requests per target (web fleets) and average CPU. Default: CPU tracking only."""
    scheduled: dict[Name, ScheduledCapacity] = Field(default_factory=dict, max_length=SCHEDULED_MAX)
    """Recurring capacity changes for the weekly peaks, by name (Auto Scaling takes at most 125 per group). Default: none."""
    spot: Spot | None = None
    """Mixed instances with Spot; cannot be combined with `warm_pool`. Default: on-demand only."""
    warm_pool: WarmPool | None = None
    """Pre-initialised instances; needs a single instance type and cannot be combined with `spot`
    (AWS refuses warm pools on mixed-instance groups). Default: none."""
    root_volume_gb: int = Field(default=16, ge=8, le=200)
    """Encrypted gp3 root volume, GiB. Default: `16`."""
    data_volume_gb: int = Field(default=60, ge=20, le=2000)
    """Encrypted gp3 volume for Docker's data root (2015's `/mnt/docker`), GiB. Default: `60`."""
    health_check_grace_seconds: int = Field(default=180, ge=0, le=3600)
    """ELB health-check grace period. Default: `180`."""
    min_free_mb: int = Field(default=2048, ge=256, le=1_000_000)
    """Free MiB the disk guard needs on the data volume before a container starts (2015: `docker pull`
    filled the disk); below the volume size. Default: `2048`."""
    start_deadline_s: int = Field(default=300, ge=10, le=400)
    """Seconds a service's start waits for its secrets and for its image (each), retrying with
    backoff while the secret store or the registry is away; past them the host reports itself
    Unhealthy and the group replaces it, rather than idling. At most 400 (the unit's 900 s start
    timeout holds both waits). Default: `300`."""

    @model_validator(mode="after")
    def _rules(self) -> "Fleet":
        _check_bounds(self.min_size, self.max_size, self.desired_capacity)
        if self.spot is not None and self.warm_pool is not None:
            _fail("spot_and_warm_pool", "`spot` and `warm_pool` cannot be combined (AWS refuses warm pools on mixed-instance groups); pick one")
        if self.warm_pool is not None and len(self.instance_types) > 1:
            _fail(
                "warm_pool_types",
                "`warm_pool` needs exactly one instance type ({count} given): several types make a mixed-instance group, which AWS refuses a warm pool",
                count=len(self.instance_types),
            )
        if self.min_free_mb >= self.data_volume_gb * 1024:
            _fail(
                "min_free_too_big",
                "min_free_mb ({min_free}) must be below the data volume ({size} GiB = {mib} MiB), or no container could ever start",
                min_free=self.min_free_mb,
                size=self.data_volume_gb,
                mib=self.data_volume_gb * 1024,
            )
        return self
