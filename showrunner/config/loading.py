"""Loading: this project's config values → `Settings`, or `ConfigError` with every problem at once.

Each section entry is validated on its own, so one broken service does not hide the problems of
the others; the checks across entries (`checks`) then run over everything that parsed.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import SecretStr, TypeAdapter, ValidationError

from showrunner.config.checks import cross_checks, state_checks
from showrunner.config.messages import ConfigError, describe, path_of, problems_of
from showrunner.config.models import (
    Delivery,
    Fleet,
    GoldenAmi,
    Images,
    LoadBalancer,
    Network,
    Service,
    Settings,
    State,
)
from showrunner.config.values import _NAME

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


def _parse(model: Any, value: Any, prefix: tuple, problems: list[str]) -> Any:
    try:
        return TypeAdapter(model).validate_python(value)
    except ValidationError as error:
        problems.extend(problems_of(error, prefix, redact=prefix[0] == "secrets"))
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
                problems.append(f"{path_of(key)}: expected a map of name → {model.__name__.lower()}, got {describe(value)}")
                continue
            entries = {}
            for entry_name in value:
                if not _NAME.match(str(entry_name)):
                    problems.append(f"{path_of(key, entry_name)}: {describe(entry_name)} is not a name (lower-case letters, digits and dashes, 2-32 long)")
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
    problems.extend(cross_checks(services, fleets, secrets, values, stack))
    problems.extend(state_checks(services, parsed.get("state"), "state" in values, stack))

    if problems:
        raise ConfigError(problems)
    return Settings(
        project=project,
        stack=stack,
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
