"""The README's configuration reference, rendered from the models' fields and docstrings (`showrunner config-reference`)."""

from __future__ import annotations

import functools
import re
import types
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import AfterValidator, BaseModel
from pydantic._internal._docs_extraction import extract_docstrings_from_cls
from pydantic.fields import FieldInfo

from showrunner.config.models import SECTIONS, Section

BEGIN = "<!-- config-reference: generated from showrunner/config/models by `showrunner config-reference`; edit the models, not this -->"
END = "<!-- /config-reference -->"
DEFAULT = "Default:"
"""A field's docstring says what it is, then `Default: <the default as behaviour>` unless it is required."""
REPLACES_HEADER = "2015 LWRP attribute"


@dataclass(frozen=True)
class Row:
    key: str
    type: str
    default: str
    meaning: str
    replaces: str | None


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _optional(annotation: Any) -> Any:
    """`X | None` → `X`."""
    if get_origin(annotation) in (Union, types.UnionType):
        rest = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return annotation


def nested(annotation: Any) -> tuple[type[BaseModel], str] | None:
    """The model under a field (`Route | None`, `dict[Name, Table]`) and how its keys are written below it."""
    annotation = _optional(annotation)
    if _is_model(annotation):
        return annotation, "."
    if get_origin(annotation) is dict and _is_model(get_args(annotation)[1]):
        return get_args(annotation)[1], ".<name>."
    return None


def _shape(check: Any) -> str:
    """What a value check accepts: the first line of its docstring, as a table cell."""
    text = check.__doc__.strip().splitlines()[0].rstrip(".") if check.__doc__ else check.__name__
    first = text.split(" ", 1)[0]
    return text[0].lower() + text[1:] if first[1:].islower() else text  # "Name (…)" → "name (…)"; "GitHub …" stays


def _bounds(metadata: list, sized: bool) -> str:
    found = {type(item).__name__: item for item in metadata if isinstance(item, annotated_types.BaseMetadata)}
    if sized:
        low, high = getattr(found.get("MinLen"), "min_length", None), getattr(found.get("MaxLen"), "max_length", None)
        if low is not None and high is not None:
            return f"{low}-{high} items"
        return f"at least {low}" if low is not None else (f"at most {high}" if high is not None else "")
    ge, le = getattr(found.get("Ge"), "ge", None), getattr(found.get("Le"), "le", None)
    if ge is not None and le is not None:
        return f"{ge}-{le}"
    words = [f"≥ {ge}" if ge is not None else "", f"> {found['Gt'].gt}" if "Gt" in found else "",
             f"< {found['Lt'].lt}" if "Lt" in found else "", f"≤ {le}" if le is not None else ""]
    return ", ".join(word for word in words if word)


def type_text(annotation: Any, metadata: list | None = None) -> str:
    """A field's type in the reference's words: value types by their shape, constraints as ranges."""
    metadata = list(metadata or [])
    annotation = _optional(annotation)
    if get_origin(annotation) is Annotated:
        return type_text(get_args(annotation)[0], [*get_args(annotation)[1:], *metadata])
    origin, args = get_origin(annotation), get_args(annotation)
    checks = [item.func for item in metadata if isinstance(item, AfterValidator)]
    if checks:
        text = _shape(checks[0])
    elif origin is Literal:
        quoted = [f"`{arg}`" for arg in args]
        text = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    elif origin is list:
        text = f"list of {type_text(args[0])}"
    elif origin is dict:
        value = "map (keys below)" if _is_model(args[1]) else type_text(args[1])
        text = f"map {type_text(args[0])} → {value}"
    elif _is_model(annotation):
        text = "map (keys below)"
    else:
        text = {bool: "bool", int: "int", float: "number", str: "string"}.get(annotation, getattr(annotation, "__name__", str(annotation)))
    if origin is str or annotation is str:
        bounds = "non-empty" if any(getattr(item, "min_length", 0) == 1 for item in metadata) else ""
    else:
        bounds = _bounds(metadata, sized=origin in (list, dict))
    return f"{text}, {bounds}" if bounds else text


@functools.cache
def _attribute_docstrings(cls: type) -> dict[str, str]:
    """The docstring under each annotated attribute of `cls`'s own body, as pydantic reads them.

    pydantic's own reader (what `use_attribute_docstrings` calls at class creation), asked to use
    `inspect` because the class already exists; the README reference test catches a pydantic
    upgrade that moves it.
    """
    return extract_docstrings_from_cls(cls, use_inspect=True)


def description(model: type[BaseModel], name: str) -> str | None:
    """A field's description: its `Field(description=...)`, else the docstring under it where it is declared.

    Read here, not by pydantic's `use_attribute_docstrings`, which parses every model's source
    each time the models are imported (a quarter of their import time, on every preview).
    """
    field = model.model_fields[name]
    if field.description:
        return field.description
    for cls in model.__mro__:
        if name in cls.__dict__.get("__annotations__", {}):
            return _attribute_docstrings(cls).get(name)
    return None


def split(description: str | None) -> tuple[str, str | None]:
    """A docstring as (what the field is, its default as behaviour or None)."""
    text = " ".join((description or "").split())
    meaning, found, default = text.partition(DEFAULT)
    return meaning.strip(), default.strip() if found else None


def literal(value: Any) -> list[str]:
    """How a plain default is written, piece by piece: what its `Default:` sentence must mention."""
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, float) and value.is_integer():
        return [str(int(value))]
    if isinstance(value, (list, tuple)):
        return [piece for item in value for piece in literal(item)]
    return [str(value)]


def _default_of(field: FieldInfo) -> Any:
    return field.get_default(call_default_factory=True)


def _is_plain(value: Any) -> bool:
    """A default a reader can check against the text: not none, not empty, not a model."""
    return value is not None and not isinstance(value, BaseModel) and value not in ({}, [], "")


def rows(model: type[BaseModel], prefix: str = "") -> list[Row]:
    """One row per field of `model`, then the rows of the model under it (`scaling.cpu_percent`)."""
    found = []
    for name, field in model.model_fields.items():
        meaning, default = split(description(model, name))
        if field.is_required():
            default = "required"
        elif default is None:
            value = _default_of(field)
            default = f"`{', '.join(literal(value))}`" if _is_plain(value) else "none"
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        found.append(Row(prefix + name, type_text(field.annotation, field.metadata), default.rstrip("."), meaning.rstrip("."), extra.get("replaces")))
        inner = nested(field.annotation)
        if inner is not None:
            found += rows(inner[0], prefix + name + inner[1])
    return found


def models() -> list[type[BaseModel]]:
    """Every model a stack file reaches, in reference order."""
    found: list[type[BaseModel]] = []

    def visit(model: type[BaseModel]) -> None:
        if model not in found:
            found.append(model)
            for field in model.model_fields.values():
                inner = nested(field.annotation)
                if inner is not None:
                    visit(inner[0])

    for section in SECTIONS:
        if _is_model(section.model):
            visit(section.model)
    return found


def gaps(among: list[type[BaseModel]] | None = None) -> list[str]:
    """Every field the reference cannot document truthfully: no docstring, no default stated, or another default."""
    problems = []
    for model in models() if among is None else among:
        for name, field in model.model_fields.items():
            where = f"{model.__module__}.{model.__name__}.{name}"
            text = description(model, name)
            meaning, default = split(text)
            if not text:
                problems.append(f"{where}: no docstring saying what it is and its default")
            elif not meaning:
                problems.append(f"{where}: its docstring says only the default, not what it is")
            elif field.is_required() and default is not None:
                problems.append(f"{where}: is required but its docstring states a default")
            elif not field.is_required() and default is None:
                problems.append(f"{where}: its docstring does not state its default (`{DEFAULT} …`)")
            elif not field.is_required() and _is_plain(_default_of(field)):
                missing = [piece for piece in literal(_default_of(field)) if piece not in default]
                if missing:
                    problems.append(f"{where}: its default is {', '.join(missing)}, which its docstring does not say")
            for item in field.metadata:
                if isinstance(item, AfterValidator) and not item.func.__doc__:
                    problems.append(f"{where}: its value check {item.func.__name__} has no docstring saying what it accepts")
    return problems


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _table(section_rows: list[Row]) -> list[str]:
    replaces = any(row.replaces for row in section_rows)
    header = ["key", "type", "default", "meaning"] + ([REPLACES_HEADER] if replaces else [])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in section_rows:
        cells = [f"`{row.key}`", row.type, row.default, row.meaning] + ([row.replaces or "—"] if replaces else [])
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return lines


def _section(section: Section) -> list[str]:
    required = " (required)" if section.absent is None else ""
    lines = [f"### `showrunner:{section.key}` — {section.title}{required}", "", section.doc]
    if _is_model(section.model):
        lines += ["", *_table(rows(section.model))]
    return lines


def stack_file_rules() -> str:
    """What every stack file must be, whatever it holds: the reader's limits and YAML rules."""
    from showrunner.config import yamlfile
    from showrunner.config.loading import PROVIDERS

    return (
        f"A stack file is UTF-8 (a byte-order mark is fine), at most {yamlfile.MAX_BYTES // 1024} KiB, nested at most "
        f"{yamlfile.MAX_DEPTH} levels and at most {yamlfile.MAX_VALUES:,} values once its aliases are expanded; anchors, "
        "aliases and `<<` merges work. It is read as the Pulumi CLI reads it, so a plain value YAML 1.1 would read "
        "otherwise is refused with a hint to quote it: a date (`2026-11-23`), a base-60 number (`8080:30`), `yes`/`no`/"
        "`on`/`off`; so are a key given twice, a key that is not text (`8000:`, `ON:`) and tags other than YAML's core "
        "ones. Keys outside `showrunner:` are refused unless they are the engine's (`pulumi:`) or a setting of the "
        f"{' or '.join(f'`{p}`' for p in PROVIDERS)} provider; an unknown key at any depth is refused with the close "
        "known one. Every problem is one line, `FILE:LINE: PATH: what is wrong; what would be right` or "
        "`PATH: …`, all of them at once, exit 2, and nothing is written."
    )


def render() -> str:
    """The reference, markers included."""
    lines = [BEGIN, "", stack_file_rules()]
    for section in SECTIONS:
        lines += ["", *_section(section)]
    return "\n".join([*lines, "", END])


def rewrite(text: str) -> str:
    """`text` (the README) with the part between the markers rendered anew."""
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"no configuration reference to rewrite: the markers {BEGIN!r} … {END!r} are missing")
    return pattern.sub(lambda _: render(), text, count=1)
