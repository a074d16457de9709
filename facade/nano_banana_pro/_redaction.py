"""Keeping secrets out of text: the API key is masked wherever the package writes text.

A key the server echoes back (`{"message": "Invalid API key sk-..."}`) is still secret, so every
message, body and log line the package produces passes through `redact`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = ["MASK", "redact", "redact_json"]

MASK = "***"
#: A secret this long is masked wherever it stands; a shorter one only where it is a whole
#: token, so that a one-letter key does not mask every `k` of a message.
_ANYWHERE = 8
_WORD_CHARACTER = r"[A-Za-z0-9_\-]"


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every secret replaced by `***` (the longest first)."""
    for secret in sorted({s for s in secrets if s and s.strip()}, key=len, reverse=True):
        if len(secret) >= _ANYWHERE:
            text = text.replace(secret, MASK)
        else:
            token = rf"(?<!{_WORD_CHARACTER}){re.escape(secret)}(?!{_WORD_CHARACTER})"
            text = re.sub(token, MASK, text)
    return text


def redact_json(value: Any, secrets: Iterable[str | None]) -> Any:
    """A JSON value with every string in it (keys included) redacted."""
    kept = list(secrets)
    if isinstance(value, str):
        return redact(value, kept)
    if isinstance(value, list):
        return [redact_json(item, kept) for item in value]
    if isinstance(value, dict):
        return {redact(str(key), kept): redact_json(item, kept) for key, item in value.items()}
    return value
