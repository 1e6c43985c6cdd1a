"""EC2 user data as it travels (base64, gzipped when large), decoded: for the secrets rule and `showrunner diff`."""

from __future__ import annotations

import base64
import binascii
import gzip
import re
from typing import Any

_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_GZIP_MAGIC = b"\x1f\x8b"


def decode_user_data(value: Any) -> str | None:
    """The text inside base64 user data (gunzipped when it is gzip: what the fleet sends over 16 KB).

    None when `value` is not a string of at least 16 base64 characters (line breaks allowed) whose
    content is UTF-8 text, so that ordinary text is never mistaken for encoded data.
    """
    if not isinstance(value, str):
        return None
    compact = "".join(value.split())
    if len(compact) < 16 or len(compact) % 4 or not _BASE64.fullmatch(compact):
        return None
    try:
        raw = base64.b64decode(compact, validate=True)
        if raw[:2] == _GZIP_MAGIC:
            raw = gzip.decompress(raw)
        return raw.decode("utf-8")
    except (binascii.Error, ValueError, OSError, EOFError):
        return None
