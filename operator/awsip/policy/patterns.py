"""Pattern text: wildcards and policy variables (``${aws:username}``, ``${key, 'default'}``, ``${*}``).

``${*}``, ``${?}`` and ``${$}`` stand for the literal characters. Any other variable is replaced by
the value of that (single-valued) context key, or by its default; a substituted value is literal
text (its ``*`` is not a wildcard). A variable that has no value is *unresolved*: the caller decides
what that means (an Allow never matches, a Deny may).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from awsip.policy.model import Pattern, Token, Variable, Wild
from awsip.policy.wildcard import Resolved

_VARIABLE = re.compile(r"\s*([^\s,{}'$]+)\s*(?:,\s*'((?:[^']|'')*)'\s*)?")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}


def tokenize(text: str, *, wildcards: bool, variables: bool) -> Pattern:
    """Split pattern text into tokens. Raises ValueError for a malformed ``${...}``."""
    if not (variables and "${" in text):
        return Pattern(text=text, tokens=_plain_tokens(text, wildcards))
    tokens: list[Token] = []

    def literal(chunk: str) -> None:
        if tokens and isinstance(tokens[-1], str):
            tokens[-1] += chunk
        else:
            tokens.append(chunk)

    i = 0
    while i < len(text):
        char = text[i]
        if variables and text.startswith("${", i):
            end = _closing_brace(text, i + 2)
            if end < 0:
                raise ValueError(f"unterminated policy variable in {text!r}")
            inner = text[i + 2 : end]
            if inner in _ESCAPES:
                literal(_ESCAPES[inner])
            else:
                match = _VARIABLE.fullmatch(inner)
                if match is None:
                    raise ValueError(f"malformed policy variable ${{{inner}}} in {text!r}")
                default = match.group(2)
                tokens.append(
                    Variable(match.group(1), None if default is None else default.replace("''", "'"))
                )
            i = end + 1
            continue
        if wildcards and char == "*":
            if not (tokens and tokens[-1] is Wild.STAR):
                tokens.append(Wild.STAR)
        elif wildcards and char == "?":
            tokens.append(Wild.QMARK)
        else:
            literal(char)
        i += 1
    return Pattern(text=text, tokens=tuple(tokens))


_WILDCARDS = re.compile(r"(\*+|\?)")


def _plain_tokens(text: str, wildcards: bool) -> tuple[Token, ...]:
    """Tokens of text without variables (the common case, done by the regex engine)."""
    if not wildcards or ("*" not in text and "?" not in text):
        return (text,) if text else ()
    out: list[Token] = []
    for i, piece in enumerate(_WILDCARDS.split(text)):
        if i % 2:
            out.append(Wild.QMARK if piece == "?" else Wild.STAR)
        elif piece:
            out.append(piece)
    return tuple(out)


def _closing_brace(text: str, start: int) -> int:
    """The index of the '}' closing a variable, skipping quoted defaults ('' is an escaped quote)."""
    quoted = False
    i = start
    while i < len(text):
        char = text[i]
        if char == "'":
            quoted = not quoted
        elif char == "}" and not quoted:
            return i
        i += 1
    return -1


Lookup = Callable[[str], str | None]


def resolve(pattern: Pattern, lookup: Lookup | None, *, unresolved_as_star: bool = False) -> Resolved | None:
    """The pattern with its variables replaced by context values.

    Returns None when a variable has no value (no such key, a multivalued key, no default), unless
    ``unresolved_as_star``: then the variable becomes ``*`` (how a Deny treats it).
    """
    out: list[str | Wild] = []
    for token in pattern.tokens:
        if isinstance(token, Variable):
            value = lookup(token.key) if lookup is not None else None
            if value is None:
                value = token.default
            if value is None:
                if not unresolved_as_star:
                    return None
                if not (out and out[-1] is Wild.STAR):
                    out.append(Wild.STAR)
                continue
            token = value
        if isinstance(token, str):
            if not token:
                continue
            if out and isinstance(out[-1], str):
                out[-1] += token
            else:
                out.append(token)
        else:
            out.append(token)
    return tuple(out)


def static(pattern: Pattern) -> Resolved | None:
    """The resolved tokens of a pattern without variables (None if it has some)."""
    tokens = pattern.tokens
    if "${" not in pattern.text and "" not in tokens:
        # No variable can be written without "${": the tokens :func:`tokenize` made are already
        # resolved (literal runs between wildcards, never two runs in a row).
        return tokens  # type: ignore[return-value]
    if pattern.variables:
        return None
    return resolve(pattern, None)
