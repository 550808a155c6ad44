"""Counting the AWS API calls of one :class:`awsip.aws.AwsServices`, per operation (for tests).

The product counts AWS calls in its Prometheus metrics, process-wide; a test wants the calls of
the services it made, exactly: :func:`count_calls` hooks a :class:`CallCounter` into their
boto3 session through botocore's event system, as the metrics are hooked in.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from typing import Any

from awsip.aws import AwsServices

_ids = itertools.count()


def count_calls(aws: AwsServices) -> CallCounter:
    """A counter of every API call (and failed call) of the clients ``aws`` makes from now on.

    Clients copy their session's event handlers when they are made: call this before the
    services make their first client (right after making them).
    """
    counter = CallCounter()
    suffix = next(_ids)
    events = aws.session.events
    events.register("before-parameter-build", counter._count_call, unique_id=f"test-count-call-{suffix}")
    events.register(
        "after-call", counter._count_failed_response, unique_id=f"test-count-failed-response-{suffix}"
    )
    events.register(
        "after-call-error", counter._count_call_error, unique_id=f"test-count-call-error-{suffix}"
    )
    return counter


class CallCounter:
    """Counts calls (one per boto3 API call, however many HTTP attempts it took) and failed calls.

    Keys are ``service:Operation``, e.g. ``iam:GetPolicyVersion``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._errors: Counter[str] = Counter()

    def record_call(self, operation: str) -> None:
        with self._lock:
            self._calls[operation] += 1

    def record_error(self, operation: str) -> None:
        with self._lock:
            self._errors[operation] += 1

    def calls(self) -> dict[str, int]:
        """A snapshot of the call counts."""
        with self._lock:
            return dict(self._calls)

    def errors(self) -> dict[str, int]:
        """A snapshot of the counts of failed calls (AWS errors and connection failures)."""
        with self._lock:
            return dict(self._errors)

    def get(self, operation: str) -> int:
        with self._lock:
            return self._calls[operation]

    def total(self) -> int:
        with self._lock:
            return sum(self._calls.values())

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._errors.clear()

    # botocore event handlers (see count_calls)

    def _count_call(self, event_name: str, **_: Any) -> None:
        self.record_call(_operation(event_name))

    def _count_failed_response(self, event_name: str, http_response: Any = None, **_: Any) -> None:
        status = getattr(http_response, "status_code", None)
        if isinstance(status, int) and status >= 300:
            self.record_error(_operation(event_name))

    def _count_call_error(self, event_name: str, **_: Any) -> None:
        self.record_error(_operation(event_name))


def _operation(event_name: str) -> str:
    """``before-call.iam.GetRole`` -> ``iam:GetRole``."""
    parts = event_name.split(".")
    return f"{parts[1]}:{parts[2]}" if len(parts) >= 3 else event_name
