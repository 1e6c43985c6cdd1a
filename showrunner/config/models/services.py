"""`showrunner:services`: the 2015 LWRP attributes, and what replaced its `cron` boolean."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from showrunner.config.values import PIPELINE_IMAGES, CronSchedule, EnvName, EnvValue, HostPattern, HttpPath, ImageRef, ImageTag, Name, PathPattern, Port, Volume, _fail, host_port
from showrunner.config.models.base import _Strict
from showrunner.config.models.state import Store


class Route(_Strict):
    """How the load balancer reaches a web service (it replaces an nginx upstream)."""

    paths: list[PathPattern] = Field(default_factory=list, max_length=5)
    hosts: list[HostPattern] = Field(default_factory=list, max_length=5)
    priority: int = Field(ge=1, le=50000)

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
    command: str = Field(min_length=1)
    env: dict[EnvName, EnvValue] = Field(default_factory=dict)
    ports: list[Port] = Field(default_factory=list)
    volumes: list[Volume] = Field(default_factory=lambda: ["/var/log/containers:/var/log"])
    rm: bool = False
    image: ImageRef
    tag: ImageTag | None = None
    type: Literal["web", "worker", "cron"]
    schedule: CronSchedule | None = None
    fleet: Name
    route: Route | None = None
    health: HttpPath = "/healthz"
    secrets: list[EnvName] = Field(default_factory=list)
    uses: list[Store] = Field(default_factory=list)
    """The stores of `showrunner:state` this service talks to: their endpoints reach its
    environment, its fleet's role and security groups admit it. Default: none."""

    @model_validator(mode="after")
    def _type_rules(self) -> "Service":
        if self.type == "cron" and self.schedule is None:
            _fail("schedule_missing", "a cron service needs `schedule`")
        if self.type != "cron" and self.schedule is not None:
            _fail("schedule_refused", "`schedule` is only for type cron, not {type}", type=self.type)
        if self.type != "web" and self.route is not None:
            _fail("route_refused", "`route` is only for type web, not {type}", type=self.type)
        if self.image not in PIPELINE_IMAGES and (self.tag is None or not self.tag.startswith("sha256:")):
            _fail(
                "external_unpinned",
                "external image {image} must be pinned: set `tag` to its sha256: digest",
                image=self.image,
            )
        if len(set(self.uses)) != len(self.uses):
            _fail("uses_repeated", "lists a store twice: {uses}", uses=", ".join(self.uses))
        both = sorted(set(self.env) & set(self.secrets))
        if both:
            _fail("env_and_secret", "{names} is both in `env` and `secrets`; keep it in `secrets` only", names=", ".join(both))
        return self

    @property
    def host_ports(self) -> list[int]:
        return [host_port(p) for p in self.ports]
