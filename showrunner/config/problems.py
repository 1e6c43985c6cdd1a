"""How a problem line reads, whatever found it: one line (`one_line`), keys shown unambiguously (`key_text`),
and `ConfigError`, every problem of a stack at once. Standard library only, so that refusing an
unreadable file costs no import of the validation machinery."""

from __future__ import annotations

import json
import re
import unicodedata

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


def one_line(text: str) -> str:
    """`text` with every control or line-breaking character escaped (`\\n`, `\\u2028`): a key or value
    holding one cannot split a problem over lines."""
    if not _UNSAFE.search(text):
        return text
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch in ("\x85", "\ufeff"):
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


class ConfigError(Exception):
    """Every problem found in a stack's configuration, one line each."""

    def __init__(self, problems: list[str]):
        self.problems = [one_line(problem) for problem in problems]
        super().__init__("\n".join(self.problems))

    def headline(self, stack: str) -> str:
        """`invalid configuration for stack prod (1 problem)`."""
        return f"invalid configuration for stack {stack} ({count(len(self.problems), 'problem')})"


def count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


_PLAIN_KEY = re.compile(r"[^\s\"'\[\].]+")


def key_text(key: object) -> str:
    """A key as a path shows it: as written, or quoted when it is empty or holds spaces, dots or quotes."""
    text = str(key)
    return text if _PLAIN_KEY.fullmatch(text) else json.dumps(text, ensure_ascii=False)


