"""A global limit on the rate of AWS calls: a thread-safe token bucket.

:class:`TokenBucket.acquire` blocks until the caller may send one request. The bucket is hooked
into every boto3 client that :class:`awsip.aws.AwsServices` creates (botocore's ``before-send``
event), so each HTTP attempt, retries included, takes one token.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` of them saved up (default: one second's worth).

    Waiters reserve their token under the lock and sleep outside it, so they are served in the
    order they arrived and the lock is never held while sleeping.
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = float(rate)
        self.burst = float(burst) if burst is not None else max(1.0, self.rate)
        if self.burst < 1:
            raise ValueError("burst must be at least 1")
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = self.burst
        self._last = clock()
        self.acquired = 0
        """How many tokens were handed out (for metrics)."""
        self.waited_seconds = 0.0
        """Total time callers were made to wait (for metrics)."""

    def acquire(self) -> float:
        """Take one token, sleeping until it is available; returns the time waited, in seconds."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= 1
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
            self.acquired += 1
            self.waited_seconds += wait
        if wait > 0:
            self._sleep(wait)
        return wait
