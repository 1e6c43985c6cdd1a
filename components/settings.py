"""The typed, validated configuration of one stack: what Chef's attribute hashes were in 2015.

`load_settings` takes this project's config values (already deep-merged over the project
defaults by `stackconfig`) and returns a `Settings` object, or raises `ConfigError` carrying every
problem at once, one line each, named by its full path:

    showrunner:services.django.ports[1]: "80:abc" is not HOST:CONTAINER

Each section entry is validated on its own, so one broken service does not hide the problems of
the others, and the checks that span entries (fleets that exist, host ports, route priorities,
secrets that are set) run over everything that parsed.
"""

from __future__ import annotations

import ipaddress
import re
import zoneinfo
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

NAMESPACE = "showrunner"
PIPELINE_IMAGES = ("base", "www", "micro")


class ConfigError(Exception):
    """Every problem found in a stack's configuration, one line each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def _fail(kind: str, message: str, **context: Any):
    raise PydanticCustomError(kind, message, context)


# --- value checks, each a pure function used as a pydantic AfterValidator -------------------

_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_INSTANCE_TYPE = re.compile(r"^(?P<family>[a-z]+)(?P<gen>\d+)(?P<attrs>[a-z-]*)\.(?P<size>nano|micro|small|medium|large|metal|\d*xlarge|metal-\d+xl)$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_REPOSITORY = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(/[a-z0-9]+([._/-][a-z0-9]+)*)+$")
_ECR_DIGEST_REF = re.compile(r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com/[a-z0-9]+([._/-][a-z0-9]+)*@sha256:[0-9a-f]{64}$")
_ISO_WEEK = re.compile(r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$")
_PATH_PATTERN = re.compile(r"^/[A-Za-z0-9._~/*?-]*$")
_HOST_PATTERN = re.compile(r"^[A-Za-z0-9*?.-]+$")
_ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+$")
_SSM_NAME = re.compile(r"^(/[A-Za-z0-9_.-]+)+$")


def name(value: str) -> str:
    if not _NAME.match(value):
        _fail("name", '"{value}" is not a name (lower-case letters, digits and dashes, 2-32 long)', value=value)
    return value


def _is_port(value: str) -> bool:
    parts = value.split(":")
    return len(parts) == 2 and all(p.isdigit() and 1 <= int(p) <= 65535 for p in parts)


def port(value: str) -> str:
    if not _is_port(value):
        _fail("port", '"{value}" is not HOST:CONTAINER (two port numbers 1-65535)', value=value)
    return value


def volume(value: str) -> str:
    parts = value.split(":")
    ok = len(parts) in (2, 3) and all(p.startswith("/") and ".." not in p.split("/") for p in parts[:2])
    if not ok or (len(parts) == 3 and parts[2] != "ro"):
        _fail("volume", '"{value}" is not HOST:CONTAINER[:ro] with absolute paths', value=value)
    return value


def env_name(value: str) -> str:
    if not _ENV_NAME.match(value):
        _fail("env_name", '"{value}" is not an environment variable name', value=value)
    return value


def env_value(value: str) -> str:
    if value == "":
        _fail(
            "empty_env",
            "is empty; an empty value starts the container broken (2015: an empty SECRET_KEY). "
            "Give a value, or move it to `secrets`",
        )
    return value


_CRON_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7))
CRON_ALIASES = {"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *"}


def _cron_field_ok(text: str, low: int, high: int) -> bool:
    for item in text.split(","):
        base, _, step = item.partition("/")
        if step and not (step.isdigit() and int(step) > 0):
            return False
        if base == "*":
            continue
        lo, _, hi = base.partition("-")
        bounds = [lo] + ([hi] if hi else [])
        if not all(b.isdigit() and low <= int(b) <= high for b in bounds):
            return False
        if hi and int(lo) > int(hi):
            return False
    return True


def cron_schedule(value: str) -> str:
    """Five-field cron (`m h dom mon dow`) or an alias such as `@daily`: what 2015's crontab used."""
    expanded = CRON_ALIASES.get(value, value)
    fields = expanded.split()
    if len(fields) != 5 or not all(_cron_field_ok(f, lo, hi) for f, (_, lo, hi) in zip(fields, _CRON_FIELDS)):
        _fail(
            "schedule",
            '"{value}" is not a cron schedule (five fields "m h dom mon dow", or @hourly/@daily/@weekly/@monthly)',
            value=value,
        )
    return value


def aws_cron(value: str) -> str:
    """An EventBridge/Image Builder `cron(m h dom mon dow year)` expression."""
    match = re.match(r"^cron\((.+)\)$", value)
    if not match or len(match.group(1).split()) != 6:
        _fail("aws_cron", '"{value}" is not an AWS cron expression like "cron(0 4 ? * sun *)"', value=value)
    return value


def time_zone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        _fail("time_zone", '"{value}" is not an IANA time zone like "America/New_York" or "UTC"', value=value)
    return value


def instance_type(value: str) -> str:
    match = _INSTANCE_TYPE.match(value)
    if not match:
        _fail("instance_type", '"{value}" is not an EC2 instance type like "c7i.large"', value=value)
    if "g" in match.group("attrs") or match.group("family") == "a":
        _fail(
            "instance_arch",
            '"{value}" is an arm64 (Graviton) type, but the golden AMI is built for x86_64',
            value=value,
        )
    return value


def cidr(value: str) -> str:
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        _fail("cidr", '"{value}" is not an IPv4 CIDR block like "10.20.0.0/16"', value=value)
    if not 16 <= network.prefixlen <= 24:
        _fail("cidr_size", '"{value}" must be between /16 and /24 to hold the subnets', value=value)
    return value


def http_path(value: str) -> str:
    if not value.startswith("/") or " " in value:
        _fail("http_path", '"{value}" is not an absolute URL path', value=value)
    return value


def path_pattern(value: str) -> str:
    if not _PATH_PATTERN.match(value):
        _fail("path_pattern", '"{value}" is not a path pattern like "/api/*"', value=value)
    return value


def host_pattern(value: str) -> str:
    if not _HOST_PATTERN.match(value):
        _fail("host_pattern", '"{value}" is not a host header pattern like "www.example.com"', value=value)
    return value


def image_ref(value: str) -> str:
    if value not in PIPELINE_IMAGES and not _REPOSITORY.match(value):
        _fail(
            "image",
            '"{value}" is neither a pipeline image (base, www, micro) nor a repository like "public.ecr.aws/org/name"',
            value=value,
        )
    return value


def image_tag(value: str) -> str:
    if value.startswith("sha256:"):
        if not _DIGEST.match(value):
            _fail("digest", '"{value}" is not a sha256 digest (sha256: and 64 hex digits)', value=value)
    elif not _TAG.match(value):
        _fail("tag", '"{value}" is not an image tag or sha256: digest', value=value)
    return value


def ecr_digest_ref(value: str) -> str:
    if not _ECR_DIGEST_REF.match(value):
        _fail(
            "ecr_digest_ref",
            '"{value}" is not an ECR image pinned by digest (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY@sha256:…)',
            value=value,
        )
    return value


def iso_week(value: str) -> str:
    if not _ISO_WEEK.match(value):
        _fail("iso_week", '"{value}" is not an ISO week like "2026-W48"', value=value)
    return value


def acm_arn(value: str) -> str:
    if not _ACM_ARN.match(value):
        _fail("acm_arn", '"{value}" is not an ACM certificate ARN', value=value)
    return value


def ssm_name(value: str) -> str:
    if not _SSM_NAME.match(value):
        _fail("ssm_name", '"{value}" is not an SSM parameter path like "/aws/service/..."', value=value)
    return value


Name = Annotated[str, AfterValidator(name)]
Port = Annotated[str, AfterValidator(port)]
Volume = Annotated[str, AfterValidator(volume)]
EnvName = Annotated[str, AfterValidator(env_name)]
EnvValue = Annotated[str, AfterValidator(env_value)]
CronSchedule = Annotated[str, AfterValidator(cron_schedule)]
AwsCron = Annotated[str, AfterValidator(aws_cron)]
InstanceType = Annotated[str, AfterValidator(instance_type)]
TimeZone = Annotated[str, AfterValidator(time_zone)]
Cidr = Annotated[str, AfterValidator(cidr)]
HttpPath = Annotated[str, AfterValidator(http_path)]
PathPattern = Annotated[str, AfterValidator(path_pattern)]
HostPattern = Annotated[str, AfterValidator(host_pattern)]
ImageRef = Annotated[str, AfterValidator(image_ref)]
ImageTag = Annotated[str, AfterValidator(image_tag)]
IsoWeek = Annotated[str, AfterValidator(iso_week)]
EcrDigestRef = Annotated[str, AfterValidator(ecr_digest_ref)]
AcmArn = Annotated[str, AfterValidator(acm_arn)]
SsmName = Annotated[str, AfterValidator(ssm_name)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# --- state: the stores services use (components/state.py) ---------------------------------------

STORES = ("mysql", "cache", "queues", "tables")
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


# --- loading: parse each entry, then check across entries -----------------------------------

_SECTIONS: dict[str, tuple[Any, bool]] = {
    # key: (model or per-entry model, is a map of name → entry)
    "services": (Service, True),
    "fleets": (Fleet, True),
    "images": (Images, False),
    "golden_ami": (GoldenAmi, False),
    "network": (Network, False),
    "load_balancer": (LoadBalancer, False),
    "delivery": (Delivery, False),
    "state": (State, False),
    "tags": (dict[str, str], False),
    "secrets": (dict[str, dict[str, str]], False),
}
_REQUIRED = ("services", "fleets", "images", "load_balancer")


def path_of(*parts: str | int) -> str:
    text = NAMESPACE
    for i, part in enumerate(parts):
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += (":" if i == 0 else ".") + str(part)
    return text


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return str(value)
    return "a map" if isinstance(value, dict) else "a list"


_TYPE_WORDS = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "dict_type": "a map",
    "list_type": "a list",
    "model_type": "a map",
}


def _message(error: dict) -> str:
    kind = error["type"]
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known key"
    if kind in _TYPE_WORDS:
        return f"expected {_TYPE_WORDS[kind]}, got {_describe(error['input'])}"
    if kind == "literal_error":
        return f"{_describe(error['input'])} is not one of {error['ctx']['expected']}"
    if kind == "string_pattern_mismatch":
        return f"{_describe(error['input'])} does not match {error['ctx']['pattern']}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"{_describe(error['input'])} {error['msg'].replace('Input should be', 'must be')}"
    if kind in ("too_short", "too_long"):
        return error["msg"].replace("List should have", "must have").replace("Value should have", "must have")
    return error["msg"].removeprefix("Value error, ")


def _problems(error: ValidationError, prefix: tuple, redact: bool) -> list[str]:
    lines = []
    for item in error.errors():
        loc = [part for part in item["loc"] if part != "[key]" and not (isinstance(part, str) and part.startswith(("function-", "json-or-python")))]
        message = _message(item)
        if redact and item["type"] in _TYPE_WORDS:
            message = f"expected {_TYPE_WORDS[item['type']]}"  # never echo a secret value
        lines.append(f"{path_of(*prefix, *loc)}: {message}")
    return lines


def _parse(model: Any, value: Any, prefix: tuple, problems: list[str]) -> Any:
    try:
        return TypeAdapter(model).validate_python(value)
    except ValidationError as error:
        problems.extend(_problems(error, prefix, redact=prefix[0] == "secrets"))
        return None


# The longest AWS name built from it, `showrunner-<stack>-imagebuilder-logs-<account id>`, must fit
# S3's 63 characters.
_STACK_NAME_MAX = 16
_STACK_NAME = re.compile(rf"^[a-z][a-z0-9-]{{0,{_STACK_NAME_MAX - 1}}}$")


def load_settings(values: dict[str, Any], *, project: str, stack: str) -> Settings:
    """Validate this project's config values as a whole; raise `ConfigError` with every problem."""
    problems: list[str] = []
    if not _STACK_NAME.match(stack):
        problems.append(
            f'stack "{stack}": stack names become part of AWS resource names (S3 bucket, RDS, ElastiCache, SQS); '
            f"use lower-case letters, digits and dashes, at most {_STACK_NAME_MAX} characters"
        )
    for key in sorted(set(values) - set(_SECTIONS)):
        problems.append(f"{path_of(key)}: is not a known key (expected one of: {', '.join(sorted(_SECTIONS))})")
    for key in _REQUIRED:
        if key not in values:
            problems.append(f"{path_of(key)}: is required")

    parsed: dict[str, Any] = {}
    for key, (model, is_map) in _SECTIONS.items():
        if key not in values:
            continue
        value = values[key]
        if is_map:
            if not isinstance(value, dict):
                problems.append(f"{path_of(key)}: expected a map of name → {model.__name__.lower()}, got {_describe(value)}")
                continue
            entries = {}
            for entry_name in value:
                if not _NAME.match(str(entry_name)):
                    problems.append(f"{path_of(key, entry_name)}: {_describe(entry_name)} is not a name (lower-case letters, digits and dashes, 2-32 long)")
                    continue
                entry = _parse(model, value[entry_name], (key, entry_name), problems)
                if entry is not None:
                    entries[entry_name] = entry
            parsed[key] = entries
        else:
            parsed[key] = _parse(model, value, (key,), problems)

    services: dict[str, Service] = parsed.get("services") or {}
    fleets: dict[str, Fleet] = parsed.get("fleets") or {}
    # None when the section itself is malformed: then "not set" would only repeat that problem.
    secrets: dict[str, dict[str, str]] | None = parsed.get("secrets", {})
    problems.extend(_cross_checks(services, fleets, secrets, values, stack))
    problems.extend(_state_checks(services, parsed.get("state"), "state" in values, stack))

    if problems:
        raise ConfigError(problems)
    return Settings(
        project=project,
        stack=stack,
        environment=stack,
        tags=parsed.get("tags") or {},
        services=services,
        fleets=fleets,
        images=parsed["images"],
        golden_ami=parsed.get("golden_ami") or GoldenAmi(),
        network=parsed.get("network") or Network(),
        load_balancer=parsed["load_balancer"],
        delivery=parsed.get("delivery"),
        state=parsed.get("state") or State(),
        secrets={svc: {k: SecretStr(v) for k, v in names.items()} for svc, names in (secrets or {}).items()},
    )


def _cross_checks(
    services: dict[str, Service],
    fleets: dict[str, Fleet],
    secrets: dict[str, dict[str, str]] | None,
    values: dict[str, Any],
    stack: str,
) -> list[str]:
    problems: list[str] = []
    fleet_names_given = isinstance(values.get("fleets"), dict)
    host_ports: dict[tuple[str, int], str] = {}
    priorities: dict[int, str] = {}
    raw_services = values.get("services") if isinstance(values.get("services"), dict) else {}
    # Checks across entries read the raw entries, so that a service with other problems still
    # gets these reported in the same run.
    for service_name, raw in raw_services.items():
        if not isinstance(raw, dict):
            continue
        fleet_name = raw.get("fleet")
        if fleet_names_given and isinstance(fleet_name, str) and fleet_name not in values["fleets"]:
            known = ", ".join(sorted(values["fleets"])) or "none"
            problems.append(
                f'{path_of("services", service_name, "fleet")}: fleet "{fleet_name}" is not defined in showrunner:fleets (defined: {known})'
            )
        ports = raw.get("ports") if isinstance(raw.get("ports"), list) else []
        for index, text in enumerate(ports):
            if not (isinstance(text, str) and _is_port(text)):
                continue  # reported by the schema
            host_port = int(text.split(":")[0])
            other = host_ports.setdefault((fleet_name, host_port), service_name)
            if other != service_name:
                problems.append(
                    f'{path_of("services", service_name, "ports", index)}: host port {host_port} on fleet "{fleet_name}" is already bound by service "{other}"'
                )
        priority = raw.get("route", {}).get("priority") if isinstance(raw.get("route"), dict) else None
        if isinstance(priority, int) and not isinstance(priority, bool):
            other = priorities.setdefault(priority, service_name)
            if other != service_name:
                problems.append(
                    f'{path_of("services", service_name, "route", "priority")}: priority {priority} is already used by service "{other}"; listener rule priorities must be unique'
                )
    for service_name, service in services.items():
        fleet = fleets.get(service.fleet)
        if service.type == "cron" and fleet is not None and fleet.max_size > 1:
            problems.append(
                f'{path_of("services", service_name, "fleet")}: cron service runs on every host of fleet "{service.fleet}" '
                f"(max_size {fleet.max_size}); run it on a fleet with max_size 1"
            )
        if service.type == "web" and service.route is not None and not service.ports:
            problems.append(f'{path_of("services", service_name, "ports")}: a routed web service needs a port for its target group')
        for index, secret in enumerate(service.secrets if secrets is not None else []):
            if secret not in secrets.get(service_name, {}):
                problems.append(
                    f'{path_of("services", service_name, "secrets", index)}: secret {secret} is not set in stack "{stack}"; '
                    f"run: pulumi config set --secret --path 'showrunner:secrets.{service_name}.{secret}' <value>"
                )
    for service_name, names in (secrets or {}).items():
        listed = raw_services.get(service_name, {}).get("secrets") if isinstance(raw_services.get(service_name), dict) else None
        for secret in names:
            if not isinstance(listed, list) or secret not in listed:
                problems.append(
                    f"{path_of('secrets', service_name, secret)}: is set but no service lists it in `secrets`; remove it or add it to showrunner:services.{service_name}.secrets"
                )
    used_fleets = {raw.get("fleet") for raw in raw_services.values() if isinstance(raw, dict)}
    for fleet_name in fleets:
        if fleet_name not in used_fleets:
            problems.append(f'{path_of("fleets", fleet_name)}: no service runs on this fleet; remove it or assign a service')
    return problems


# Environment names the program sets for a store (components/state.py); a service may not set them too.
STORE_ENV = {
    "mysql": ("DATABASE_HOST", "DATABASE_PORT", "DATABASE_NAME", "DATABASE_USER", "DATABASE_TLS", "DATABASE_PASSWORD"),
    "cache": ("CACHE_URL",),
    "queues": ("CELERY_BROKER_URL", "CELERY_PREDEFINED_QUEUES", "CELERY_DEFAULT_QUEUE"),
    "tables": ("AWS_REGION",),
}
PROD_STACKS = ("prod", "production")


def _state_checks(services: dict[str, Service], state: State | None, given: bool, stack: str) -> list[str]:
    problems: list[str] = []
    if state is None and given:
        return problems  # the section itself is malformed and already reported
    state = state or State()
    defined = state.defined()
    if state.queues is not None and state.queues.visibility_timeout_seconds <= state.queues.longest_task_seconds:
        problems.append(
            f"{path_of('state', 'queues', 'visibility_timeout_seconds')}: {state.queues.visibility_timeout_seconds} must be above "
            f"longest_task_seconds ({state.queues.longest_task_seconds}); Celery redelivers a task that outlives its visibility timeout"
        )
    if not state.protect and stack in PROD_STACKS:
        problems.append(f"{path_of('state', 'protect')}: stack \"{stack}\" keeps its data protected; only a non-prod stack may set protect: false")
    for service_name, service in services.items():
        for index, store in enumerate(service.uses):
            if store not in defined:
                problems.append(
                    f'{path_of("services", service_name, "uses", index)}: store "{store}" is not defined in showrunner:state '
                    f"(defined: {', '.join(defined) or 'none'})"
                )
        for store in service.uses:
            for env in STORE_ENV[store]:
                where = "secrets" if env in service.secrets else "env" if env in service.env else None
                if where:
                    problems.append(
                        f"{path_of('services', service_name, where)}: {env} is set by `uses: [{store}]`; remove it from `{where}`"
                    )
            if store == "tables":
                for env in service.env:
                    if env.startswith("DYNAMODB_TABLE_"):
                        problems.append(f"{path_of('services', service_name, 'env', env)}: DYNAMODB_TABLE_* names are set by `uses: [tables]`; remove it")
        if service.type == "worker" and "queues" in service.uses and state.queues is not None:
            unknown = [q for q in celery_queue_names(service.command) if q not in state.queues.names]
            if unknown:
                problems.append(
                    f"{path_of('services', service_name, 'command')}: consumes queue {', '.join(unknown)}, which "
                    f"showrunner:state.queues.names does not define ({', '.join(state.queues.names)}); "
                    "Celery would wait on a queue no one creates"
                )
    return problems


def celery_queue_names(command: str) -> list[str]:
    """The queues a `celery … worker` command consumes (`-Q a,b`, `--queues a,b`, `--queues=a,b`)."""
    words = command.split()
    names: list[str] = []
    for index, word in enumerate(words):
        if word in ("-Q", "--queues") and index + 1 < len(words):
            names += words[index + 1].split(",")
        elif word.startswith("--queues="):
            names += word.removeprefix("--queues=").split(",")
        elif word.startswith("-Q") and len(word) > 2:
            names += word[2:].split(",")
    return [n for n in names if n]
