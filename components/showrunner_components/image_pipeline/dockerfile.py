"""What a Dockerfile declares that a pipeline relies on: its named stages and its build arguments.

Read line by line from `FROM … AS <stage>` and `ARG <NAME>[=default]`; enough for a config check
("does this Dockerfile have a `test` stage?") without a Docker engine.
"""

from __future__ import annotations

import re
from pathlib import Path

_FROM = re.compile(r"^\s*FROM\s+(?:--\S+\s+)*\S+(?:\s+AS\s+(?P<stage>\S+))?\s*$", re.IGNORECASE)
_ARG = re.compile(r"^\s*ARG\s+(?P<name>[A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)


def _lines(text: str) -> list[str]:
    """Instructions with their continuation lines joined and comments dropped."""
    joined, current = [], ""
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        joined.append(current + line)
        current = ""
    if current:
        joined.append(current)
    return joined


def stages(text: str) -> list[str]:
    """The named stages, in order (Docker compares stage names case-insensitively: lower-cased)."""
    return [m.group("stage").lower() for m in map(_FROM.match, _lines(text)) if m and m.group("stage")]


def build_arguments(text: str) -> list[str]:
    """Every `ARG` the Dockerfile declares, before or inside a stage, in order, each once."""
    names: list[str] = []
    for match in map(_ARG.match, _lines(text)):
        if match and match.group("name") not in names:
            names.append(match.group("name"))
    return names


def read(path: Path | str) -> str:
    return Path(path).read_text(encoding="utf-8")
