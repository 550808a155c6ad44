"""Thread-safe counts of AWS API calls per operation, for metrics and tests."""

from __future__ import annotations

import threading
from collections import Counter


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
