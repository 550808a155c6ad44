"""Count every AWS API call via botocore's event system (``after-call`` / ``after-call-error``).

``after-call.<service>.<Operation>`` fires once per API call after botocore's own retries, with
the HTTP response (status >= 300 means the call failed with an AWS error code);
``after-call-error.<service>.<Operation>`` fires when no response arrived at all (connection
refused, timeout). Hooks never raise: a metrics problem must not fail an AWS call.

Clients copy their session's event handlers when they are created, so instrument the session
before creating clients from it (:class:`awsip.aws.AwsServices` does so when it is made).
"""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import ConnectionError as BotocoreConnectionError
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError

from awsip.observability import metrics as _metrics
from awsip.observability.labels import OTHER

logger = logging.getLogger(__name__)


def exception_code(exception: BaseException) -> str:
    """awsip's error code for a call that got no HTTP response."""
    if isinstance(exception, (ConnectTimeoutError, ReadTimeoutError)):
        return "Timeout"
    if isinstance(exception, BotocoreConnectionError):
        return "ConnectionError"
    return OTHER


def _service_and_operation(event_name: str) -> tuple[str, str]:
    # "after-call.sts.AssumeRole" / "after-call-error.iam.GetRole"
    _, service, operation = event_name.split(".", 2)
    return service, operation


class _Hooks:
    def __init__(self, recorder: _metrics.Metrics) -> None:
        self._recorder = recorder

    def _record(self, service: str, operation: str, error_code: str | None) -> None:
        self._recorder.record_aws_call(service, operation, error_code)

    def after_call(
        self,
        *,
        event_name: str,
        http_response: Any = None,
        parsed: Any = None,
        context: Any = None,
        **_: Any,
    ) -> None:
        try:
            service, operation = _service_and_operation(event_name)
            status = getattr(http_response, "status_code", 200)
            code: str | None = None
            if status >= 300:
                error = parsed.get("Error", {}) if isinstance(parsed, dict) else {}
                override = context.get("error_code_override") if isinstance(context, dict) else None
                code = override or error.get("Code") or OTHER
            self._record(service, operation, code)
        except Exception:  # pragma: no cover - defensive: never break an AWS call
            logger.debug("could not record the AWS call %s", event_name, exc_info=True)

    def after_call_error(self, *, event_name: str, exception: BaseException | None = None, **_: Any) -> None:
        try:
            service, operation = _service_and_operation(event_name)
            self._record(service, operation, exception_code(exception) if exception else OTHER)
        except Exception:  # pragma: no cover - defensive: never break an AWS call
            logger.debug("could not record the AWS call %s", event_name, exc_info=True)


def _register(emitter: Any, recorder: _metrics.Metrics | None) -> None:
    hooks = _Hooks(recorder if recorder is not None else _metrics.METRICS)
    suffix = id(hooks._recorder)
    emitter.register("after-call", hooks.after_call, unique_id=f"awsip-metrics-after-call-{suffix}")
    emitter.register(
        "after-call-error", hooks.after_call_error, unique_id=f"awsip-metrics-after-call-error-{suffix}"
    )


def instrument_boto3_session(session: Any, metrics: _metrics.Metrics | None = None) -> Any:
    """Count the calls of every client created from now on from ``session`` (a boto3 or botocore
    session; idempotent); returns the session."""
    emitter = session.events if hasattr(session, "events") else session.get_component("event_emitter")
    _register(emitter, metrics)
    return session
