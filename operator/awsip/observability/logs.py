"""Log output of the operator: text or JSON lines, the provider on every line, secrets masked.

Every record passes :class:`RedactFilter` (:func:`awsip.redaction.redact`) before a handler
formats it, and so does each record Kopf posts as a Kubernetes event.

Which provider a line concerns comes from, in order:

1. ``record.k8s_ref`` -- set by Kopf's per-object loggers (the ``logger`` that Kopf passes to
   handlers is a ``kopf.ObjectLogger``, a ``LoggerAdapter`` adding ``extra={"k8s_ref": {...},
   "settings": ..., "k8s_skip": ...}``), or by :func:`provider_logger`;
2. :func:`provider_context` -- a context variable, for code that logs through plain module
   loggers (the AWS layer) while verifying a provider, including in worker threads that run
   with a copy of the caller's context (``asyncio.to_thread``, ``contextvars.copy_context().run``).

Kopf ships a JSON formatter (``kopf._core.actions.loggers.ObjectJsonFormatter``, used by
``kopf run --log-format=json``); it is private API, nests the reference under ``"object"`` and
has no logger name, so awsip has its own small one reading the same ``k8s_ref``.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
from collections.abc import Iterator, Mapping, MutableMapping
from datetime import UTC, datetime
from typing import Any, Final, Literal, TextIO

from awsip.redaction import MASK, is_secret_key, redact

LogFormat = Literal["text", "json"]

#: Extras that Kopf's ObjectLogger adds; not printed as fields.
_KOPF_EXTRAS: Final = frozenset({"k8s_ref", "k8s_skip", "settings"})
#: The logger Kopf's per-object loggers write to; its handler posts Kubernetes events.
KOPF_OBJECTS_LOGGER: Final = "kopf.objects"

_provider: contextvars.ContextVar[tuple[str | None, str] | None] = contextvars.ContextVar(
    "awsip_provider", default=None
)


@contextlib.contextmanager
def provider_context(namespace: str | None, name: str) -> Iterator[None]:
    """Lines logged inside this block (and in threads running a copy of its context) carry
    ``namespace``/``name``, unless the record names its own object (``k8s_ref``)."""
    token = _provider.set((namespace, name))
    try:
        yield
    finally:
        _provider.reset(token)


class _ProviderAdapter(logging.LoggerAdapter[Any]):
    """Adds the provider's ``k8s_ref``, keeping the call site's own ``extra=`` fields."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        kwargs["extra"] = dict(self.extra or {}) | dict(kwargs.get("extra") or {})
        return msg, kwargs


def provider_logger(
    logger: logging.Logger | logging.LoggerAdapter[Any], namespace: str | None, name: str
) -> logging.LoggerAdapter[Any]:
    """A logger whose lines carry the provider, in the same ``k8s_ref`` shape as Kopf's.

    Wrapping a Kopf object logger keeps the rest of its reference (apiVersion, kind, uid), which
    Kopf needs to post the line as a Kubernetes event.
    """
    base = getattr(logger, "extra", None)
    ref = base.get("k8s_ref") if isinstance(base, Mapping) else None
    k8s_ref = dict(ref) if isinstance(ref, Mapping) else {}
    k8s_ref.update(namespace=namespace, name=name)
    return _ProviderAdapter(logger, {"k8s_ref": k8s_ref})


def provider_of(record: logging.LogRecord) -> tuple[str | None, str] | None:
    """(namespace, name) of the provider a record concerns, if any."""
    ref = getattr(record, "k8s_ref", None)
    if isinstance(ref, Mapping) and ref.get("name"):
        return ref.get("namespace"), str(ref["name"])
    return _provider.get()


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


def _jsonable(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {str(k): MASK if is_secret_key(str(k)) else _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return redact(str(value))


def _timestamp(created: float) -> str:
    """RFC 3339 in UTC with milliseconds: ``2024-05-01T12:00:00.123Z``."""
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp, level, logger, message, namespace/name, exception,
    and any ``extra=`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": _timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        provider = provider_of(record)
        if provider is not None:
            if provider[0]:
                line["namespace"] = provider[0]
            line["name"] = provider[1]
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        for attribute, value in record.__dict__.items():
            if attribute not in RECORD_ATTRIBUTES and attribute not in _KOPF_EXTRAS and attribute not in line:
                line[attribute] = MASK if is_secret_key(attribute) else _jsonable(value)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``[time] logger [LEVEL] [namespace/name] message`` -- Kopf's full format plus the provider."""

    def __init__(self) -> None:
        super().__init__("[%(asctime)s] %(name)-20.20s [%(levelname)-8.8s] %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        provider = provider_of(record)
        if provider is None:
            return super().formatMessage(record)
        namespace, name = provider
        prefix = f"[{namespace}/{name}]" if namespace else f"[{name}]"
        # Kopf's own prefixing formatter would add the same prefix; never add it twice.
        if record.message.startswith(prefix):
            return super().formatMessage(record)
        shallow = logging.makeLogRecord(record.__dict__)
        shallow.message = f"{prefix} {record.message}"
        return super().formatMessage(shallow)


class _AwsipHandler(logging.StreamHandler[TextIO]):
    """Marks the handler installed by :func:`configure_logging`, to replace it on re-configuration."""


def configure_logging(
    fmt: LogFormat = "text", level: int | str = logging.INFO, *, stream: TextIO | None = None
) -> logging.Handler:
    """Send all logs to ``stream`` (stderr) in ``fmt``, at ``level``, with secrets masked.

    Replaces the handler of an earlier call and Kopf's own stream handler (installed by
    ``kopf run``'s ``--log-format`` option), so each line is printed once. Also masks secrets in
    what Kopf posts as Kubernetes events. Returns the installed handler.
    """
    if fmt not in ("text", "json"):
        raise ValueError(f"log format must be 'text' or 'json', not {fmt!r}")
    handler = _AwsipHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RedactFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        if isinstance(old, _AwsipHandler) or type(old).__name__ == "_KopfStreamHandler":
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    objects = logging.getLogger(KOPF_OBJECTS_LOGGER)
    if not any(isinstance(f, RedactFilter) for f in objects.filters):
        objects.addFilter(RedactFilter())
    return handler
