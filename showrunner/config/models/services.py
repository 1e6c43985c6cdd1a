"""`showrunner:services`: the 2015 LWRP attributes, and what replaced its `cron` boolean."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from showrunner.config.values import CronSchedule, EnvName, EnvValue, HostPattern, HttpPath, ImageRef, Name, PathPattern, Port, Volume, _fail, host_port
from showrunner.config.models.base import _Strict, replaces
from showrunner.config.models.state import Store


class Route(_Strict):
    """How the load balancer reaches a web service (it replaces an nginx upstream)."""

    paths: list[PathPattern] = Field(default_factory=list, max_length=5)
    """Path patterns the listener rule matches. Default: none, only `hosts` decide."""
    hosts: list[HostPattern] = Field(default_factory=list, max_length=5)
    """Host headers the listener rule matches. Default: none, only `paths` decide."""
    priority: int = Field(ge=1, le=50000)
    """The listener rule's priority, lowest first; unique across services."""

    @model_validator(mode="after")
    def _some_condition(self) -> "Route":
        if not self.paths and not self.hosts:
            _fail("route_empty", "needs `paths` or `hosts` (or both)")
        values = [*self.paths, *self.hosts]
        if len(values) > 5:
            _fail("route_values", "has {count} paths and hosts; an ALB listener rule takes at most 5 condition values", count=len(values))
        wildcards = sum(v.count("*") + v.count("?") for v in values)
        if wildcards > 5:
            _fail("route_wildcards", "has {count} wildcards (* and ?); an ALB listener rule takes at most 5", count=wildcards)
        return self


class Service(_Strict):
    command: str = Field(min_length=1, json_schema_extra=replaces("`command` (required)"))
    """The container's command."""
    env: dict[EnvName, EnvValue] = Field(default_factory=dict, json_schema_extra=replaces("`env` (default `{}`)"))
    """Environment variables; an empty value is refused (2015's empty `SECRET_KEY`). Default: `{}`."""
    ports: list[Port] = Field(default_factory=list, json_schema_extra=replaces("`port` (default `[]`)"))
    """Published ports; the first is the target-group port; a host port is unique per fleet. Default: `[]`."""
    volumes: list[Volume] = Field(default_factory=lambda: ["/var/log/containers:/var/log"], json_schema_extra=replaces("`volume` (same default)"))
    """Bind mounts. Default: `["/var/log/containers:/var/log"]`."""
    rm: bool = Field(default=False, json_schema_extra=replaces("`rm` (default false)"))
    """Remove the container when it exits. Default: `false`."""
    image: ImageRef = Field(json_schema_extra=replaces("`image` and `tag` (both required)"))
    """A pipeline image (this stack's build, or the `release` it is pinned to), or an image of another
    ECR repository pinned by digest in the reference itself: its fleet's role may pull exactly that
    repository, and its hosts get that registry's credentials. An image outside ECR is refused (hosts
    hold no registry password); ECR Public needs none."""
    type: Literal["web", "worker", "cron"] = Field(json_schema_extra=replaces("`type` (required)"))
    """Web services may be routed; cron services need `schedule`."""
    schedule: CronSchedule | None = Field(default=None, json_schema_extra=replaces("`cron` (bool)"))
    """Required for `cron`, refused otherwise; becomes a systemd timer. Default: none."""
    fleet: Name
    """The Auto Scaling group that runs it; a cron service needs a fleet with `max_size: 1` (it runs on every host)."""
    route: Route | None = Field(default=None, json_schema_extra=replaces("nginx upstream"))
    """Web only: the ALB listener-rule conditions (at least one of paths/hosts, at most 5 values and 5
    wildcards together, as ALB allows). Default: not routed."""
    health: HttpPath = "/healthz"
    """The target group's health check. Default: `/healthz`."""
    secrets: list[EnvName] = Field(default_factory=list)
    """Env vars whose values come from `showrunner:secrets.<service>.<NAME>`; the container does not
    start until each is in the secret store and not empty. Default: none."""
    memory_mb: int = Field(default=512, ge=6, le=1_048_576)
    """The container's memory limit in MiB (no swap beyond it): over it, the kernel OOM-kills the
    container and its unit restarts it under the usual start limits. Default: `512`."""
    uses: list[Store] = Field(default_factory=list)
    """The stores of `showrunner:state` this service talks to: their endpoints reach its env
    (`DATABASE_*`, `CACHE_URL`, `CELERY_*`, `DYNAMODB_TABLE_*`; the DB password only through the
    secrets fetcher), its fleet's role and security groups admit it. A store the stack does not
    define is refused, as is a worker consuming a queue not in `state.queues.names`. Default: none."""

    @model_validator(mode="before")
    @classmethod
    def _no_tag(cls, data):
        if isinstance(data, dict) and "tag" in data:
            _fail(
                "tag_removed",
                "`tag` is gone: hosts run digests only, so an external image carries its digest in `image` "
                "(`repository@sha256:…`), and a pipeline image is pinned with showrunner:images.<image>.release",
            )
        return data

    @model_validator(mode="after")
    def _type_rules(self) -> "Service":
        if self.type == "cron" and self.schedule is None:
            _fail("schedule_missing", "a cron service needs `schedule`")
        if self.type != "cron" and self.schedule is not None:
            _fail("schedule_refused", "`schedule` is only for type cron, not {type}", type=self.type)
        if self.type != "web" and self.route is not None:
            _fail("route_refused", "`route` is only for type web, not {type}", type=self.type)
        if len(set(self.uses)) != len(self.uses):
            _fail("uses_repeated", "lists a store twice: {uses}", uses=", ".join(self.uses))
        both = sorted(set(self.env) & set(self.secrets))
        if both:
            _fail("env_and_secret", "{names} is both in `env` and `secrets`; keep it in `secrets` only", names=", ".join(both))
        return self

    @property
    def host_ports(self) -> list[int]:
        return [host_port(p) for p in self.ports]
