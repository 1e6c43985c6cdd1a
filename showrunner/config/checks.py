"""The rules that span entries, one `ensure_*` function each over the parsed stack (`Parsed`), run by `loading`."""

from __future__ import annotations

from collections.abc import Callable
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Annotated, Any, get_args

from pydantic import BaseModel, TypeAdapter, ValidationError

from showrunner.config import accounts
from showrunner.config import images as image_checks
from showrunner.config.messages import count, path_of
from showrunner.config.models import Alerts, Delivery, Fleet, GoldenAmi, Image, ImagePipeline, LoadBalancer, Logs, Network, Route, Service, State
from showrunner.config.models.settings import TAGS_MAX
from showrunner.config.values import host_port
from showrunner_components.fleet.iam import log_group_name
from showrunner_components.state.contract import reserved_env
from showrunner_components.state.names import queue_name, resource_name, table_name
from showrunner_components.tagging import PROGRAM_TAG_KEYS


@cache
def _adapter(model: type[BaseModel], name: str, item: bool) -> TypeAdapter:
    """The type of `model`'s field `name` (of one of its items when `item`), with its constraints."""
    field = model.model_fields[name]
    if item:
        return TypeAdapter(get_args(field.annotation)[0])
    return TypeAdapter(Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation)


def _field(model: type[BaseModel], name: str, raw: dict) -> Any:
    """`raw[name]` validated with `model`'s own field type; None when absent or invalid (the schema reports it)."""
    try:
        return _adapter(model, name, False).validate_python(raw[name], strict=True)
    except (KeyError, ValidationError):
        return None


def _items(model: type[BaseModel], name: str, raw: dict) -> tuple[tuple[int, Any], ...]:
    """(index, item) of each valid item of the list `raw[name]`, validated with the field's item type."""
    items = raw.get(name)
    valid = []
    for index, item in enumerate(items if isinstance(items, list) else []):
        try:
            valid.append((index, _adapter(model, name, True).validate_python(item, strict=True)))
        except ValidationError:
            pass
    return tuple(valid)


# The longest AWS name built from it, `showrunner-<stack>-imagebuilder-logs-<account id>`, must fit
# S3's 63 characters.
STACK_NAME_MAX = 16
STACK_NAME = re.compile(rf"^[a-z][a-z0-9-]{{0,{STACK_NAME_MAX - 1}}}$")


@dataclass(frozen=True)
class ServiceClaims:
    """What one service entry asks of the others: a fleet, host ports, a listener-rule priority, secrets, an image.

    Read field by field from the raw entry, each with the model's own type, so that a service with
    other problems still has these checked in the same run.
    """

    fleet: str | None
    host_ports: tuple[tuple[int, int], ...]
    """(index in `ports`, host port) of each well-formed port."""
    priority: int | None
    secrets: tuple[tuple[int, str], ...]
    """(index in `secrets`, name) of each well-formed name."""
    image: str | None = None
    """An image name or repository, when well-formed."""

    @classmethod
    def read(cls, raw: Any) -> ServiceClaims:
        raw = raw if isinstance(raw, dict) else {}
        route = raw.get("route") if isinstance(raw.get("route"), dict) else {}
        return cls(
            fleet=_field(Service, "fleet", raw),
            host_ports=tuple((index, host_port(text)) for index, text in _items(Service, "ports", raw)),
            priority=_field(Route, "priority", route),
            secrets=_items(Service, "secrets", raw),
            image=_field(Service, "image", raw),
        )


@dataclass(frozen=True)
class Parsed:
    """The stack as the checks see it: each section as parsed (None when malformed or missing and
    required, both already reported), the entries that parsed, and what every service entry claims."""

    stack: str
    services: dict[str, Service]
    fleets: dict[str, Fleet]
    claims: dict[str, ServiceClaims]
    """Every service entry with a valid name, parsed or not."""
    fleet_names: frozenset[str] | None
    """Every fleet entry given, parsed or not; None when `fleets` is not a map."""
    images: dict[str, Image] | None
    image_pipeline: ImagePipeline | None
    golden_ami: GoldenAmi | None
    network: Network | None
    load_balancer: LoadBalancer | None
    delivery: Delivery | None
    state: State | None
    tags: dict[str, str] | None
    secrets: dict[str, dict[str, str]] | None
    alerts: Alerts | None = None
    logs: Logs | None = None
    production: bool | None = False
    """`showrunner:production`; None when malformed (already reported)."""
    protect: bool | None = True
    """`state.protect` read on its own, so that it is checked even when the rest of `state` is broken."""
    region: str | None = None
    """`aws:region`; None when not set."""
    provider_tags: dict[str, str] = field(default_factory=dict)
    """The aws provider's `defaultTags.tags`: it adds them to every resource too."""
    secret_sections: frozenset[str] = frozenset()
    """Sections that hold a secret value (already refused); their values are never echoed."""
    image_names: frozenset[str] | None = None
    """Every image entry given, parsed or not; None when `images` is not a map."""
    project_dir: Path | None = None
    """The project's directory, for the checks of the folders the config names (`images/<context>/`);
    None: those checks are skipped."""


def ensure_services_run_on_defined_fleets(config: Parsed) -> list[str]:
    if config.fleet_names is None:
        return []  # the section itself is malformed and already reported
    known = ", ".join(sorted(config.fleet_names)) or "none"
    return [
        f'{path_of("services", name, "fleet")}: fleet "{claim.fleet}" is not defined in showrunner:fleets (defined: {known})'
        for name, claim in config.claims.items()
        if claim.fleet is not None and claim.fleet not in config.fleet_names
    ]


def ensure_host_ports_unique_per_fleet(config: Parsed) -> list[str]:
    problems = []
    bound: dict[tuple[str, int], str] = {}
    for name, claim in config.claims.items():
        for index, port in claim.host_ports if claim.fleet is not None else ():
            other = bound.setdefault((claim.fleet, port), name)
            if other != name:
                problems.append(
                    f'{path_of("services", name, "ports", index)}: host port {port} on fleet "{claim.fleet}" is already bound by service "{other}"'
                )
    return problems


def ensure_route_priorities_unique(config: Parsed) -> list[str]:
    problems = []
    used: dict[int, str] = {}
    for name, claim in config.claims.items():
        if claim.priority is None:
            continue
        other = used.setdefault(claim.priority, name)
        if other != name:
            problems.append(
                f'{path_of("services", name, "route", "priority")}: priority {claim.priority} is already used by service "{other}"; '
                "listener rule priorities must be unique"
            )
    return problems


def ensure_cron_services_on_single_host_fleets(config: Parsed) -> list[str]:
    problems = []
    for name, service in config.services.items():
        fleet = config.fleets.get(service.fleet)
        if service.type == "cron" and fleet is not None and fleet.max_size > 1:
            problems.append(
                f'{path_of("services", name, "fleet")}: cron service runs on every host of fleet "{service.fleet}" '
                f"(max_size {fleet.max_size}); run it on a fleet with max_size 1"
            )
    return problems


def ensure_routed_services_have_a_port(config: Parsed) -> list[str]:
    return [
        f'{path_of("services", name, "ports")}: a routed web service needs a port for its target group'
        for name, service in config.services.items()
        if service.type == "web" and service.route is not None and not service.ports
    ]


def ensure_secrets_set_and_listed(config: Parsed) -> list[str]:
    """Every secret a service lists is set in the stack, and every secret set is listed by its service."""
    if config.secrets is None:
        return []  # the section itself is malformed and already reported
    problems = []
    for name, claim in config.claims.items():
        for index, secret in claim.secrets:
            if secret not in config.secrets.get(name, {}):
                problems.append(
                    f'{path_of("services", name, "secrets", index)}: secret {secret} is not set in stack "{config.stack}"; '
                    f"run: pulumi config set --secret --path 'showrunner:secrets.{name}.{secret}' <value>"
                )
    for name, names in config.secrets.items():
        claim = config.claims.get(name)
        listed = {secret for _, secret in claim.secrets} if claim is not None else set()
        problems += [
            f"{path_of('secrets', name, secret)}: is set but no service lists it in `secrets`; "
            f"remove it (showrunner:secrets: {{{name}: null}} drops them all) or add it to showrunner:services.{name}.secrets"
            for secret in names
            if secret not in listed
        ]
    return problems


def ensure_every_fleet_runs_a_service(config: Parsed) -> list[str]:
    used = {claim.fleet for claim in config.claims.values()}
    return [
        f'{path_of("fleets", name)}: no service runs on this fleet; remove it (showrunner:fleets: {{{name}: null}}) or assign a service'
        for name in config.fleets
        if name not in used
    ]


def ensure_visibility_timeout_above_longest_task(config: Parsed) -> list[str]:
    queues = config.state.queues if config.state is not None else None
    if queues is None or queues.visibility_timeout_seconds > queues.longest_task_seconds:
        return []
    return [
        f"{path_of('state', 'queues', 'visibility_timeout_seconds')}: {queues.visibility_timeout_seconds} must be above "
        f"longest_task_seconds ({queues.longest_task_seconds}); Celery redelivers a task that outlives its visibility timeout"
    ]


def ensure_production_protected(config: Parsed) -> list[str]:
    """A stack that declares itself production keeps its stateful resources protected, whatever its name."""
    if config.production is not True or config.protect is not False:
        return []
    return [
        f"{path_of('state', 'protect')}: stack \"{config.stack}\" declares showrunner:production: true, so its data stays "
        "protected; remove protect: false (or declare showrunner:production: false if this stack is not production)"
    ]


def ensure_prod_load_balancer_kept(config: Parsed) -> list[str]:
    """A production stack keeps its load balancer's deletion protection and access logs."""
    balancer = config.load_balancer
    if balancer is None or config.production is not True:
        return []
    problems = []
    if not balancer.deletion_protection:
        problems.append(
            f"{path_of('load_balancer', 'deletion_protection')}: stack \"{config.stack}\" declares showrunner:production: true, "
            "so it keeps its load balancer's deletion protection; remove deletion_protection: false"
        )
    if not balancer.access_logs:
        problems.append(
            f"{path_of('load_balancer', 'access_logs')}: stack \"{config.stack}\" declares showrunner:production: true, "
            "so it keeps its access logs (who asked what, when an incident is investigated); remove access_logs: false"
        )
    return problems


def ensure_prod_alerts_reach_someone(config: Parsed) -> list[str]:
    """A production stack's alarms notify at least one subscriber."""
    if config.alerts is None or config.alerts.subscriptions or config.production is not True:
        return []
    return [
        f"{path_of('alerts', 'subscriptions')}: stack \"{config.stack}\" declares showrunner:production: true, and its alarms would reach no one; "
        'add at least one {protocol: email, endpoint: …} or {protocol: https, endpoint: …}'
    ]


def ensure_stores_defined(config: Parsed) -> list[str]:
    """Every store a service `uses` is one `showrunner:state` defines."""
    if config.state is None:
        return []  # the section itself is malformed and already reported
    defined = config.state.defined()
    return [
        f'{path_of("services", name, "uses", index)}: store "{store}" is not defined in showrunner:state '
        f"(defined: {', '.join(defined) or 'none'})"
        for name, service in config.services.items()
        for index, store in enumerate(service.uses)
        if store not in defined
    ]


def ensure_store_env_not_repeated(config: Parsed) -> list[str]:
    """No service sets itself a name that one of its stores sets (the store contract, `reserved_env`)."""
    problems = []
    for name, service in config.services.items():
        named = [("env", env, env) for env in service.env] + [("secrets", index, env) for index, env in enumerate(service.secrets)]
        for where, key, env in named:
            for store in service.uses:
                reserved, prefixes = reserved_env([store])
                if env in reserved or env.startswith(prefixes):
                    what = env if env in reserved else f"{prefixes[0]}*"
                    problems.append(f"{path_of('services', name, where, key)}: {what} is set by `uses: [{store}]`; remove it from `{where}`")
                    break
    return problems


def ensure_workers_consume_configured_queues(config: Parsed) -> list[str]:
    queues = config.state.queues if config.state is not None else None
    if queues is None:
        return []
    problems = []
    for name, service in config.services.items():
        if service.type != "worker" or "queues" not in service.uses:
            continue
        unknown = [q for q in celery_queue_names(service.command) if q not in queues.names]
        if unknown:
            problems.append(
                f"{path_of('services', name, 'command')}: consumes queue {', '.join(unknown)}, which "
                f"showrunner:state.queues.names does not define ({', '.join(queues.names)}); "
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


# --- what AWS refuses at deploy time ------------------------------------------------------------

TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256
_TAG_PUNCTUATION = set("_.:/=+-@ ")


_TAG_ASCII = re.compile(r"[A-Za-z0-9 _.:/=+\-@]*")


def _tag_text_ok(text: str) -> bool:
    """Letters, digits, spaces and `_ . : / = + - @`, as AWS allows in tag keys and values (`\\p{L}\\p{Z}\\p{N}`)."""
    if _TAG_ASCII.fullmatch(text):
        return True
    return all(ch in _TAG_PUNCTUATION or unicodedata.category(ch)[0] in "LNZ" for ch in text)


def ensure_tags_follow_aws_rules(config: Parsed) -> list[str]:
    """Configured tags: AWS's key and value rules, none the program sets itself, and at most 50 in all."""
    if config.tags is None:
        return []
    problems = []
    hidden = "tags" in config.secret_sections
    for key, value in config.tags.items():
        wrong = []
        if key.lower().startswith("aws:"):
            wrong.append("the aws: prefix is reserved for AWS's own tags; use another key")
        if not 1 <= len(key) <= TAG_KEY_MAX:
            wrong.append(f"a tag key is 1-{TAG_KEY_MAX} characters, not {len(key)}")
        if not _tag_text_ok(key):
            wrong.append("a tag key holds only letters, digits, spaces and _ . : / = + - @")
        if key in PROGRAM_TAG_KEYS:
            wrong.append(f"the program sets {key} itself on every resource it applies to; use another key")
        if not hidden:  # a secret value is refused as such: nothing about it is shown
            if len(value) > TAG_VALUE_MAX:
                wrong.append(f"a tag value is at most {TAG_VALUE_MAX} characters, not {len(value)}")
            if not _tag_text_ok(value):
                wrong.append(f'"{value}" holds characters AWS refuses in a tag value; use letters, digits, spaces and _ . : / = + - @')
        problems += [f"{path_of('tags', key)}: {why}" for why in wrong]
    keys = set(config.tags) | set(config.provider_tags) | set(PROGRAM_TAG_KEYS)
    if len(keys) > TAGS_MAX:
        mine = len(set(config.tags) | set(config.provider_tags))
        problems.append(
            f"{path_of('tags')}: {count(mine, 'tag')} (with aws:defaultTags) plus the {len(PROGRAM_TAG_KEYS)} the program adds "
            f"({', '.join(PROGRAM_TAG_KEYS)}) make {len(keys)}; AWS allows {TAGS_MAX} per resource, so keep at most "
            f"{TAGS_MAX - len(PROGRAM_TAG_KEYS)} of your own"
        )
    return problems


def ensure_certificate_in_stack_region(config: Parsed) -> list[str]:
    """An ALB's certificate is an ACM certificate of the ALB's own region."""
    if config.load_balancer is None or config.region is None:
        return []
    region = config.load_balancer.certificate_arn.split(":")[3]
    if region == config.region:
        return []
    return [
        f"{path_of('load_balancer', 'certificate_arn')}: the certificate is in {region}, but the stack deploys to "
        f"{config.region} (aws:region); an ALB takes only a certificate of its own region: request or import one there"
    ]


def _glob_covers(wide: str, narrow: str) -> bool:
    """Whether every text the ALB pattern `narrow` matches is matched by `wide` too (`*` any run, `?` one character)."""

    @cache
    def covers(i: int, j: int) -> bool:
        if i == len(wide):
            return j == len(narrow)
        if wide[i] == "*":
            return covers(i + 1, j) or (j < len(narrow) and covers(i, j + 1))
        if j == len(narrow) or narrow[j] == "*":
            return False
        return (wide[i] == "?" or wide[i] == narrow[j]) and covers(i + 1, j + 1)

    return covers(0, 0)


def _condition_covers(wide: list[str], narrow: list[str], fold: bool) -> bool:
    """A condition (paths, or hosts) that matches whatever another matches; an empty one matches everything."""
    if not wide:
        return True
    if not narrow:
        return False
    if fold:
        wide, narrow = [w.lower() for w in wide], [n.lower() for n in narrow]
    return all(any(_glob_covers(w, n) for w in wide) for n in narrow)


def ensure_every_route_can_match(config: Parsed) -> list[str]:
    """No listener rule is shadowed: one with a lower priority number that matches all it matches takes every request."""
    routed = sorted(((s.route.priority, name, s.route) for name, s in config.services.items() if s.route is not None), key=lambda r: r[0])
    problems = []
    for index, (priority, name, route) in enumerate(routed):
        for earlier_priority, earlier, first in routed[:index]:
            if _condition_covers(first.paths, route.paths, fold=False) and _condition_covers(first.hosts, route.hosts, fold=True):
                what = " and ".join(
                    part for part in (
                        f"paths {', '.join(first.paths)}" if first.paths else "",
                        f"hosts {', '.join(first.hosts)}" if first.hosts else "",
                    ) if part
                )
                problems.append(
                    f'{path_of("services", name, "route")}: can never receive a request: service "{earlier}" (priority '
                    f"{earlier_priority}, {what}) matches everything it matches first; give it a priority below "
                    f"{earlier_priority}, or narrower paths or hosts than {earlier}'s"
                )
                break
    return problems


# Listener rules per ALB, besides the default (Elastic Load Balancing quotas for ALBs: 100); each
# routed service is one rule and one target group.
RULES_MAX = 100


def ensure_listener_rules_within_alb_limits(config: Parsed) -> list[str]:
    routed = sorted(name for name, claim in config.claims.items() if claim.priority is not None)
    if len(routed) <= RULES_MAX:
        return []
    return [f"{path_of('services')}: {len(routed)} services are routed; an ALB listener takes at most {RULES_MAX} rules, one per routed service"]


@dataclass(frozen=True)
class DerivedName:
    """A name AWS gives a resource, built from config: what it is, its limit and where its limit is written."""

    resource: str
    limit: int
    source: str


# Pulumi names a resource given no explicit name `<logical name>-<7 hex digits>`: 8 characters more.
AUTONAME_SUFFIX = 8
LOAD_BALANCER_LOGICAL_NAME = "web"
"""`__main__.py`'s name for the load balancer component; its children are `web-alb`, `web-<service>`."""
TARGET_GROUP = DerivedName("target group", 32, "Elastic Load Balancing API, CreateTargetGroup: Name, at most 32 characters")
LOAD_BALANCER = DerivedName("load balancer", 32, "Elastic Load Balancing API, CreateLoadBalancer: Name, at most 32 characters")
ROLE = DerivedName("IAM role", 64, "IAM API, CreateRole: RoleName, at most 64 characters")
INSTANCE_PROFILE = DerivedName("instance profile", 128, "IAM API, CreateInstanceProfile: at most 128 characters")
LAUNCH_TEMPLATE = DerivedName("launch template", 128, "EC2 API, CreateLaunchTemplate: LaunchTemplateName, at most 128 characters")
LOG_GROUP = DerivedName("log group", 512, "CloudWatch Logs API, CreateLogGroup: logGroupName, at most 512 characters")
QUEUE = DerivedName("SQS queue", 80, "SQS API, CreateQueue: QueueName, at most 80 characters")
TABLE = DerivedName("DynamoDB table", 255, "DynamoDB API, CreateTable: TableName, 3-255 characters")
CACHE = DerivedName("ElastiCache replication group id", 40, "ElastiCache API, CreateReplicationGroup: ReplicationGroupId, at most 40 characters")
DB = DerivedName("RDS instance identifier", 63, "RDS API, CreateDBInstance: DBInstanceIdentifier, at most 63 characters")
PARAMETER = DerivedName(
    "SSM parameter ARN", 1011, "Systems Manager API, PutParameter: Name, at most 1011 characters including the parameter's full ARN"
)
# The longest an ARN's fixed parts are: `arn:aws-us-gov:ssm:<region>:<12-digit account>:parameter`.
_PARAMETER_ARN_PREFIX = len("arn:aws-us-gov:ssm::123456789012:parameter")
_LONGEST_REGION = len("ap-southeast-5")


def _derived_names(config: Parsed) -> list[tuple[str, DerivedName, str]]:
    """(config path, what it becomes, the name) for every AWS name the program builds from config."""
    stack = config.stack
    names: list[tuple[str, DerivedName, str]] = [
        (path_of("load_balancer"), LOAD_BALANCER, f"{LOAD_BALANCER_LOGICAL_NAME}-alb" + "x" * AUTONAME_SUFFIX),
    ]
    for name, claim in config.claims.items():
        if claim.priority is not None:
            names.append((path_of("services", name), TARGET_GROUP, f"{LOAD_BALANCER_LOGICAL_NAME}-{name}" + "x" * AUTONAME_SUFFIX))
    for name in sorted(config.fleet_names or ()):
        where = path_of("fleets", name)
        names += [
            (where, ROLE, f"{name}-role" + "x" * AUTONAME_SUFFIX),
            (where, INSTANCE_PROFILE, f"{name}-profile" + "x" * AUTONAME_SUFFIX),
            (where, LAUNCH_TEMPLATE, f"{name}-lt" + "x" * AUTONAME_SUFFIX),
            (where, LOG_GROUP, log_group_name(stack, name)),
        ]
    state = config.state
    if state is not None:
        for index, queue in enumerate(state.queues.names if state.queues else ()):
            names.append((path_of("state", "queues", "names", index), QUEUE, queue_name(stack, queue, dead_letter=True)))
        for table in state.tables:
            names.append((path_of("state", "tables", table), TABLE, table_name(stack, table)))
        if state.cache is not None:
            names.append((path_of("state", "cache"), CACHE, resource_name(stack, "cache")))
        if state.mysql is not None:
            names.append((path_of("state", "mysql"), DB, resource_name(stack, "mysql")))
    for service, secrets in (config.secrets or {}).items():
        for secret in secrets:
            arn = "x" * (_PARAMETER_ARN_PREFIX + _LONGEST_REGION) + f"/showrunner/{stack}/{service}/{secret}"
            names.append((path_of("secrets", service, secret), PARAMETER, arn))
    return names


def ensure_derived_names_fit(config: Parsed) -> list[str]:
    """Every AWS name built from a config name fits the limit of the resource it names."""
    problems = []
    for where, kind, name in _derived_names(config):
        if len(name) > kind.limit:
            over = len(name) - kind.limit
            problems.append(
                f"{where}: its name makes a {kind.resource} name of {len(name)} characters, over AWS's {kind.limit} "
                f"({kind.source}); shorten the name by {count(over, 'character')}"
            )
    return problems


# Systems Manager Parameter Store quotas: a Standard parameter's value is at most 4 KB.
SECRET_VALUE_MAX = 4096


def ensure_secret_values_fit_ssm(config: Parsed) -> list[str]:
    """A secret's value fits an SSM Standard parameter; the message never shows the value."""
    return [
        f"{path_of('secrets', service, name)}: its value is over SSM's {SECRET_VALUE_MAX} bytes for a parameter; "
        "store a smaller value (or a reference to where the large one lives)"
        for service, names in (config.secrets or {}).items()
        for name, value in names.items()
        if isinstance(value, str) and len(value.encode()) > SECRET_VALUE_MAX
    ]


def ensure_no_credentials_in_env(config: Parsed) -> list[str]:
    """A literal credential in `env` (an AWS key, a token, a password in a URL) is refused with its path, never echoed."""
    if "services" in config.secret_sections:
        return []  # the section holds a secret and is refused as such
    findings = _credential_findings()
    problems = []
    for name, service in config.services.items():
        for env, value in service.env.items():
            found = findings(f"{env}={value}")
            if found:
                what = "a literal secret" if found[0].startswith("a literal value") else found[0]
                problems.append(
                    f"{path_of('services', name, 'env', env)}: holds {what} in plain text; "
                    f"set it with pulumi config set --secret --path 'showrunner:secrets.{name}.{env}' <value> and list "
                    f"{env} in showrunner:services.{name}.secrets instead"
                )
    return problems


# --- user data, rendered as the fleet renders it -------------------------------------------------------

_ACCOUNT = "123456789012"
"""An account id's length; the ids, digests and hosts below are placeholders of the real ones' shape."""


def _hex(*parts: str, length: int) -> str:
    """Deterministic hex of `length` digits: placeholders compress like the ids they stand for."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def placeholder_endpoints(config: Parsed, region: str) -> dict:
    """Where the stores will be, shaped as AWS names them (`StateEndpoints`), before any exists."""
    state = config.state
    stack = config.stack
    endpoints: dict = {"region": region, "queues": {}, "tables": {}}
    if state is None:
        return endpoints
    if state.mysql is not None:
        uuid = _hex(stack, "mysql", length=32)
        endpoints.update(
            mysql_host=f"{resource_name(stack, 'mysql')}.c{_hex(stack, 'rds', length=12)}.{region}.rds.amazonaws.com",
            mysql_database=state.mysql.database_name,
            mysql_identifier=resource_name(stack, 'mysql'),
            mysql_username=state.mysql.username,
            mysql_app_username=state.mysql.app_username,
            mysql_app_user_arn=f"arn:aws:rds-db:{region}:{_ACCOUNT}:dbuser:db-{_hex(stack, 'rds-resource', length=26).upper()}/{state.mysql.app_username}",
            mysql_secret_arn=f"arn:aws:secretsmanager:{region}:{_ACCOUNT}:secret:rds!db-{uuid[:8]}-{uuid[8:12]}-{uuid[12:16]}-{uuid[16:20]}-{uuid[20:]}-{uuid[:6]}",
        )
    if state.cache is not None:
        endpoints["cache_host"] = f"master.{resource_name(stack, 'cache')}.{_hex(stack, 'cache', length=6)}.{region.replace('-', '')[:6]}.cache.amazonaws.com"
    for queue in state.queues.names if state.queues else ():
        name = queue_name(stack, queue)
        endpoints["queues"][queue] = {"url": f"https://sqs.{region}.amazonaws.com/{_ACCOUNT}/{name}", "arn": f"arn:aws:sqs:{region}:{_ACCOUNT}:{name}"}
    for table in state.tables:
        name = table_name(stack, table)
        endpoints["tables"][table] = {"name": name, "arn": f"arn:aws:dynamodb:{region}:{_ACCOUNT}:table/{name}"}
    return endpoints


def fleet_cloud_configs(config: Parsed) -> dict[str, str]:
    """Each fleet's `#cloud-config`, rendered now with the fleet's own renderers (`fleet.cloud_config`)
    from the service specs the program hands it (`wiring.fleet_service`), placeholders standing in
    for the ids, digests and endpoints that exist only after deploy."""
    from types import SimpleNamespace

    from showrunner import wiring
    from showrunner.config.values import is_external_image
    from showrunner_components.fleet import cloud_config, iam, units

    region = config.region or "us-east-1"
    endpoints = placeholder_endpoints(config, region)
    routed = [name for name, service in config.services.items() if service.route is not None]
    arns = {name: f"arn:aws:elasticloadbalancing:{region}:{_ACCOUNT}:targetgroup/web-{name}/{_hex(name, length=16)}" for name in routed}
    load_balancer = SimpleNamespace(target_groups={n: SimpleNamespace(arn=a, arn_suffix=a.split(":", 5)[5]) for n, a in arns.items()})
    defined = set(config.state.defined()) if config.state is not None else set()
    rendered = {}
    for fleet_name, fleet in sorted(config.fleets.items()):
        services = {name: service for name, service in sorted(config.services.items()) if service.fleet == fleet_name}
        if any(store not in defined for service in services.values() for store in service.uses):
            continue  # a store the stack does not define (already reported): its endpoints cannot be shaped
        specs = []
        for name, service in services.items():
            registry = f"{_ACCOUNT}.dkr.ecr.{region}.amazonaws.com/showrunner/{config.stack}/{service.image}"
            digests = {} if is_external_image(service.image) else {service.image: f"{registry}@sha256:{_hex(service.image, length=64)}"}
            image = wiring.service_image(service, digests)
            specs.append(wiring.fleet_service(name, service, image=image, endpoints=endpoints, load_balancer=load_balancer))
        rendered[fleet_name] = cloud_config.render_cloud_config(
            config.stack, region, [units.HostService.from_spec(spec) for spec in specs], fleet=fleet_name, min_free_mb=fleet.min_free_mb,
            start_deadline_s=fleet.start_deadline_s,
            logging=units.HostLogging(region=region, group_prefix=iam.log_group_name(config.stack, fleet_name)),
        )
    return rendered


def ensure_user_data_fits(config: Parsed) -> list[str]:
    """Each fleet's user data fits EC2's 16 KB gzipped: an oversized fleet is refused before any
    resource is registered, not while its launch template registers."""
    if not config.services or not config.fleets or not STACK_NAME.match(config.stack):
        return []  # nothing to render, or a stack name no AWS name can hold (already reported)
    from showrunner_components.fleet import cloud_config, units

    problems = []
    try:
        rendered = fleet_cloud_configs(config)
    except units.HostRenderError as error:
        return [f"{path_of('services')}: {error}"]
    for fleet_name, text in rendered.items():
        try:
            cloud_config.user_data_base64(text, fleet_name)
        except units.HostRenderError as error:
            problems.append(f"{path_of('fleets', fleet_name)}: {str(error).removeprefix(f'fleet {chr(34)}{fleet_name}{chr(34)}: ')}")
    return problems


@cache
def _credential_findings() -> Callable[[str], list[str]]:
    """The policy pack's own detector (`rules.secrets.secret_findings`): one definition of what a credential looks like."""
    from showrunner import policy

    return policy.rules().secrets.secret_findings


CHECKS: tuple[Callable[[Parsed], list[str]], ...] = (
    ensure_services_run_on_defined_fleets,
    ensure_host_ports_unique_per_fleet,
    ensure_route_priorities_unique,
    ensure_cron_services_on_single_host_fleets,
    ensure_routed_services_have_a_port,
    ensure_secrets_set_and_listed,
    ensure_every_fleet_runs_a_service,
    ensure_visibility_timeout_above_longest_task,
    ensure_production_protected,
    ensure_prod_load_balancer_kept,
    ensure_prod_alerts_reach_someone,
    ensure_stores_defined,
    ensure_store_env_not_repeated,
    ensure_workers_consume_configured_queues,
    ensure_tags_follow_aws_rules,
    ensure_certificate_in_stack_region,
    ensure_every_route_can_match,
    ensure_listener_rules_within_alb_limits,
    ensure_derived_names_fit,
    ensure_secret_values_fit_ssm,
    ensure_no_credentials_in_env,
    ensure_user_data_fits,
    *image_checks.CHECKS,
    accounts.ensure_one_oidc_provider_per_account,
)
"""Every cross-entry rule, in the order their problems are listed."""


def run_checks(config: Parsed) -> list[str]:
    return [problem for ensure in CHECKS for problem in ensure(config)]
