"""`load_settings`: this project's config values → `Settings`, or `ConfigError` with every problem at once.

Each section entry is validated on its own, so one broken service does not hide the problems of
the others; the rules across entries (`checks`) then run over what parsed and what every entry claims.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import SecretStr, TypeAdapter, ValidationError

from showrunner.config.checks import Parsed, ServiceClaims, run_checks
from showrunner.config.images import MOVED_KEYS, moved_key_problem
from showrunner.config.messages import ConfigError, describe, path_of, problems_of
from showrunner.config.models import SECTIONS, Section, Settings
from showrunner.config.values import Name

_BY_KEY = {section.key: section for section in SECTIONS}

# The longest AWS name built from it, `showrunner-<stack>-imagebuilder-logs-<account id>`, must fit
# S3's 63 characters.
_STACK_NAME_MAX = 16
_STACK_NAME = re.compile(rf"^[a-z][a-z0-9-]{{0,{_STACK_NAME_MAX - 1}}}$")


@cache
def _adapter(model: Any) -> TypeAdapter:
    return TypeAdapter(model)


def _validate(model: Any, value: Any, prefix: tuple, problems: list[str]) -> Any:
    try:
        return _adapter(model).validate_python(value)
    except ValidationError as error:
        problems.extend(problems_of(error, prefix, redact=prefix[0] == "secrets"))
        return None


def _section(section: Section, value: Any, problems: list[str]) -> Any:
    """One section parsed, entry by entry for a map of entries; None when it is malformed."""
    if section.entry is None:
        return _validate(section.model, value, (section.key,), problems)
    if not isinstance(value, dict):
        problems.append(f"{path_of(section.key)}: expected a map of name → {section.entry}, got {describe(value)}")
        return None
    entries = {}
    for name, entry in value.items():
        moved = moved_key_problem(name) if section.key == "images" else None
        if moved is not None:
            problems.append(moved)
        elif _validate(Name, str(name), (section.key, name), problems) is not None:
            parsed = _validate(section.model, entry, (section.key, name), problems)
            if parsed is not None:
                entries[name] = parsed
    return entries


def parse(values: dict[str, Any], stack: str, project_dir: Path | None = None) -> tuple[Parsed, list[str]]:
    """Every section parsed on its own: the view the cross-entry checks read, and the problems found so far.

    With `project_dir`, the checks also read the folders the config names (each image's `images/<context>/`)."""
    problems: list[str] = []
    if not _STACK_NAME.match(stack):
        problems.append(
            f'stack "{stack}": stack names become part of AWS resource names (S3 bucket, RDS, ElastiCache, SQS); '
            f"use lower-case letters, digits and dashes, at most {_STACK_NAME_MAX} characters"
        )
    for key in sorted(set(values) - set(_BY_KEY), key=str):
        problems.append(f"{path_of(key)}: is not a known key (expected one of: {', '.join(sorted(_BY_KEY))})")
    sections: dict[str, Any] = {}
    for section in SECTIONS:
        if section.key in values:
            sections[section.key] = _section(section, values[section.key], problems)
        elif section.absent is None:
            problems.append(f"{path_of(section.key)}: is required")
            sections[section.key] = None
        else:
            sections[section.key] = section.absent()
    raw_services = values.get("services") if isinstance(values.get("services"), dict) else {}
    raw_fleets = values.get("fleets")
    raw_images = values.get("images", {})
    config = Parsed(
        stack=stack,
        claims={name: ServiceClaims.read(raw) for name, raw in raw_services.items()},
        fleet_names=frozenset(map(str, raw_fleets)) if isinstance(raw_fleets, dict) else None,
        image_names=frozenset(map(str, raw_images)) - set(MOVED_KEYS) if isinstance(raw_images, dict) else None,
        project_dir=project_dir,
        **{**sections, "services": sections["services"] or {}, "fleets": sections["fleets"] or {}},
    )
    return config, problems


def load_settings(values: dict[str, Any], *, project: str, stack: str, project_dir: Path | None = None) -> Settings:
    """Validate this project's config values as a whole; raise `ConfigError` with every problem.

    With `project_dir`, each image's build context is checked too: its folder under `images/`, its
    Dockerfile, and the stages and build arguments its entry relies on.
    """
    config, problems = parse(values, stack, project_dir)
    problems += run_checks(config)
    if problems:
        raise ConfigError(problems)
    return Settings(
        project=project,
        stack=stack,
        tags=config.tags,
        services=config.services,
        fleets=config.fleets,
        images=config.images,
        image_pipeline=config.image_pipeline,
        golden_ami=config.golden_ami,
        network=config.network,
        load_balancer=config.load_balancer,
        delivery=config.delivery,
        state=config.state,
        secrets={service: {k: SecretStr(v) for k, v in names.items()} for service, names in config.secrets.items()},
    )
