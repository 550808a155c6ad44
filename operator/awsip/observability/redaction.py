"""Mask anything that looks like AWS credentials or an External ID in log records.

Defense in depth: awsip never logs credentials on purpose, but exception texts, botocore's debug
output and ``%r`` of a response can carry them. Masked:

* access key ids of long-term and temporary credentials (``AKIA...``/``ASIA...``);
* values of keys that name a secret: ``SecretAccessKey``, ``aws_secret_access_key``,
  ``SessionToken``, ``aws_session_token``, ``X-Amz-Security-Token``, ``ExternalId``,
  ``external_id``, ``externalId``, ``sts:ExternalId`` ... in ``k=v``, ``k: v``, JSON, Python
  ``repr``, XML (``<SecretAccessKey>v</...>``) and query-string forms;
* standalone strings shaped like a secret access key (40 base64 characters of mixed case) or a
  session token (100+ base64 characters); a 40-character one right after a ``:`` is left
  alone, as ARN resources (``role/Path/Name``) follow a colon.

* the same key-value forms URL-encoded, as IAM returns policy documents (botocore's debug log of
  a GetRole response carries the trust policy, External ID included, as
  ``%22sts%3AExternalId%22%3A%20%22...%22``), and lists of values after such a key;
* every value registered with :func:`remember_secret` (the operator registers each External ID it
  resolves), verbatim and URL-encoded, wherever it appears.

Over-masking is accepted: a masked harmless value costs less than a leaked secret.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
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
_UNQUOTED = r"[^\s\"'<>&;,)}\]\\]"
_KEY_VALUE = re.compile(
    r"(?P<key>(?<![A-Za-z0-9])(?:" + "|".join(_SECRET_KEY_NAMES) + r")(?![A-Za-z0-9_]))"
    r"(?P<sep>\\?[\"']?\s*(?:[:=]|>)\s*)"
    r"(?:(?P<quote>\\?[\"'])(?P<quoted>.*?)(?P=quote)"
    rf"|(?P<bare>(?!\[){_UNQUOTED}+(?:,{_UNQUOTED}+)*))",
    re.IGNORECASE,
)
#: ``"sts:ExternalId": ["a", "b"]``: every element of a list after a secret key.
_KEY_LIST = re.compile(
    r"(?P<key>(?<![A-Za-z0-9])(?:" + "|".join(_SECRET_KEY_NAMES) + r")(?![A-Za-z0-9_]))"
    r"(?P<sep>\\?[\"']?\s*[:=]\s*)\[(?P<items>[^\]]*)\]",
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
_SECRET_ACCESS_KEY = re.compile(r"(?<![A-Za-z0-9/+:])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_SESSION_TOKEN = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{100,}={0,2}(?![A-Za-z0-9/+=])")


def _mask_key_value(match: re.Match[str]) -> str:
    if match.group("quote") is not None:
        quote = match.group("quote")
        return f"{match.group('key')}{match.group('sep')}{quote}{MASK}{quote}"
    return f"{match.group('key')}{match.group('sep')}{MASK}"


def _mask_key_list(match: re.Match[str]) -> str:
    return f"{match.group('key')}{match.group('sep')}[{MASK}]"


def _mask_urlencoded(match: re.Match[str]) -> str:
    return f"{match.group('key')}{match.group('sep')}{MASK}"


_MAX_REMEMBERED = 10_000
_MIN_REMEMBERED_LENGTH = 4
_remembered: OrderedDict[str, None] = OrderedDict()
_remembered_lock = threading.Lock()
_remembered_pattern: re.Pattern[str] | None = None


def remember_secret(value: str | None) -> None:
    """Mask ``value`` (and its URL-encoded forms) in every later log record, wherever it appears.

    Values shorter than 4 characters are not remembered: masking them everywhere would garble
    the logs, and the key-value rules above still mask them where they are labelled.
    """
    global _remembered_pattern
    if not value or len(value) < _MIN_REMEMBERED_LENGTH:
        return
    with _remembered_lock:
        if value in _remembered:
            _remembered.move_to_end(value)
            return
        _remembered[value] = None
        while len(_remembered) > _MAX_REMEMBERED:
            _remembered.popitem(last=False)
        forms = {
            form for secret in _remembered for form in (secret, quote(secret, safe=""), quote_plus(secret))
        }
        _remembered_pattern = re.compile("|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)))


def forget_remembered_secrets() -> None:
    """Drop every remembered value (for tests)."""
    global _remembered_pattern
    with _remembered_lock:
        _remembered.clear()
        _remembered_pattern = None


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
    """``text`` with credential-like substrings replaced by ``***`` (idempotent)."""
    pattern = _remembered_pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    text = _URLENCODED_KEY_VALUE.sub(_mask_urlencoded, text)
    text = _KEY_LIST.sub(_mask_key_list, text)
    text = _KEY_VALUE.sub(_mask_key_value, text)
    text = _ACCESS_KEY_ID.sub(_mask_access_key_id, text)
    text = _SESSION_TOKEN.sub(_mask_if_random, text)
    return _SECRET_ACCESS_KEY.sub(_mask_if_random, text)


#: Attributes every LogRecord has; any other attribute came from ``extra=``.
RECORD_ATTRIBUTES: Final = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class RedactFilter(logging.Filter):
    """Rewrite each record's message, exception text, stack and string extras through :func:`redact`.

    Attach it to handlers (covers everything they emit) and to loggers whose own handlers must
    not see secrets either (``kopf.objects``, whose handler posts Kubernetes events).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let the handler report it as usual
            return True
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for attribute, value in list(record.__dict__.items()):
            if attribute not in RECORD_ATTRIBUTES and isinstance(value, str):
                setattr(record, attribute, MASK if is_secret_key(attribute) else redact(value))
        return True
