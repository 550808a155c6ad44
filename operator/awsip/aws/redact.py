"""Removing secrets from text before it reaches a status, an exception or a log (pure)."""

from __future__ import annotations

from collections.abc import Iterable

REDACTED = "<redacted>"


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every occurrence of each (non-empty) secret replaced by ``<redacted>``.

    Longer secrets are replaced first so that a secret containing another is removed whole.
    """
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text
