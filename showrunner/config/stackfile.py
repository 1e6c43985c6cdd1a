"""Stack configuration as files and as the Pulumi CLI hands it to a program.

Pure functions only: read `Pulumi.yaml` and a stack file, merge them the way the CLI does (a
stack value replaces the project value of the same key), turn them into the `project:key` →
string map a program receives, and deep-merge each key over its project default the way Chef's
attribute precedence did (maps merge, lists and scalars replace, `null` removes).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SECRET_PLACEHOLDER = "[secret]"
"""The program's one secret marker: what a `secure:` value becomes offline, and how the mocks render secrets."""


class StackConfigError(Exception):
    """A project or stack file that cannot be read; the message is one line naming the file."""


@dataclass(frozen=True)
class Project:
    name: str
    directory: Path
    defaults: dict[str, Any]  # full key (`project:key`) → value

    def stack_file(self, stack: str) -> Path:
        return self.directory / f"Pulumi.{stack}.yaml"


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise StackConfigError(f"{path}: no such file") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "is not valid YAML"
        raise StackConfigError(f"{path}{where}: {problem}") from None


def qualify(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def load_project(directory: Path | str) -> Project:
    """Read `Pulumi.yaml`: its name and its project-level config defaults."""
    directory = Path(directory)
    path = directory / "Pulumi.yaml"
    document = _read_yaml(path)
    if not isinstance(document, dict) or not isinstance(document.get("name"), str):
        raise StackConfigError(f"{path}: a Pulumi project file needs a `name`")
    name = document["name"]
    defaults: dict[str, Any] = {}
    for key, declaration in (document.get("config") or {}).items():
        # Objects need the `value:` form in Pulumi.yaml; scalars may be given bare or as `default:`.
        if isinstance(declaration, dict) and "value" in declaration:
            value = declaration["value"]
        elif isinstance(declaration, dict) and "default" in declaration:
            value = declaration["default"]
        elif isinstance(declaration, dict):
            continue  # a type declaration without a default
        else:
            value = declaration
        defaults[qualify(name, key)] = value
    return Project(name=name, directory=directory, defaults=defaults)


def load_stack_file(path: Path | str, project: Project) -> dict[str, Any]:
    """Read a stack file's `config:` map, keys fully qualified; `secure:` leaves are kept as they are."""
    path = Path(path)
    document = _read_yaml(path) or {}
    if not isinstance(document, dict):
        raise StackConfigError(f"{path}: a stack file is a map with a `config:` key")
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise StackConfigError(f"{path}: `config` must be a map of key → value")
    return {qualify(project.name, key): value for key, value in config.items()}


def _is_secure(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secure"}


def redact_secure(value: Any) -> tuple[Any, bool]:
    """Replace every `secure:` leaf with the placeholder; report whether there was one."""
    if _is_secure(value):
        return SECRET_PLACEHOLDER, True
    if isinstance(value, dict):
        found = False
        out = {}
        for k, v in value.items():
            out[k], hit = redact_secure(v)
            found = found or hit
        return out, found
    if isinstance(value, list):
        items = [redact_secure(v) for v in value]
        return [v for v, _ in items], any(hit for _, hit in items)
    return value, False


def cli_config(project: Project, stack_values: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """The config map and secret keys the Pulumi CLI passes to a program.

    Stack values replace project values key by key; objects and lists travel as JSON strings;
    encrypted values cannot be decrypted offline, so they arrive as a placeholder and their keys
    are marked secret.
    """
    merged = {**project.defaults, **stack_values}
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key in sorted(merged):
        value, secret = redact_secure(merged[key])
        if secret:
            secret_keys.append(key)
        if isinstance(value, str):
            config[key] = value
        else:
            config[key] = json.dumps(value, sort_keys=True)
    return config, secret_keys


def deep_merge(base: Any, overlay: Any) -> Any:
    """Maps merge key by key, everything else replaces; a `null` in the overlay removes the key."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        merged = copy.deepcopy(base)
        for key, value in overlay.items():
            if value is None:
                merged.pop(key, None)
            elif key in merged:
                merged[key] = deep_merge(merged[key], value)
            else:
                merged[key] = copy.deepcopy(value)
        return merged
    return copy.deepcopy(overlay)


def decode(value: str) -> Any:
    """Config values arrive as strings; objects, lists, numbers and booleans as JSON."""
    try:
        return json.loads(value)
    except (json.JSONDecodeError, TypeError):
        return value


def namespace_values(project: Project, config: dict[str, str]) -> dict[str, Any]:
    """This project's keys, decoded and deep-merged over the project defaults, by short name."""
    prefix = f"{project.name}:"
    values: dict[str, Any] = {}
    for key, raw in config.items():
        if not key.startswith(prefix):
            continue
        value = decode(raw)
        default = project.defaults.get(key)
        values[key[len(prefix):]] = deep_merge(default, value) if default is not None else value
    return values
