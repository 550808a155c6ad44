"""Secrets out of text: one mechanism and one marker (``***``) for statuses, events and logs.

Two entry points, both replacing what they find with :data:`MASK`:

* :func:`redact_values` -- the given values (a verification's External ID and temporary
  credentials), verbatim and URL-encoded, wherever they appear. Verification results go through
  it before they become a status or an event: those texts carry policy templates and ARNs that
  the shape rules below would garble, and they can only hold the secrets the verification had.
* :func:`redact` -- every log record (:class:`awsip.observability.logs.RedactFilter`): awsip
  never logs credentials on purpose, but exception texts, botocore's debug output and ``%r`` of a
  response can carry them, so it masks by shape as well as by value:

  * every value registered with :func:`remember_secret` (the operator registers each External ID
    it resolves), verbatim and URL-encoded, wherever it appears;
  * access key ids of long-term and temporary credentials (``AKIA...``/``ASIA...``);
  * values of keys that name a secret: ``SecretAccessKey``, ``aws_secret_access_key``,
    ``SessionToken``, ``aws_session_token``, ``X-Amz-Security-Token``, ``ExternalId``,
    ``external_id``, ``externalId``, ``sts:ExternalId`` ... in ``k=v``, ``k: v``, JSON, Python
    ``repr``, XML (``<SecretAccessKey>v</...>``) and query-string forms, URL-encoded too, as IAM
    returns policy documents (botocore's debug log of a GetRole response carries the trust
    policy, External ID included, as ``%22sts%3AExternalId%22%3A%20%22...%22``), and lists of
    values after such a key;
  * standalone strings shaped like a secret access key (40 base64 characters of mixed case) or a
    session token (100+ base64 characters); a 40-character one right after a ``:`` is left
    alone, as ARN resources (``role/Path/Name``) follow a colon.

  A *field error* -- a dotted field path, a colon, and a sentence saying what is wrong with the
  field, as Kubernetes and awsip's spec validation word them (``spec.externalID: String should
  match pattern ...``, ``spec.externalID: Invalid value: "v": ...``) -- is not a ``key: value``
  pair: the words after the path describe the problem, and masking the first of them ("String")
  hid the message without protecting anything. The value such a message quotes (after ``Invalid
  value:``) is masked. ``spec.externalID: v`` (no sentence after it), ``spec.externalID=v`` and
  the JSON and YAML forms (``"spec.externalID": "v"``, ``externalID: v``) stay key-value pairs.

Masking by value masks every character of every occurrence, overlapping ones included (one
mask for a run of overlapping occurrences). Over-masking is accepted: a masked harmless value
costs less than a leaked secret. Pure but for the remembered values; imports nothing of awsip.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Final
from urllib.parse import quote, quote_plus

MASK: Final = "***"

_ACCESS_KEY_ID = re.compile(r"(?<![A-Za-z0-9])(AKIA|ASIA)[A-Z0-9]{12,}(?![A-Za-z0-9])")

_SECRET_KEY_NAMES = (
    r"(?:aws[_-]?)?secret[_-]?access[_-]?key",
    r"secret[_-]?key",
    r"(?:aws[_-]?)?session[_-]?token",
    r"(?:x-amz-)?security[_-]?token",
    r"external[_-]?id",
)
_SECRET_KEY_NAME = re.compile(
    r"^(?:[A-Za-z0-9_-]*:)?(?:" + "|".join(_SECRET_KEY_NAMES) + r")$", re.IGNORECASE
)
#: A key that names a secret, standing alone (``ExternalId``, not ``ExternalIdEnforced``).
_KEY = r"(?P<key>(?<![A-Za-z0-9])(?:" + "|".join(_SECRET_KEY_NAMES) + r")(?![A-Za-z0-9_]))"
_UNQUOTED = r"[^\s\"'<>&;,)}\]\\]"
_KEY_VALUE = re.compile(
    _KEY + r"(?P<sep>\\?[\"']?\s*(?:[:=]|>)\s*)"
    r"(?:(?P<quote>\\?[\"'])(?P<quoted>.*?)(?P=quote)"
    rf"|(?P<bare>(?!\[){_UNQUOTED}+(?:,{_UNQUOTED}+)*))",
    re.IGNORECASE,
)
#: ``"sts:ExternalId": ["a", "b"]``: every element of a list after a secret key.
_KEY_LIST = re.compile(
    _KEY + r"(?P<sep>\\?[\"']?\s*[:=]\s*)\[(?P<items>[^\]]*)\]",
    re.IGNORECASE,
)
_ENC_QUOTE = r"(?:%22|%27|%5C%22)"
_ENC_STOP = r"(?:%22|%27|%2C|%5D|%7D|%5C|&)"
_URLENCODED_KEY_VALUE = re.compile(
    r"(?P<key>(?:" + "|".join(_SECRET_KEY_NAMES) + r"))"
    rf"(?P<sep>{_ENC_QUOTE}?(?:%20|\+)*(?:%3A|%3D)(?:%20|\+)*(?:%5B(?:%20|\+)*)?{_ENC_QUOTE}?)"
    rf"(?P<value>(?:(?!{_ENC_STOP})[^\s\"'<>])+)"
    rf"(?P<more>(?:{_ENC_QUOTE}?(?:%2C)(?:%20|\+)*{_ENC_QUOTE}?(?:(?!{_ENC_STOP})[^\s\"'<>])+)*)",
    re.IGNORECASE,
)
#: ``spec.externalID: Invalid value: "v"``: the value a Kubernetes field error quotes.
_FIELD_ERROR_VALUE = re.compile(
    r"(?P<head>(?<![A-Za-z0-9_.])(?:[A-Za-z0-9_-]+(?:\[[0-9]+\])?\.)+(?:"
    + "|".join(_SECRET_KEY_NAMES)
    + r")(?![A-Za-z0-9_])\s*:\s*Invalid value:\s*)"
    r"(?:(?P<quote>\\?[\"'])(?P<quoted>.*?)(?P=quote)|(?P<bare>[^\s:\"']+))",
    re.IGNORECASE,
)
_SENTENCE_GOES_ON = re.compile(r"[ \t]+[A-Za-z]")
_SECRET_ACCESS_KEY = re.compile(r"(?<![A-Za-z0-9/+:])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_SESSION_TOKEN = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{100,}={0,2}(?![A-Za-z0-9/+=])")


def _is_field_error(match: re.Match[str]) -> bool:
    """``path.key: Words ...``: the key ends a dotted field path, a bare colon follows, and the
    unquoted "value" is the first word of a sentence (see the module docstring)."""
    start = match.start("key")
    return (
        start > 0
        and match.string[start - 1] == "."
        and match.group("sep").startswith(":")
        and match.group("bare") is not None
        and _SENTENCE_GOES_ON.match(match.string, match.end()) is not None
    )


def _mask_key_value(match: re.Match[str]) -> str:
    if _is_field_error(match):
        return match.group(0)
    if match.group("quote") is not None:
        quote = match.group("quote")
        return f"{match.group('key')}{match.group('sep')}{quote}{MASK}{quote}"
    return f"{match.group('key')}{match.group('sep')}{MASK}"


def _mask_field_error_value(match: re.Match[str]) -> str:
    if match.group("quote") is not None:
        return f"{match.group('head')}{match.group('quote')}{MASK}{match.group('quote')}"
    return f"{match.group('head')}{MASK}"


def _mask_key_list(match: re.Match[str]) -> str:
    return f"{match.group('key')}{match.group('sep')}[{MASK}]"


def _mask_urlencoded(match: re.Match[str]) -> str:
    return f"{match.group('key')}{match.group('sep')}{MASK}"


def _value_pattern(values: Iterable[str]) -> re.Pattern[str] | None:
    """A pattern that finds, at each position, the longest verbatim or URL-encoded form of a value."""
    forms = {form for value in values if value for form in (value, quote(value, safe=""), quote_plus(value))}
    if not forms:
        return None
    alternatives = "|".join(re.escape(form) for form in sorted(forms, key=len, reverse=True))
    return re.compile(f"(?=({alternatives}))")


def _mask_occurrences(text: str, pattern: re.Pattern[str]) -> str:
    """``text`` with every character of every occurrence that ``pattern`` finds masked."""
    pieces: list[str] = []
    kept = 0  # text[:kept] is done
    start = end = -1  # the run of overlapping occurrences not yet masked
    for match in pattern.finditer(text):
        found, until = match.start(), match.start() + len(match.group(1))
        if found < end:
            end = max(end, until)
            continue
        if end >= 0:
            pieces += [text[kept:start], MASK]
            kept = end
        start, end = found, until
    if end < 0:
        return text
    pieces += [text[kept:start], MASK, text[end:]]
    return "".join(pieces)


def redact_values(text: str, values: Iterable[str | None]) -> str:
    """``text`` with every occurrence of each non-empty value (verbatim or URL-encoded) masked."""
    return values_redactor(values)(text)


def values_redactor(values: Iterable[str | None]) -> Callable[[str], str]:
    """:func:`redact_values` for many texts and the same values: the pattern is compiled once, and
    only if one of the texts holds one of the values (most hold none: a plain substring test says
    so for much less than compiling the pattern of a session token costs)."""
    kept = [value for value in values if value]
    forms = {form for value in kept for form in (value, quote(value, safe=""), quote_plus(value))}
    pattern: list[re.Pattern[str] | None] = []

    def redact(text: str) -> str:
        if not any(form in text for form in forms):
            return text
        if not pattern:
            pattern.append(_value_pattern(kept))
        return text if pattern[0] is None else _mask_occurrences(text, pattern[0])

    return redact


class RememberedSecrets:
    """The values :func:`redact` masks wherever they appear: the last ``max_entries`` remembered.

    Values shorter than ``min_length`` characters are not remembered: masking them everywhere
    would garble the logs, and the key-value rules still mask them where they are labelled.
    """

    def __init__(self, *, max_entries: int = 10_000, min_length: int = 4) -> None:
        self.max_entries = max_entries
        self.min_length = min_length
        self._values: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None
        self._stale = False

    @property
    def pattern(self) -> re.Pattern[str] | None:
        """What :func:`redact` looks for (None while nothing is remembered).

        Compiled when it is needed, not at each :meth:`add`: an operator remembers a value per
        verification and logs far less often, and the pattern of thousands of values takes
        milliseconds to compile.
        """
        with self._lock:
            if self._stale:
                self._pattern = _value_pattern(self._values)
                self._stale = False
            return self._pattern

    def add(self, value: str | None) -> None:
        if not value or len(value) < self.min_length:
            return
        with self._lock:
            if value in self._values:
                self._values.move_to_end(value)
                return
            self._values[value] = None
            while len(self._values) > self.max_entries:
                self._values.popitem(last=False)
            self._stale = True


#: The operator's remembered secrets (one per process; tests may swap in a fresh one).
REMEMBERED: RememberedSecrets = RememberedSecrets()


def remember_secret(value: str | None) -> None:
    """Mask ``value`` (and its URL-encoded forms) in every later log record, wherever it appears."""
    REMEMBERED.add(value)


def _mask_access_key_id(match: re.Match[str]) -> str:
    return f"{match.group(1)}{MASK}"


def _mask_if_random(match: re.Match[str]) -> str:
    text = match.group(0)
    mixed = any(c.islower() for c in text) and any(c.isupper() for c in text)
    return MASK if mixed and any(c.isdigit() or c in "/+" for c in text) else text


def is_secret_key(key: str) -> bool:
    """Whether a mapping key names a secret (``SecretAccessKey``, ``sts:ExternalId``, ...)."""
    return bool(_SECRET_KEY_NAME.match(key))


def redact(text: str) -> str:
    """``text`` with remembered secrets and credential-like substrings masked (idempotent)."""
    pattern = REMEMBERED.pattern
    if pattern is not None:
        text = _mask_occurrences(text, pattern)
    text = _URLENCODED_KEY_VALUE.sub(_mask_urlencoded, text)
    text = _KEY_LIST.sub(_mask_key_list, text)
    text = _FIELD_ERROR_VALUE.sub(_mask_field_error_value, text)
    text = _KEY_VALUE.sub(_mask_key_value, text)
    text = _ACCESS_KEY_ID.sub(_mask_access_key_id, text)
    text = _SESSION_TOKEN.sub(_mask_if_random, text)
    return _SECRET_ACCESS_KEY.sub(_mask_if_random, text)
