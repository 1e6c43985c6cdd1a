"""`showrunner:fleets`: the Auto Scaling groups."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from showrunner.config.values import CronSchedule, InstanceType, Name, TimeZone, _fail
from showrunner.config.models.base import _Strict


class Scaling(_Strict):
    """Target tracking: ALB requests per target (web fleets) and average CPU."""

    requests_per_target: int | None = Field(default=None, ge=1)
    cpu_percent: float = Field(default=50.0, gt=0, le=100)


class ScheduledCapacity(_Strict):
    """A recurring capacity change for the weekly peaks (times in `time_zone`)."""

    recurrence: CronSchedule
    min_size: int = Field(ge=0)
    max_size: int = Field(ge=0)
    desired_capacity: int | None = Field(default=None, ge=0)
    time_zone: TimeZone = "UTC"

    @model_validator(mode="after")
    def _bounds(self) -> "ScheduledCapacity":
        _check_bounds(self.min_size, self.max_size, self.desired_capacity)
        return self


class Spot(_Strict):
    on_demand_base_capacity: int = Field(default=0, ge=0)
    on_demand_percentage_above_base: int = Field(default=0, ge=0, le=100)


class WarmPool(_Strict):
    min_size: int = Field(default=0, ge=0)
    max_group_prepared_capacity: int | None = Field(default=None, ge=0)
    pool_state: Literal["Stopped", "Running", "Hibernated"] = "Stopped"


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
    instance_types: list[InstanceType] = Field(min_length=1, max_length=20)
    min_size: int = Field(ge=0)
    max_size: int = Field(ge=1)
    desired_capacity: int | None = Field(default=None, ge=0)
    scaling: Scaling = Field(default_factory=Scaling)
    scheduled: dict[Name, ScheduledCapacity] = Field(default_factory=dict)
    spot: Spot | None = None
    warm_pool: WarmPool | None = None
    root_volume_gb: int = Field(default=16, ge=8, le=200)
    data_volume_gb: int = Field(default=60, ge=20, le=2000)
    health_check_grace_seconds: int = Field(default=180, ge=0, le=3600)
    min_free_mb: int = Field(default=2048, ge=256, le=1_000_000)
    """Free MiB the disk guard wants on /mnt/docker before a unit starts (2015: full-disk failed starts)."""

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
