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

Over-masking is accepted: a masked harmless value costs less than a leaked secret.
"""

from __future__ import annotations

import logging
import re
from typing import Final

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
    rf"|(?P<bare>{_UNQUOTED}+(?:,{_UNQUOTED}+)*))",
    re.IGNORECASE,
)
_SECRET_ACCESS_KEY = re.compile(r"(?<![A-Za-z0-9/+:])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_SESSION_TOKEN = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{100,}={0,2}(?![A-Za-z0-9/+=])")


def _mask_key_value(match: re.Match[str]) -> str:
    if match.group("quote") is not None:
        quote = match.group("quote")
        return f"{match.group('key')}{match.group('sep')}{quote}{MASK}{quote}"
    return f"{match.group('key')}{match.group('sep')}{MASK}"


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
