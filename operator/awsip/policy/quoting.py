"""Untrusted policy content quoted in messages: bounded, control characters escaped.

The parser's problems and the trust findings quote values from documents nobody here controls (a
key of 10,000 characters, a right-to-left override); these keep such quotes short and readable.
"""

from __future__ import annotations

from collections.abc import Iterable

from awsip.textcap import cap

#: Longest excerpt of a policy value quoted in a message.
MAX_QUOTED = 160
#: How many items of a list a message names before "and N more".
MAX_LISTED = 5


def quote(value: str, *, limit: int = MAX_QUOTED) -> str:
    """``value`` in double quotes, shortened to ``limit`` characters, control characters escaped."""
    cleaned = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in value[: limit + 1])
    return f'"{cap(cleaned, limit)}"'


def quote_list(values: Iterable[str], *, limit: int = MAX_LISTED) -> str:
    """``"a", "b" and "c"`` -- at most ``limit`` items, then "and N more"."""
    items = list(dict.fromkeys(values))
    shown = [quote(value) for value in items[:limit]]
    rest = len(items) - len(shown)
    if rest > 0:
        return f"{', '.join(shown)} and {rest} more"
    if len(shown) <= 1:
        return "".join(shown)
    return f"{', '.join(shown[:-1])} and {shown[-1]}"
