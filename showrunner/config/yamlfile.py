"""Read a YAML file the way the Pulumi CLI would, and refuse what YAML would read differently or not at all.

The Pulumi CLI reads stack files with a YAML 1.2 reader; PyYAML reads YAML 1.1. Where the two
disagree (`2026-11-23` a date, `8080:30` the base-60 integer 484830, `on` and `yes` booleans) a file
would preview one way offline and deploy another, so such a plain scalar is refused with a hint to
quote it. So are duplicate keys (YAML keeps the last one silently), keys that are not text, tags
other than the core ones, and files that are too big, too deep, not UTF-8, or that expand through
aliases into more values than any stack file needs.

The document is built from the parser's events with an explicit stack, never by recursion, so no
input can exhaust Python's stack; the size limit is checked before anything is read, and the
depth and value limits while reading, so a hostile file is refused in the time it takes to read
its first few kilobytes past a limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

MAX_BYTES = 256 * 1024
"""A stack file's size at most: ~80 times prod's, ~10 times a 50-service stack's."""
MAX_DEPTH = 32
"""Nesting at most (maps and lists); prod's deepest value is 6 levels down."""
MAX_VALUES = 100_000
"""Values at most once every alias is expanded (the program merges and serialises the expansion)."""
MAX_PROBLEMS = 100
"""Problems kept per file; past them a file is hostile or generated, and one more line counts the rest."""

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_SCALAR_TAGS = {
    _STR: "text",
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "true or false",
    "tag:yaml.org,2002:null": "null",
}
_TRUE_FALSE = ("true", "false")
_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
_UTF8_BOM = b"\xef\xbb\xbf"


class YamlFileError(Exception):
    """The file cannot be read at all: the line (None: the whole file) and one line saying why and what would be right."""

    def __init__(self, line: int | None, message: str):
        self.line = line
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Problem:
    """Something YAML would read differently from what was meant: where, and what to write instead."""

    line: int
    path: tuple[str | int, ...]
    """Keys and indexes from the document's root to the value."""
    message: str


def _tag(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


def _quote_hint(text: str) -> str:
    return f'quote it ("{text}") if it is text'


def _ambiguity(tag: str, text: str) -> str | None:
    """Why a plain scalar means something else to the Pulumi CLI's YAML 1.2 reader, or None."""
    if tag == "tag:yaml.org,2002:timestamp":
        return f"{text} is a date to YAML, not text; {_quote_hint(text)}"
    if tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float") and ":" in text:
        return f"{text} is a base-60 number to YAML 1.1 (a HOST:CONTAINER port must be text); {_quote_hint(text)}"
    if tag == "tag:yaml.org,2002:bool" and text.lower() not in _TRUE_FALSE:
        return f"{text} is a boolean to YAML 1.1 and text to the Pulumi CLI; write true or false, or {_quote_hint(text)}"
    return None


@dataclass
class _Open:
    """A map or list being read."""

    value: Any
    path: tuple[str | int, ...]
    anchor: str | None
    line: int
    key: Any = None
    """In a map: the key read, waiting for its value (`_NO_KEY` when none)."""
    key_line: int = 0
    key_ok: bool = True
    lines: dict = field(default_factory=dict)
    """In a map: the line each key was first given on."""
    merges: list = field(default_factory=list)
    merging: bool = False
    size: int = 1


_NO_KEY = object()


class _Reader:
    def __init__(self, text: str):
        self.text = text
        self.resolver = Resolver()
        self.constructor = SafeConstructor()
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.open_anchors: set[str] = set()
        self.problems: list[Problem] = []
        self.problem_count = 0
        """Every problem found, kept or not."""
        self.resolved: dict[str, str] = {}
        """Plain scalar → its YAML tag, for values that repeat."""
        self.values = 0
        self.raw = ""
        """How the last scalar was written (for a key's hint)."""

    @staticmethod
    def fatal(line: int, message: str) -> YamlFileError:
        return YamlFileError(line, message)

    def report(self, line: int, where: _Open | tuple | None, message: str) -> None:
        """Keep a problem (the first `MAX_PROBLEMS`; the rest are counted). `where`: a path, or the open
        collection the value belongs to (its path is worked out only now, for the few values that need one)."""
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            path = where if isinstance(where, tuple) else self.child_path(where)
            self.problems.append(Problem(line, path, message))

    def scalar(self, event: yaml.ScalarEvent, parent: _Open | None) -> Any:
        value = event.value
        if event.tag in (None, "!"):
            if event.style not in (None, ""):
                return value  # quoted or a block: text
            tag = self.resolved.get(value)
            if tag is None:
                tag = self.resolved[value] = self.resolver.resolve(yaml.ScalarNode, value, (True, False))
            if tag == _STR:
                return value
        elif event.tag not in _SCALAR_TAGS:
            self.report(event.start_mark.line + 1, parent, f"the tag {_tag(event.tag)} is not supported; a value is text, a number, true/false or null")
            return value
        else:
            tag = event.tag
        why = _ambiguity(tag, value)
        if why is None and tag == _MERGE:
            return _MergeKey
        if why is None and tag not in _SCALAR_TAGS:
            why = f"{value} is not a value a stack file holds; {_quote_hint(value)}"
        if why is not None:
            self.report(event.start_mark.line + 1, parent, why)
            return value
        if tag == _STR:
            return value
        try:
            return self.constructor.yaml_constructors[tag](self.constructor, yaml.ScalarNode(tag, value))
        except (yaml.YAMLError, ValueError):
            self.report(event.start_mark.line + 1, parent, f"{value} is not {_SCALAR_TAGS[tag]}; {_quote_hint(value)}")
            return value

    def read(self) -> Any:
        stack: list[_Open] = []
        root: list[Any] = []
        documents = 0
        parser = _Loader(self.text)
        try:
            while True:
                event = parser.get_event()
                if event is None or isinstance(event, yaml.StreamEndEvent):
                    break
                if isinstance(event, yaml.DocumentStartEvent):
                    documents += 1
                    if documents > 1:
                        raise self.fatal(event.start_mark.line + 1, "holds more than one YAML document (a second ---); a stack file is one map")
                    continue
                if isinstance(event, (yaml.StreamStartEvent, yaml.DocumentEndEvent)):
                    continue
                parent = stack[-1] if stack else None
                line = event.start_mark.line + 1
                if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                    done = stack.pop()
                    if isinstance(done.value, dict):
                        for merged in done.merges:
                            for key, value in merged.items():
                                done.value.setdefault(key, value)
                    if done.anchor is not None:
                        self.open_anchors.discard(done.anchor)
                        self.anchors[done.anchor] = (done.value, done.size)
                    self.place(stack, root, done.value, done.size, line, counted=True)
                    continue
                if isinstance(event, yaml.AliasEvent):
                    if event.anchor in self.open_anchors:
                        raise self.fatal(line, f"the alias *{event.anchor} refers to the value that contains it; a stack file cannot be recursive")
                    if event.anchor not in self.anchors:
                        raise self.fatal(line, f"the alias *{event.anchor} has no anchor &{event.anchor} before it")
                    value, size = self.anchors[event.anchor]
                    self.raw = f"*{event.anchor}"
                    self.place(stack, root, value, size, line)
                    continue
                anchor = getattr(event, "anchor", None)
                if isinstance(event, yaml.ScalarEvent):
                    value = self.scalar(event, parent)
                    self.raw = event.value
                    if anchor is not None:
                        self.anchors[anchor] = (value, 1)
                    self.place(stack, root, value, 1, line)
                    continue
                is_map = isinstance(event, yaml.MappingStartEvent)
                if event.tag not in (None, "!", _MAP if is_map else _SEQ):
                    self.report(line, parent, f"the tag {_tag(event.tag)} is not supported; use a plain map or list")
                if len(stack) >= MAX_DEPTH:
                    raise self.fatal(line, f"nests deeper than {MAX_DEPTH} levels; a stack file needs no more than a few")
                if anchor is not None:
                    self.open_anchors.add(anchor)
                self.count(1, line)
                stack.append(_Open({} if is_map else [], self.child_path(parent), anchor, line, key=_NO_KEY))
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            problem = getattr(error, "problem", None) or "is not valid YAML"
            raise self.fatal(mark.line + 1 if mark is not None else 1, f"is not valid YAML: {problem}") from None
        finally:
            dispose = getattr(parser, "dispose", None)
            if dispose is not None:
                dispose()
        return root[0] if root else None

    @staticmethod
    def child_path(parent: _Open | None) -> tuple:
        if parent is None:
            return ()
        if isinstance(parent.value, list):
            return (*parent.path, len(parent.value))
        if parent.key is _NO_KEY:
            return parent.path  # the key itself is being read
        return (*parent.path, parent.key if isinstance(parent.key, str) else str(parent.key))

    def count(self, size: int, line: int) -> None:
        self.values += size
        if self.values > MAX_VALUES:
            raise self.fatal(line, f"expands to more than {MAX_VALUES:,} values (through aliases); a stack file needs far fewer")

    def place(self, stack: list[_Open], root: list, value: Any, size: int, line: int, counted: bool = False) -> None:
        """Put a finished value where it belongs: the root, the next item of a list, a map's key or its value."""
        if not counted:
            self.count(size, line)
        if not stack:
            root.append(value)
            return
        parent = stack[-1]
        parent.size += size
        if isinstance(parent.value, list):
            parent.value.append(value)
            return
        if parent.key is _NO_KEY:
            self.take_key(parent, value, line)
            return
        key, parent.key = parent.key, _NO_KEY
        if key is _MergeKey:
            merged = value if isinstance(value, list) else [value]
            if not all(isinstance(item, dict) for item in merged):
                self.report(line, parent.path, "<< merges a map (or a list of maps) into this one; give it an alias to a map")
            else:
                parent.merges.extend(merged)  # the first map listed wins, and keys given here win over all
            return
        if not parent.key_ok:
            return  # a key that is not text, already reported; the entry is left out
        if key in parent.lines:
            self.report(parent.key_line, (*parent.path, key), f"is given twice (lines {parent.lines[key]} and {parent.key_line}); YAML keeps only the last, so keep one")
        else:
            parent.lines[key] = parent.key_line
        parent.value[key] = value

    def take_key(self, parent: _Open, key: Any, line: int) -> None:
        parent.key, parent.key_line, parent.key_ok = key, line, True
        if key is _MergeKey or isinstance(key, str):
            return
        parent.key_ok = False
        if isinstance(key, bool) or key is None or isinstance(key, (int, float)):
            text = self.raw
            kind = "true/false" if isinstance(key, bool) else ("null" if key is None else "a number")
            message = f"the key {text} is {kind} to YAML; keys are text: quote it (\"{text}\")"
        else:
            message = "a key is a map or a list; keys are text"
        self.report(line, parent.path, message)



class _MergeKeyType:
    def __repr__(self) -> str:
        return "<<"


_MergeKey = _MergeKeyType()


def decode(data: bytes) -> str:
    """The file's text: UTF-8, with or without a byte-order mark; anything else raises `YamlFileError`."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            raise YamlFileError(None, f"is {name} (it starts with a {name} byte-order mark); save it as UTF-8")
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise YamlFileError(line, f"is not UTF-8 (it holds the byte 0x{data[error.start]:02X}, as Latin-1 or Windows-1252 would write é); save it as UTF-8") from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise YamlFileError(line, f"holds a NUL character (is it UTF-16 without a byte-order mark?); save it as UTF-8")
    return text


def read_text(text: str) -> tuple[Any, list[Problem]]:
    """The document in `text` and the problems found reading it (the first `MAX_PROBLEMS`, then one
    that counts the rest); `YamlFileError` when it cannot be read."""
    reader = _Reader(text)
    document = reader.read()
    problems = reader.problems
    if reader.problem_count > len(problems):
        more = reader.problem_count - len(problems)
        problems.append(Problem(max(p.line for p in problems), (), f"and {more:,} more problems like the {len(problems)} above; fix those first"))
    return document, problems


def read_file(path: Path, max_bytes: int = MAX_BYTES) -> tuple[Any, list[Problem]]:
    """The document in the file at `path`, and every problem found reading it.

    Raises `FileNotFoundError`, or `YamlFileError` when the file cannot be read
    at all (too big, not UTF-8, not YAML, too deep, too many values).
    """
    with path.open("rb") as stream:
        size = path.stat().st_size
        if size > max_bytes:
            raise YamlFileError(None, f"is {size:,} bytes; a stack file is at most {max_bytes:,} bytes")
        data = stream.read(max_bytes + 1)  # a file that grows (or a pipe) is still cut at the limit
    if len(data) > max_bytes:
        raise YamlFileError(None, f"is over {max_bytes:,} bytes; a stack file is at most {max_bytes:,} bytes")
    return read_text(decode(data))
