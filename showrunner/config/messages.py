"""How a problem reads: its path (`showrunner:services.django.ports[1]`) and every pydantic error in our words."""

from __future__ import annotations

import difflib
import types
from collections.abc import Callable
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core.core_schema import ErrorType

from showrunner.config.problems import ConfigError, count, key_text  # noqa: F401 (ConfigError: re-exported)

NAMESPACE = "showrunner"


def suggestion(
    unknown: str, known: list[str] | tuple[str, ...] | set[str], what: str = "key", shown: Callable[[str], str] = str
) -> str:
    """What would be right instead of an unknown name: the close one (as `shown` writes it), or every known one."""
    close = difflib.get_close_matches(unknown, sorted(known), n=1, cutoff=0.6)
    if close:
        return f'did you mean "{shown(close[0])}"?'
    return f"expected one of: {', '.join(sorted(known))}" if known else f"no {what} is expected here"


def path_of(*parts: str | int) -> str:
    text = NAMESPACE
    for i, part in enumerate(parts):
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += (":" if i == 0 else ".") + key_text(part)
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
        quote = ""
        if kind == "string_type" and isinstance(value, (bool, int, float)):
            quote = f" (YAML read it as {'true/false' if isinstance(value, bool) else 'a number'}; quote it)"
        return f"expected {_EXPECTED[kind]}, got {describe(value)}{quote}"
    if kind in ("literal_error", "enum"):
        return f"{describe(value)} is not one of {ctx['expected']}"
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        bound = ctx[key]
        return f"{describe(value)} must be {words} {int(bound) if isinstance(bound, float) and bound.is_integer() else bound}"
    if kind in ("too_short", "too_long"):
        noun = "item" if ctx.get("field_type") != "Dictionary" else "entry"
        limit = ctx["min_length"] if kind == "too_short" else ctx["max_length"]
        return f"must list {'at least' if kind == 'too_short' else 'at most'} {count(limit, noun)}, not {ctx['actual_length']}"
    if kind == "string_too_short":
        return "is empty" if ctx["min_length"] == 1 else f"must be at least {count(ctx['min_length'], 'character')} long"
    if kind == "string_too_long":
        return f"must be at most {count(ctx['max_length'], 'character')} long"
    if kind == "finite_number":
        return f"{describe(value)} must be a finite number"
    return f"{describe(value)} is not a valid value here"


def _inner(annotation: Any) -> Any:
    """`Annotated[X, …]` → X; `X | None` → X."""
    while True:
        if get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
        elif get_origin(annotation) in (Union, types.UnionType):
            rest = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(rest) != 1:
                return annotation
            annotation = rest[0]
        else:
            return annotation


def known_keys(model: Any, loc: list) -> list[str] | None:
    """The keys the model at `loc` (below `model`) accepts; None when that is not a model."""
    annotation = model
    for part in loc:
        annotation = _inner(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(part) if isinstance(part, str) else None
            if field is None:
                return None
            annotation = field.annotation
        elif get_origin(annotation) is list and isinstance(part, int):
            annotation = get_args(annotation)[0]
        elif get_origin(annotation) is dict:
            annotation = get_args(annotation)[1]
        else:
            return None
    annotation = _inner(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return None


_HIDDEN = "its value is not shown: this key holds a secret"


def problems_of(error: ValidationError, prefix: tuple, redact: bool, model: Any = None) -> list[str]:
    """Each error of `error` as one line, its path under `prefix`.

    With `redact` nothing derived from a value is shown (the key holds a secret). With `model`,
    an unknown key is told the close known one, or all of them.
    """
    lines = []
    for item in error.errors():
        loc = [part for part in item["loc"] if part != "[key]" and not (isinstance(part, str) and part.startswith(("function-", "json-or-python")))]
        kind = item["type"]
        message = _message(item)
        if kind == "extra_forbidden":
            known = known_keys(model, loc[:-1]) if model is not None else None
            if known is not None:
                message += "; " + suggestion(str(loc[-1]), known)
        elif redact and kind in _EXPECTED:
            message = f"expected {_EXPECTED[kind]}"
        elif redact and kind != "missing":
            message = f"is not valid here ({_HIDDEN})"
        lines.append(f"{path_of(*prefix, *loc)}: {message}")
    return lines
