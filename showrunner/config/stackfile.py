"""Stack configuration as files and as the Pulumi CLI hands it to a program.

Pure functions only: read `Pulumi.yaml` and a stack file, merge them the way the CLI does (a
stack value replaces the project value of the same key), turn them into the `project:key` →
string map a program receives, and deep-merge each key over its project default the way Chef's
attribute precedence did (maps merge, lists and scalars replace, `null` removes).
"""

from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from showrunner.config import yamlfile
from showrunner.config.problems import key_text, one_line

SECRET_PLACEHOLDER = "[secret]"
"""The program's one secret marker: what a `secure:` value becomes offline, and how the mocks render secrets."""


class StackConfigError(Exception):
    """A project or stack file that cannot be read; the message is one line naming the file."""


@dataclass(frozen=True)
class Project:
    name: str
    directory: Path
    defaults: dict[str, Any]  # full key (`project:key`) → value
    problems: tuple[str, ...] = ()
    """What `Pulumi.yaml`'s YAML would read differently from what was meant, one line each."""

    def stack_file(self, stack: str) -> Path:
        return self.directory / f"Pulumi.{stack}.yaml"


@dataclass(frozen=True)
class StackFile:
    values: dict[str, Any]
    """Full key (`project:key`) → value; `secure:` leaves as they are."""
    problems: tuple[str, ...] = ()
    """What its YAML would read differently from what was meant, one line each (`FILE:LINE: PATH: …`)."""


def _where(path: tuple, config: bool, project: str | None) -> str:
    """A document path as a config path: `showrunner:fleets.www.min_size` under `config:`, `runtime.name` elsewhere."""
    parts = list(path)
    if config and parts[:1] == ["config"] and len(parts) > 1:
        parts = [qualify(project, str(parts[1])) if project else str(parts[1]), *parts[2:]]
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{key_text(part)}" if text else str(part))
    return text


@functools.lru_cache(maxsize=8)
def _read_once(path: Path, size: int, modified: int) -> tuple[Any, list]:
    """A file read once per version: the CLI refuses an unreadable file before it imports the engine,
    which then reads it again."""
    return yamlfile.read_file(path)


def _read_yaml(path: Path, project: str | None = None) -> tuple[Any, tuple[str, ...]]:
    """The document and its problems (each `FILE:LINE: PATH: what; what would be right`); unreadable: `StackConfigError`."""
    try:
        stat = path.stat()
        document, problems = _read_once(path, stat.st_size, stat.st_mtime_ns)
        document = copy.deepcopy(document)
    except FileNotFoundError:
        raise StackConfigError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise StackConfigError(f"{path}: is a directory, not a stack file") from None
    except yamlfile.YamlFileError as error:
        raise StackConfigError(one_line(f"{path}{'' if error.line is None else f':{error.line}'}: {error.message}")) from None
    lines = []
    for problem in sorted(problems, key=lambda p: p.line):
        where = _where(problem.path, config=True, project=project)
        lines.append(one_line(f"{path}:{problem.line}: {where + ': ' if where else ''}{problem.message}"))
    return document, tuple(lines)


def qualify(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def load_project(directory: Path | str) -> Project:
    """Read `Pulumi.yaml`: its name and its project-level config defaults."""
    directory = Path(directory)
    path = directory / "Pulumi.yaml"
    document, problems = _read_yaml(path)
    if not isinstance(document, dict) or not isinstance(document.get("name"), str):
        raise StackConfigError(f"{path}: a Pulumi project file needs a `name`")
    name = document["name"]
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise StackConfigError(f"{path}: `config` must be a map of key → declaration")
    defaults: dict[str, Any] = {}
    for key, declaration in config.items():
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
    return Project(name=name, directory=directory, defaults=defaults, problems=problems)


def load_stack_file(path: Path | str, project: Project) -> StackFile:
    """Read a stack file's `config:` map, keys fully qualified; `secure:` leaves are kept as they are."""
    path = Path(path)
    document, problems = _read_yaml(path, project.name)
    document = document or {}
    if not isinstance(document, dict):
        raise StackConfigError(f"{path}: a stack file is a map with a `config:` key, not {'a list' if isinstance(document, list) else 'a single value'}")
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise StackConfigError(f"{path}: `config` must be a map of key → value")
    return StackFile({qualify(project.name, key): value for key, value in config.items()}, problems)


def _is_secure(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secure"}


def secure_paths(values: dict[str, Any]) -> list[tuple[str, tuple]]:
    """(full key, path below it) of every `secure:` leaf."""
    found: list[tuple[str, tuple]] = []
    pending: list[tuple[str, tuple, Any]] = [(key, (), value) for key, value in values.items()]
    while pending:
        key, path, value = pending.pop()
        if _is_secure(value):
            found.append((key, path))
        elif isinstance(value, dict):
            pending += [(key, (*path, k), v) for k, v in value.items()]
        elif isinstance(value, list):
            pending += [(key, (*path, i), v) for i, v in enumerate(value)]
    return sorted(found, key=str)


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


def without_nulls(value: Any) -> Any:
    """A copy of `value` whose maps, at every depth, leave out the keys set to `null`."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def deep_merge(base: Any, overlay: Any) -> Any:
    """Maps merge key by key, everything else replaces; a `null` in the overlay removes the key, at any depth."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        merged = copy.deepcopy(base)
        for key, value in overlay.items():
            if value is None:
                merged.pop(key, None)
            elif key in merged:
                merged[key] = deep_merge(merged[key], value)
            else:
                merged[key] = without_nulls(value)
        return merged
    return without_nulls(overlay)


def decode(value: str) -> Any:
    """Config values arrive as strings; objects, lists, numbers and booleans as JSON."""
    try:
        return json.loads(value)
    except (json.JSONDecodeError, TypeError):
        return value


def namespace_values(project: Project, config: dict[str, str], namespace: str | None = None) -> dict[str, Any]:
    """One namespace's keys (this project's by default), decoded and deep-merged over the project
    defaults, by short name. A key set to `null` is left out, as if it were not given."""
    prefix = f"{namespace or project.name}:"
    values: dict[str, Any] = {}
    for key, raw in config.items():
        if not key.startswith(prefix):
            continue
        value = decode(raw)
        default = project.defaults.get(key)
        merged = deep_merge(default, value)  # no default, or a `null` value: the value with its nulls left out
        if merged is not None:
            values[key[len(prefix):]] = merged
    return values
