"""Checks that span entries: fleets that exist, host ports, route priorities, secrets, stores.

They run after every entry was parsed on its own, so one run reports every problem.
"""

from __future__ import annotations

from typing import Any

from showrunner.config.messages import path_of
from showrunner.config.models import Fleet, Service, State
from showrunner.config.values import _is_port
from showrunner_components.state.contract import reserved_env

def cross_checks(
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


PROD_STACKS = ("prod", "production")


def state_checks(services: dict[str, Service], state: State | None, given: bool, stack: str) -> list[str]:
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
        problems.extend(_store_env_problems(service_name, service))
        if service.type == "worker" and "queues" in service.uses and state.queues is not None:
            unknown = [q for q in celery_queue_names(service.command) if q not in state.queues.names]
            if unknown:
                problems.append(
                    f"{path_of('services', service_name, 'command')}: consumes queue {', '.join(unknown)}, which "
                    f"showrunner:state.queues.names does not define ({', '.join(state.queues.names)}); "
                    "Celery would wait on a queue no one creates"
                )
    return problems


def _store_env_problems(service_name: str, service: Service) -> list[str]:
    """A name the service sets itself that one of its stores sets too (the store contract)."""
    problems = []
    named = [(("env", env), env) for env in service.env] + [(("secrets", i), env) for i, env in enumerate(service.secrets)]
    for (where, key), env in named:
        for store in service.uses:
            reserved, prefixes = reserved_env([store])
            if env in reserved or env.startswith(prefixes):
                what = env if env in reserved else f"{prefixes[0]}*"
                problems.append(f"{path_of('services', service_name, where, key)}: {what} is set by `uses: [{store}]`; remove it from `{where}`")
                break
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
