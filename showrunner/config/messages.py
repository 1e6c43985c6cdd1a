"""How a problem reads: its path (`showrunner:services.django.ports[1]`) and pydantic's errors in our words."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

NAMESPACE = "showrunner"


class ConfigError(Exception):
    """Every problem found in a stack's configuration, one line each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def path_of(*parts: str | int) -> str:
    text = NAMESPACE
    for i, part in enumerate(parts):
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += (":" if i == 0 else ".") + str(part)
    return text


def describe(value: Any) -> str:
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
        return f"expected {_TYPE_WORDS[kind]}, got {describe(error['input'])}"
    if kind == "literal_error":
        return f"{describe(error['input'])} is not one of {error['ctx']['expected']}"
    if kind == "string_pattern_mismatch":
        return f"{describe(error['input'])} does not match {error['ctx']['pattern']}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"{describe(error['input'])} {error['msg'].replace('Input should be', 'must be')}"
    if kind in ("too_short", "too_long"):
        return error["msg"].replace("List should have", "must have").replace("Value should have", "must have")
    return error["msg"].removeprefix("Value error, ")


def problems_of(error: ValidationError, prefix: tuple, redact: bool) -> list[str]:
    lines = []
    for item in error.errors():
        loc = [part for part in item["loc"] if part != "[key]" and not (isinstance(part, str) and part.startswith(("function-", "json-or-python")))]
        message = _message(item)
        if redact and item["type"] in _TYPE_WORDS:
            message = f"expected {_TYPE_WORDS[item['type']]}"  # never echo a secret value
        lines.append(f"{path_of(*prefix, *loc)}: {message}")
    return lines

