"""Cutting a text to a length limit, the same way everywhere (pure; imports nothing of awsip).

Condition messages, trust findings, tenancy refusals and Kubernetes events all have a length
limit; each cut text ends in the same ASCII :data:`ELLIPSIS`, so that a reader (or a test) can tell
a cut text from a whole one, and so that a cut costs the same in every encoding (a status's size
is counted in JSON with non-ASCII characters escaped).
"""

from __future__ import annotations

from typing import Final

ELLIPSIS: Final = "..."


def cap(text: str, limit: int) -> str:
    """``text`` itself when it has at most ``limit`` characters; else cut to exactly ``limit``,
    ending in :data:`ELLIPSIS` (or just its first ``limit`` characters when even the ellipsis
    would not fit)."""
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return text[: max(limit, 0)]
    return text[: limit - len(ELLIPSIS)] + ELLIPSIS
