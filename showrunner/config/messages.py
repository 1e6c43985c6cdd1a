"""How a problem reads: its path (`showrunner:services.django.ports[1]`) and every pydantic error in our words."""

from __future__ import annotations

from typing import Any, get_args

from pydantic import ValidationError
from pydantic_core.core_schema import ErrorType

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


_PYDANTIC = frozenset(get_args(ErrorType))
"""pydantic's own error kinds; any other kind is one of ours (`values._fail`), already in our words."""

_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a map",
    "mapping_type": "a map",
    "model_type": "a map",
    "model_attributes_type": "a map",
    "dataclass_type": "a map",
    "list_type": "a list",
    "tuple_type": "a list",
    "set_type": "a list",
    "none_required": "null",
}
"""Wrong-type errors: what the field expected."""

_BOUNDS = {
    "greater_than_equal": ("ge", "greater than or equal to"),
    "less_than_equal": ("le", "less than or equal to"),
    "greater_than": ("gt", "greater than"),
    "less_than": ("lt", "less than"),
    "multiple_of": ("multiple_of", "a multiple of"),
}


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _message(error: dict) -> str:
    """One pydantic error as the line after the path; never pydantic's or a regex's wording."""
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    if kind not in _PYDANTIC:
        return error["msg"]
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known key"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {describe(value)}"
    if kind in ("literal_error", "enum"):
        return f"{describe(value)} is not one of {ctx['expected']}"
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        bound = ctx[key]
        return f"{describe(value)} must be {words} {int(bound) if isinstance(bound, float) and bound.is_integer() else bound}"
    if kind in ("too_short", "too_long"):
        noun = "item" if ctx.get("field_type") != "Dictionary" else "entry"
        limit = ctx["min_length"] if kind == "too_short" else ctx["max_length"]
        return f"must list {'at least' if kind == 'too_short' else 'at most'} {_count(limit, noun)}, not {ctx['actual_length']}"
    if kind == "string_too_short":
        return "is empty" if ctx["min_length"] == 1 else f"must be at least {_count(ctx['min_length'], 'character')} long"
    if kind == "string_too_long":
        return f"must be at most {_count(ctx['max_length'], 'character')} long"
    if kind == "finite_number":
        return f"{describe(value)} must be a finite number"
    return f"{describe(value)} is not a valid value here"


def problems_of(error: ValidationError, prefix: tuple, redact: bool) -> list[str]:
    """Each error of `error` as one line, its path under `prefix`. With `redact`, no value is echoed."""
    lines = []
    for item in error.errors():
        loc = [part for part in item["loc"] if part != "[key]" and not (isinstance(part, str) and part.startswith(("function-", "json-or-python")))]
        message = _message(item)
        if redact and item["type"] in _EXPECTED:
            message = f"expected {_EXPECTED[item['type']]}"  # never echo a secret value
        lines.append(f"{path_of(*prefix, *loc)}: {message}")
    return lines
