"""The configuration models: one pydantic model per section and entry, strict and frozen.

Every field documents its default as behaviour. The models check what one entry can check on its
own; checks across entries live in `checks`.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from showrunner.config.values import (
    PIPELINE_IMAGES,
    AcmArn,
    AwsCron,
    Cidr,
    CronSchedule,
    EcrDigestRef,
    EnvName,
    EnvValue,
    HostPattern,
    HttpPath,
    ImageRef,
    ImageTag,
    InstanceType,
    IsoWeek,
    Name,
    PathPattern,
    Port,
    SsmName,
    TimeZone,
    Volume,
    _fail,
)
from showrunner_components.state.contract import STORES


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# --- state: the stores services use (components/state.py) ---------------------------------------

Store = Literal["mysql", "cache", "queues", "tables"]

_DB_INSTANCE_CLASS = re.compile(r"^db\.[a-z0-9]+\.[a-z0-9]+$")
_CACHE_NODE_TYPE = re.compile(r"^cache\.[a-z0-9]+\.[a-z0-9]+$")
_ATTRIBUTE = re.compile(r"^[A-Za-z0-9_.-]{1,255}$")
_SQL_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,15}$")
_WINDOW = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
_WEEKLY_WINDOW = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$")


class Mysql(_Strict):
    """RDS MySQL. Storage is always encrypted gp3, TLS is required, deletion protection is on and
    the final snapshot is always taken; the master password lives in Secrets Manager, managed by RDS."""

    engine_version: str = Field(default="8.0", pattern=r"^8\.[0-9]+(\.[0-9]+)?$")
    instance_class: str = Field(default="db.t3.medium", pattern=_DB_INSTANCE_CLASS.pattern)
    allocated_storage_gb: int = Field(default=50, ge=20, le=65536)
    max_allocated_storage_gb: int | None = Field(default=None, ge=20, le=65536)
    """Storage autoscaling ceiling. Default: none, storage stays at `allocated_storage_gb`."""
    multi_az: bool = False
    """Default: false (one instance). Prod sets true: a standby in another zone, failover in ~1-2 min."""
    backup_retention_days: int = Field(default=7, ge=7, le=35)
    backup_window: str = Field(default="07:00-07:30", pattern=_WINDOW.pattern)
    maintenance_window: str = Field(default="sun:08:00-sun:08:30", pattern=_WEEKLY_WINDOW.pattern)
    database_name: str = Field(default="showrunner", pattern=_SQL_NAME.pattern)
    username: str = Field(default="showrunner", pattern=_SQL_NAME.pattern)

    @model_validator(mode="after")
    def _storage(self) -> "Mysql":
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
    engine_version: str = Field(default="7.2", pattern=r"^[6-9]\.[0-9]+$")
    node_type: str = Field(default="cache.t3.small", pattern=_CACHE_NODE_TYPE.pattern)
    num_cache_clusters: int = Field(default=1, ge=1, le=6)
    """Primary plus replicas. Default: 1 (no replica)."""
    automatic_failover: bool = False
    multi_az: bool = False
    snapshot_retention_days: int = Field(default=1, ge=1, le=35)
    snapshot_window: str = Field(default="05:00-06:00", pattern=_WINDOW.pattern)

    @model_validator(mode="after")
    def _failover(self) -> "Cache":
        if self.automatic_failover and self.num_cache_clusters < 2:
            _fail("failover_replica", "automatic_failover needs a replica: set num_cache_clusters to 2 or more")
        if self.multi_az and not self.automatic_failover:
            _fail("multi_az_failover", "multi_az needs automatic_failover: true")
        return self


class Table(_Strict):
    """One DynamoDB table: on-demand, point-in-time recovery, deletion protection, encrypted."""

    hash_key: str = Field(pattern=_ATTRIBUTE.pattern)
    hash_key_type: Literal["S", "N", "B"] = "S"
    range_key: str | None = Field(default=None, pattern=_ATTRIBUTE.pattern)
    range_key_type: Literal["S", "N", "B"] = "S"
    ttl_attribute: str | None = Field(default=None, pattern=_ATTRIBUTE.pattern)
    """The attribute holding each item's expiry (epoch seconds). Default: no TTL."""


class Queues(_Strict):
    """SQS queues for Celery: one per Celery queue name, each with its dead-letter queue."""

    names: list[Name] = Field(min_length=1, max_length=20)
    longest_task_seconds: int = Field(ge=1, le=43200)
    """The longest a task (or its ETA/countdown) may run before it is acknowledged."""
    visibility_timeout_seconds: int = Field(ge=1, le=43200)
    """Must be above `longest_task_seconds`: SQS hands a message out again once it expires."""
    max_receive_count: int = Field(default=5, ge=1, le=1000)
    """Receives before a message moves to the dead-letter queue."""
    message_retention_seconds: int = Field(default=345600, ge=60, le=1209600)
    """Default: 4 days (SQS's own). Dead-letter queues always keep 14 days, the maximum."""

    @model_validator(mode="after")
    def _unique(self) -> "Queues":
        if len(set(self.names)) != len(self.names):
            _fail("queue_repeated", "names lists a queue twice")
        return self


class State(_Strict):
    """The stacks' stores. A store left out is not created, and no service may use it."""

    mysql: Mysql | None = None
    cache: Cache | None = None
    tables: dict[Name, Table] = Field(default_factory=dict)
    queues: Queues | None = None
    protect: bool = True
    """Default: true, every stateful resource carries Pulumi's `protect` and `retain_on_delete`.
    Only a non-prod stack may set false (then `pulumi destroy` can remove it)."""

    def defined(self) -> list[str]:
        present = {"mysql": self.mysql, "cache": self.cache, "queues": self.queues, "tables": self.tables or None}
        return [store for store in STORES if present[store] is not None]


# --- services: the 2015 LWRP attributes and what replaced the `cron` boolean -----------------


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
        return [int(p.split(":")[0]) for p in self.ports]


# --- fleets: the Auto Scaling groups ---------------------------------------------------------


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


# --- the other sections ------------------------------------------------------------------------


class Images(_Strict):
    """The image pipeline: ECR repositories and the weekly base rebuild."""

    refresh_key: IsoWeek
    keep_releases: int = Field(default=20, ge=1, le=1000)
    untagged_expiry_days: int = Field(default=3, ge=1, le=365)
    release: dict[Literal["www", "micro"], EcrDigestRef] = Field(default_factory=dict)
    """Promotion: run exactly this reference (the one staging ran) instead of building the image here."""


class GoldenAmi(_Strict):
    """The EC2 Image Builder pipeline that bakes fleet hosts."""

    parent_image_parameter: SsmName = "/aws/service/debian/release/12/latest/amd64"
    schedule: AwsCron = "cron(0 4 ? * sun *)"
    build_instance_types: list[InstanceType] = Field(default_factory=lambda: ["m7i.large"], min_length=1)
    root_volume_gb: int = Field(default=16, ge=8, le=200)
    log_retention_days: int = Field(default=90, ge=1, le=3650)
    """Days the build logs stay in the log bucket."""
    bootstrap: bool = False
    """Default: false, the AMI id is read from the pipeline's SSM parameter. True only for a stack's
    first deploy, before the pipeline has produced an AMI (see images/golden/README.md)."""


class Network(_Strict):
    """A new VPC (cidr, az_count, nat) or an existing one (vpc_id and subnet ids)."""

    cidr: Cidr = "10.20.0.0/16"
    az_count: int = Field(default=2, ge=2, le=6)
    nat: Literal["none", "single", "per_az"] = "single"
    vpc_id: str | None = Field(default=None, pattern=r"^vpc-[0-9a-f]{8,17}$")
    public_subnet_ids: list[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]] = Field(default_factory=list)
    private_subnet_ids: list[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _existing(self) -> "Network":
        given = [self.vpc_id is not None, bool(self.public_subnet_ids), bool(self.private_subnet_ids)]
        if any(given) and not all(given):
            _fail("existing_vpc", "an existing VPC needs `vpc_id`, `public_subnet_ids` and `private_subnet_ids` together")
        if self.vpc_id and (len(self.public_subnet_ids) < 2 or len(self.private_subnet_ids) < 2):
            _fail("existing_subnets", "an existing VPC needs at least two public and two private subnets (two AZs)")
        return self


class LoadBalancer(_Strict):
    certificate_arn: AcmArn
    idle_timeout_seconds: int = Field(default=60, ge=1, le=4000)
    deregistration_delay_seconds: int = Field(default=30, ge=0, le=3600)
    slow_start_seconds: int = Field(default=30, ge=0, le=900)


class Delivery(_Strict):
    """GitHub Actions → AWS through OIDC: a read-only role for previews, a scoped one for deploys."""

    github_repository: str = Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
    """`owner/name`: the only repository whose workflows may assume the roles."""
    state_bucket: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
    """The S3 bucket of the Pulumi state backend (`pulumi login s3://<bucket>`)."""
    secrets_provider_key_arn: str | None = Field(default=None, pattern=r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]{36}$")
    """The KMS key of the `awskms://` secrets provider. Default: none, the roles cannot decrypt stack secrets."""
    oidc_provider_arn: str | None = Field(default=None, pattern=r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$")
    """An account has one GitHub OIDC provider. Default: this stack creates it; a second stack in the
    same account names the first one's here."""
    deploy_environment: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,255}$")
    """The GitHub environment whose jobs may deploy. Default: the stack name (prod: required reviewers)."""


class Settings(_Strict):
    """Everything one stack is made of. Built once by `load_settings`; never mutated."""

    project: str
    stack: str
    environment: str
    tags: dict[str, str]
    services: dict[str, Service]
    fleets: dict[str, Fleet]
    images: Images
    golden_ami: GoldenAmi
    network: Network
    load_balancer: LoadBalancer
    secrets: dict[str, dict[str, SecretStr]]
    delivery: Delivery | None = None
    state: State = Field(default_factory=State)

    def services_on(self, fleet: str) -> dict[str, Service]:
        return {n: s for n, s in self.services.items() if s.fleet == fleet}

