"""The rules that span entries, one `ensure_*` function each over the parsed stack (`Parsed`), run by `loading`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any, get_args

from pydantic import BaseModel, TypeAdapter, ValidationError

from showrunner.config import accounts
from showrunner.config import images as image_checks
from showrunner.config.messages import path_of
from showrunner.config.models import Delivery, Fleet, GoldenAmi, Image, ImagePipeline, LoadBalancer, Network, Route, Service, State
from showrunner.config.values import host_port
from showrunner_components.state.contract import reserved_env

PROD_STACKS = ("prod", "production")


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
            f"remove it or add it to showrunner:services.{name}.secrets"
            for secret in names
            if secret not in listed
        ]
    return problems


def ensure_every_fleet_runs_a_service(config: Parsed) -> list[str]:
    used = {claim.fleet for claim in config.claims.values()}
    return [
        f'{path_of("fleets", name)}: no service runs on this fleet; remove it or assign a service'
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


def ensure_prod_stacks_protected(config: Parsed) -> list[str]:
    if config.state is None or config.state.protect or config.stack not in PROD_STACKS:
        return []
    return [f"{path_of('state', 'protect')}: stack \"{config.stack}\" keeps its data protected; only a non-prod stack may set protect: false"]


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


CHECKS: tuple[Callable[[Parsed], list[str]], ...] = (
    ensure_services_run_on_defined_fleets,
    ensure_host_ports_unique_per_fleet,
    ensure_route_priorities_unique,
    ensure_cron_services_on_single_host_fleets,
    ensure_routed_services_have_a_port,
    ensure_secrets_set_and_listed,
    ensure_every_fleet_runs_a_service,
    ensure_visibility_timeout_above_longest_task,
    ensure_prod_stacks_protected,
    ensure_stores_defined,
    ensure_store_env_not_repeated,
    ensure_workers_consume_configured_queues,
    *image_checks.CHECKS,
    accounts.ensure_one_oidc_provider_per_account,
)
"""Every cross-entry rule, in the order their problems are listed."""


def run_checks(config: Parsed) -> list[str]:
    return [problem for ensure in CHECKS for problem in ensure(config)]
