"""IAM-style wildcard matching: ``*`` matches any run of characters, ``?`` exactly one.

A linear-time two-pointer matcher rather than a regular expression, because patterns come from
documents we do not control: a regex built from ``a*a*a*...`` backtracks exponentially, this does
not (worst case ``O(len(pattern) * len(text))``).
"""

from __future__ import annotations

WILDCARD_CHARACTERS = frozenset("*?")


def has_wildcard(pattern: str) -> bool:
    """Whether ``pattern`` contains ``*`` or ``?``."""
    return "*" in pattern or "?" in pattern


def wildcard_match(pattern: str, text: str, *, ignore_case: bool = False) -> bool:
    """Whether ``text`` matches ``pattern`` as a whole (``*`` and ``?`` are the only specials)."""
    if ignore_case:
        pattern = pattern.casefold()
        text = text.casefold()
    p = t = 0
    star_p = -1
    star_t = 0
    while t < len(text):
        if p < len(pattern) and (pattern[p] == "?" or pattern[p] == text[t]):
            p += 1
            t += 1
        elif p < len(pattern) and pattern[p] == "*":
            star_p = p
            star_t = t
            p += 1
        elif star_p >= 0:
            p = star_p + 1
            star_t += 1
            t = star_t
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)
