"""`load_config` and `load_settings`: a stack's config → `Settings`, or `ConfigError` with every problem at once.

`load_config` reads the whole config map a program receives (`project:key` → text): it refuses
namespaces and provider keys nobody reads, and secrets placed where the program would read them
as plain text, then hands this project's values to `load_settings`. There each section entry is
validated on its own, so one broken service does not hide the problems of the others; the rules
across entries (`checks`) then run over what parsed and what every entry claims.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import SecretStr, TypeAdapter, ValidationError

from showrunner.config import stackfile
from showrunner.config.checks import STACK_NAME as _STACK_NAME
from showrunner.config.checks import STACK_NAME_MAX as _STACK_NAME_MAX
from showrunner.config.checks import Parsed, ServiceClaims, _field, run_checks
from showrunner.config.images import MOVED_KEYS, moved_key_problem
from showrunner.config.messages import ConfigError, describe, key_text, path_of, problems_of, suggestion
from showrunner.config.models import SECTIONS, Section, Settings, State
from showrunner.config.values import Name

SECRETS_KEY = "secrets"
"""The one section whose values may be secret (`secure:`); a secret anywhere else is refused."""
PROVIDERS = {"aws": "pulumi_aws", "docker": "pulumi_docker"}
"""The providers this program uses, whose config keys (`aws:region`) a stack may set: namespace → package."""
ENGINE_NAMESPACE = "pulumi"
"""The engine's own settings (`pulumi:disable-default-providers`)."""
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")

_BY_KEY = {section.key: section for section in SECTIONS}



@cache
def _adapter(model: Any) -> TypeAdapter:
    return TypeAdapter(model)


def _validate(model: Any, value: Any, prefix: tuple, problems: list[str], redact: bool) -> Any:
    try:
        return _adapter(model).validate_python(value)
    except ValidationError as error:
        problems.extend(problems_of(error, prefix, redact=redact, model=model))
        return None


def _section(section: Section, value: Any, problems: list[str], redact: bool) -> Any:
    """One section parsed, entry by entry for a map of entries; None when it is malformed."""
    if section.entry is None:
        return _validate(section.model, value, (section.key,), problems, redact)
    if not isinstance(value, dict):
        shown = "a value" if redact else describe(value)
        problems.append(f"{path_of(section.key)}: expected a map of name → {section.entry}, got {shown}")
        return None
    entries = {}
    for name, entry in value.items():
        moved = moved_key_problem(name) if section.key == "images" else None
        if moved is not None:
            problems.append(moved)
        elif _validate(Name, str(name), (section.key, name), problems, redact=False) is not None:
            parsed = _validate(section.model, entry, (section.key, name), problems, redact)
            if parsed is not None:
                entries[name] = parsed
    return entries


def _protect(raw_state: Any) -> bool | None:
    """`state.protect` read on its own, so that it is checked even when the rest of `state` is broken."""
    if not isinstance(raw_state, dict):
        return None if raw_state is not None else True
    return _field(State, "protect", raw_state) if "protect" in raw_state else True


def parse(
    values: dict[str, Any],
    stack: str,
    project_dir: Path | None = None,
    *,
    region: str | None = None,
    provider_tags: dict[str, str] | None = None,
    secret_sections: Iterable[str] = (),
) -> tuple[Parsed, list[str]]:
    """Every section parsed on its own: the view the cross-entry checks read, and the problems found so far.

    `region` is `aws:region`, `provider_tags` the aws provider's `defaultTags`; a section in
    `secret_sections` holds a secret, so no message about it shows a value. With `project_dir`, the
    checks also read the folders the config names (each image's `images/<context>/`).
    """
    secret_sections = frozenset(secret_sections)
    problems: list[str] = []
    if not _STACK_NAME.match(stack):
        problems.append(
            f'stack "{stack}": stack names become part of AWS resource names (S3 bucket, RDS, ElastiCache, SQS); '
            f"use lower-case letters, digits and dashes, at most {_STACK_NAME_MAX} characters"
        )
    for key in sorted(set(values) - set(_BY_KEY), key=str):
        problems.append(f"{path_of(key)}: is not a known key; {suggestion(str(key), _BY_KEY)}")
    sections: dict[str, Any] = {}
    for section in SECTIONS:
        if section.key in values:
            redact = section.key == SECRETS_KEY or section.key in secret_sections
            sections[section.key] = _section(section, values[section.key], problems, redact)
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
        protect=_protect(values.get("state")),
        region=region,
        provider_tags=provider_tags or {},
        secret_sections=secret_sections,
        image_names=frozenset(map(str, raw_images)) - set(MOVED_KEYS) if isinstance(raw_images, dict) else None,
        project_dir=project_dir,
        **{**sections, "services": sections["services"] or {}, "fleets": sections["fleets"] or {}},
    )
    return config, problems


def load_settings(
    values: dict[str, Any],
    *,
    project: str,
    stack: str,
    region: str | None = None,
    provider_tags: dict[str, str] | None = None,
    secret_sections: Iterable[str] = (),
    problems: Iterable[str] = (),
    project_dir: Path | None = None,
) -> Settings:
    """Validate this project's config values as a whole; raise `ConfigError` with every problem
    (`problems`, found before, come first).

    With `project_dir`, each image's build context is checked too: its folder under `images/`, its
    Dockerfile, and the stages and build arguments its entry relies on.
    """
    config, found = parse(
        values, stack, region=region, provider_tags=provider_tags, secret_sections=secret_sections, project_dir=project_dir
    )
    problems = [*problems, *found, *run_checks(config)]
    if problems:
        raise ConfigError(problems)
    return Settings(
        project=project,
        stack=stack,
        production=config.production,
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
        alerts=config.alerts,
        logs=config.logs,
        secrets={service: {k: SecretStr(v) for k, v in names.items()} for service, names in config.secrets.items()},
    )


@cache
def provider_keys(namespace: str) -> frozenset[str] | None:
    """The config keys the pinned provider package reads (`region`, `defaultTags`…); None if it is not installed.

    Read from the package's `config/vars.py` as text, so that validation does not import the provider.
    """
    spec = importlib.util.find_spec(PROVIDERS[namespace])
    if spec is None or spec.origin is None:
        return None
    source = Path(spec.origin).parent / "config" / "vars.py"
    if not source.is_file():
        return None
    return frozenset(re.findall(r"__config__\.get\w*\('(\w+)'", source.read_text()))


def namespace_problems(project: str, keys: Iterable[str]) -> list[str]:
    """A key in a namespace nobody reads (`showrunnr:state`), or a provider key the provider does not know."""
    problems = []
    known_namespaces = [project, *PROVIDERS, ENGINE_NAMESPACE]
    for key in sorted(keys):
        namespace, _, name = key.partition(":")
        if namespace in (project, ENGINE_NAMESPACE):
            continue
        if namespace in PROVIDERS:
            known = provider_keys(namespace)
            if known is not None and name not in known:
                problems.append(f"{key_text(key)}: is not a setting of the {namespace} provider; {suggestion(name, known, 'setting')}")
            continue
        close = suggestion(namespace, known_namespaces, shown=lambda right: f"{right}:{name}")
        problems.append(f'{key_text(key)}: the namespace {json.dumps(namespace, ensure_ascii=False)} is read by nothing in this program (it would be ignored); {close}')
    return problems


def secret_problems(project: str, secret_keys: Iterable[str], secure_leaves: Iterable[tuple[str, tuple]] | None) -> tuple[list[str], set[str]]:
    """A secret outside `showrunner:secrets`, each refused with its path; and the sections that hold one.

    `secure_leaves` are the (key, path) of each `secure:` value when the stack file was read
    (offline); under the Pulumi CLI only the keys are known, so the key is the path.
    """
    leaves: dict[str, list[tuple]] = {}
    for key, path in secure_leaves or ():
        leaves.setdefault(key, []).append(path)
    problems, sections = [], set()
    for key in sorted(set(secret_keys)):
        namespace, _, section = key.partition(":")
        if namespace != project or section == SECRETS_KEY:
            continue  # the secrets section, or a provider's own credentials (`aws:secretKey`)
        sections.add(section)
        for path in leaves.get(key) or [()]:
            problems.append(f"{path_of(section, *path)}: {_misplaced_secret(section, path)}")
    return problems, sections


def _misplaced_secret(section: str, path: tuple) -> str:
    where = "showrunner:secrets.<service>.<NAME>"
    if section == "services" and len(path) >= 3 and path[1] == "env":
        where = f"showrunner:secrets.{path[0]}.{path[2]}"
        listed = f", and list {path[2]} in showrunner:services.{path[0]}.secrets"
    else:
        listed = ", listed in its service's `secrets`"
    return (
        f"is a secret, but only showrunner:secrets holds secrets (here the program would read it as plain text); "
        f"set it with pulumi config set --secret --path '{where}' <value>{listed}"
    )


def load_config(
    project: stackfile.Project,
    config: dict[str, str],
    *,
    stack: str,
    secret_keys: Iterable[str] = (),
    secure_leaves: Iterable[tuple[str, tuple]] | None = None,
    problems: Iterable[str] = (),
    project_dir: Path | None = None,
) -> Settings:
    """The whole config map a program receives (`project:key` → text) → `Settings`, or `ConfigError`.

    `problems` found reading the files come first; then keys nobody reads, misplaced secrets and
    everything `load_settings` finds, all at once.
    """
    found = [*problems, *namespace_problems(project.name, config)]
    misplaced, secret_sections = secret_problems(project.name, secret_keys, secure_leaves)
    found += misplaced
    provider = stackfile.namespace_values(project, config, "aws")
    region = provider.get("region")
    if region is not None and not (isinstance(region, str) and _REGION.match(region)):
        found.append(f"aws:region: {describe(region)} is not an AWS region; write one like \"us-east-1\"")
        region = None
    default_tags = provider.get("defaultTags")
    tags = default_tags.get("tags") if isinstance(default_tags, dict) else None
    return load_settings(
        stackfile.namespace_values(project, config),
        project=project.name,
        stack=stack,
        region=region,
        provider_tags=tags if isinstance(tags, dict) else None,
        secret_sections=secret_sections,
        problems=found,
        project_dir=project_dir,
    )
