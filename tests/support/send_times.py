"""When the client decided to send each AWS request: its rate limiter's grants, stamped on the requests.

A test that judges pacing by the times requests reach a proxy judges the machine's scheduler as
much as the client. Under load, threads that slept past their slots wake together and a proxy
whose event loop was held up reads a second's requests at once: requests the client sent paced
arrive bunched (a delay only ever moves an arrival later, so it can crowd a window, never thin
it). What the client controls is when its rate limiter lets each request go, its slot:

- :class:`RecordedRateLimits` is the product's :class:`~awsip.aws.ratelimit.RateLimits`, that
  remembers each slot it hands out (:attr:`RecordedRateLimits.grants`);
- :func:`stamp_send_times` writes each request's slot into a header (:data:`SENT_AT_HEADER`), so
  that the emulated AWS behind the fault proxy (tests/support/account_throttle.py) counts requests
  by the client's own send decisions: a logical clock that no delay between client and proxy can
  bunch. It also notes when each request really left (:attr:`Grant.sent`), so that a test can
  check that the client waited for its slot: stamps alone would not show a limiter that paced on
  paper and sent at once.

Everything runs in the test's process, on one clock (the rate limits', ``time.monotonic``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from awsip.aws import AwsServices
from awsip.aws.ratelimit import BucketKey, RateLimits

SENT_AT_HEADER = "x-awsip-test-sent-at"
"""The request's slot, a ``time.monotonic`` reading (moto ignores the header; the proxy reads it)."""


@dataclass(frozen=True)
class Grant:
    """One HTTP attempt let go by the rate limits."""

    key: BucketKey | None
    slot: float
    """When its bucket let it go (the moment it asked, if it did not have to wait)."""
    waited: float
    sent: float = 0.0
    """When it really left, after the wait (0 until :func:`stamp_send_times` saw it)."""


class RecordedRateLimits(RateLimits):
    """The product's rate limits, unchanged, remembering every grant (thread-safe)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.grants: list[Grant] = []
        self._grants_lock = threading.Lock()
        self._pending = threading.local()

    def acquire(self, key: BucketKey | None) -> tuple[float, float]:
        waited, asked_at = super().acquire(key)
        # The bucket hands out max(asked, next free slot) and waits the difference (the global
        # cap's wait, when there is one, adds to it: then this is when the cap let it go).
        self._pending.grant = Grant(key, asked_at + waited, waited)
        return waited, asked_at

    def take_pending(self) -> Grant:
        """This thread's last grant, not yet stamped on a request; recorded with its send time."""
        grant: Grant | None = getattr(self._pending, "grant", None)
        if grant is None:
            raise AssertionError("a request was sent without passing the rate limits first")
        self._pending.grant = None
        grant = Grant(grant.key, grant.slot, grant.waited, sent=self.clock())
        with self._grants_lock:
            self.grants.append(grant)
        return grant

    def of(self, key: BucketKey) -> list[Grant]:
        """The grants of one bucket, in slot order."""
        with self._grants_lock:
            grants = [grant for grant in self.grants if grant.key == key]
        return sorted(grants, key=lambda grant: grant.slot)


def stamp_send_times(aws: AwsServices, limits: RecordedRateLimits) -> None:
    """Stamp every request of ``aws`` with its slot in ``limits`` (which ``aws`` must use).

    Registered after :class:`AwsServices` registered its own ``before-send`` hook, so botocore runs
    it right after the rate limits let the request go, in the same thread, and just before sending.
    """
    if aws.rate_limits is not limits:
        raise ValueError("the services do not use these rate limits")

    def stamp(request: Any = None, **_: Any) -> None:
        grant = limits.take_pending()
        if request is not None:
            request.headers[SENT_AT_HEADER] = repr(grant.slot)

    aws.session.events.register("before-send", stamp, unique_id="awsip-test-send-times")


__all__ = ["SENT_AT_HEADER", "Grant", "RecordedRateLimits", "stamp_send_times"]
