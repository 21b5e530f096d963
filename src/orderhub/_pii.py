"""Keeping personal data out of reprs and error messages."""

from __future__ import annotations

from typing import Any

REDACTED = "<redacted>"


def mask(value: Any) -> str:
    """The repr used for personal data fields: says whether there is a value, never which."""
    if value is None:
        return "None"
    if isinstance(value, (tuple, list, frozenset, set)):
        return f"<{len(value)} redacted>"
    return REDACTED
