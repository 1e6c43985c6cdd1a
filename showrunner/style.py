"""Colour for the human output, as the Pulumi CLI colours it: on a terminal, never with NO_COLOR.

`--color auto` (the default) colours when the stream is a TTY and `NO_COLOR` is unset or empty
(https://no-color.org); `always` and `never` override both. Only whole lines are coloured, by the
operation they show, so the text is the same with and without colour.
"""

from __future__ import annotations

import os
from typing import IO

CHOICES = ("auto", "always", "never")
_RESET = "\033[0m"
_CODES = {
    "create": "\033[32m",   # green
    "update": "\033[33m",   # yellow
    "replace": "\033[35m",  # magenta
    "delete": "\033[31m",   # red
    "warning": "\033[1;31m",  # bold red: a protected or retained resource at risk
    "unknown": "\033[36m",  # cyan: replacement unknown
    "dim": "\033[2m",
}
OP_SYMBOLS = {"create": "+", "update": "~", "replace": "+-", "delete": "-", "same": " "}


def use_color(choice: str, stream: IO, environ=None) -> bool:
    environ = os.environ if environ is None else environ
    if choice == "always":
        return True
    if choice == "never" or environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def paint(text: str, kind: str | None, color: bool) -> str:
    if not color or not kind or kind not in _CODES or not text:
        return text
    return f"{_CODES[kind]}{text}{_RESET}"
