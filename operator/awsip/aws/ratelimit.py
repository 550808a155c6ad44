"""Rate limits where AWS applies them, lowered by AWS's throttling and recovering with time.

AWS throttles per account (and, for STS, per Region), not per client: STS counts the operator's
AssumeRole calls against the operator's own account, and every call signed by an assumed-role
session (IAM reads, SimulatePrincipalPolicy) against the role's account. One process-wide limit
would either pace 1,000 accounts as if they were one, or, raised, let one busy account that other
tools share be flooded. So :class:`RateLimits` holds

- one bucket per Region for the operator's own STS calls (``--sts-calls-per-second``),
- one bucket per account for the calls made in that account (``--account-calls-per-second``),
- and, optionally, one global cap over everything (``--aws-calls-per-second``).

Every HTTP attempt (retries included) passes its bucket and then the global cap: see
:class:`awsip.aws.AwsServices`, which hooks :meth:`RateLimits.acquire` into botocore's
``before-send`` event and :meth:`RateLimits.throttled` into ``response-received``.

**Adaptive.** A bucket paces its requests ``1 / rate`` apart (no burst, so that no one-second
window holds more than ``rate`` of them). A throttling answer cuts the bucket's rate to 0.7 times
what it was actually sending (botocore's ``adaptive`` mode uses the same factor), but not below
90 % of what AWS accepted from it in the last second (what AWS grants, as far as one can see):
that keeps a volley of throttles, which AWS sends for a second after a burst whatever the rate,
from cutting the rate far below what AWS grants. Answers to requests that were paced before the
last cut (their slot reserved at the old rate) do not cut again: that cut answered them. After
:data:`RECOVERY_DELAY` (5 s) the rate grows back by :data:`RECOVERY_PER_SECOND` (5 %) a second,
compounding, up to the configured limit: a single cut is made good in about 12 s, a rate cut to
a tenth in about 52 s, whatever the scale. An account that AWS keeps throttling settles at 90 to
105 % of what AWS grants it, with one throttling answer every 7 s or so.

botocore's own ``adaptive`` retry mode does this per *client*; awsip's assumed-role sessions share
one client per service and Region across all accounts (see :mod:`awsip.aws.services`), so a
per-client limiter would slow every account for one account's throttling. Hence the same idea
per account here, and botocore's ``standard`` retry mode underneath.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, NamedTuple

#: The factor a throttling answer applies to the rate a bucket was sending at (botocore's beta).
THROTTLE_CUT = 0.7
#: A cut never goes below this share of the rate AWS accepted in the last second.
GRANTED_SHARE = 0.9
#: How long a cut rate holds before it grows back, in seconds.
RECOVERY_DELAY = 5.0
#: How much a cut rate grows back per second (compounding) until it reaches its limit again.
RECOVERY_PER_SECOND = 0.05
_GROWTH = math.log1p(RECOVERY_PER_SECOND)
#: The lowest rate throttling can push a bucket to, calls per second (or its limit, if lower).
MIN_RATE = 0.5
#: The window over which a bucket measures the rate it is sending at, in seconds.
MEASURE_WINDOW = 1.0


class BucketKey(NamedTuple):
    """Which bucket a request belongs to: ``("sts", region)`` or ``("account", account_id)``."""

    kind: Literal["sts", "account"]
    name: str


@dataclass(frozen=True)
class RateLimitSettings:
    """Calls per second; 0 switches a limit off."""

    sts_calls_per_second: float
    """Each Region's bucket for the operator's own STS calls (AssumeRole, GetCallerIdentity)."""
    account_calls_per_second: float
    """Each account's bucket for the calls made in it (IAM reads, SimulatePrincipalPolicy, ...)."""
    calls_per_second: float = 0.0
    """The global cap over all calls of the process (off by default)."""

    def __post_init__(self) -> None:
        for name in ("sts_calls_per_second", "account_calls_per_second", "calls_per_second"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be 0 (off) or positive")

    @property
    def any(self) -> bool:
        return self.sts_calls_per_second > 0 or self.account_calls_per_second > 0 or self.calls_per_second > 0

    def limit_for(self, key: BucketKey) -> float:
        return self.sts_calls_per_second if key.kind == "sts" else self.account_calls_per_second


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` of them saved up (default: one second's worth).

    Waiters reserve their token under the lock and sleep outside it, so they are served in the
    order they arrived and the lock is never held while sleeping. The global cap is one of these.
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


class AdaptiveRate:
    """The allowed rate of one bucket over time: cut by throttling, recovering to ``limit`` (pure).

    Times are the caller's clock readings; nothing here reads a clock or locks.
    """

    def __init__(self, limit: float, *, floor: float = MIN_RATE) -> None:
        if limit <= 0:
            raise ValueError("limit must be positive")
        self.limit = float(limit)
        self.floor = min(float(floor), self.limit)
        self._base = self.limit
        self._cut_at: float | None = None
        self.cuts = 0
        """How many throttling answers lowered the rate."""

    @property
    def recovering(self) -> bool:
        """True while the rate is below the limit (a cut has not been made good yet)."""
        return self._cut_at is not None

    def rate(self, now: float) -> float:
        """The rate allowed at ``now``."""
        if self._cut_at is None:
            return self.limit
        rate = self._base * math.exp(_GROWTH * max(0.0, now - self._cut_at - RECOVERY_DELAY))
        if rate >= self.limit:
            self._cut_at = None
            return self.limit
        return rate

    def throttled(
        self, now: float, *, reserved_at: float, sending_rate: float | None, granted_rate: float = 0.0
    ) -> bool:
        """A throttling answer at ``now`` to a request paced at ``reserved_at``; True if it cut the rate.

        ``sending_rate`` is what the bucket was actually sending at (None: unknown, take the
        allowed rate): cutting an allowed rate that is not being used would change nothing.
        ``granted_rate`` is what AWS accepted of it lately (0: unknown).
        """
        if self._cut_at is not None and reserved_at < self._cut_at:
            return False  # paced at the rate before the last cut: that cut already answered it
        current = self.rate(now)
        used = current if sending_rate is None else min(current, sending_rate)
        cut = min(used, max(THROTTLE_CUT * used, GRANTED_SHARE * granted_rate))
        self._base = max(self.floor, cut)
        self._cut_at = now
        self.cuts += 1
        return True


class AdaptiveBucket:
    """Paces requests ``1 / rate`` apart at the :class:`AdaptiveRate` of the moment (thread-safe).

    A request reserves the next free slot under the lock and sleeps outside it, so callers are
    served in arrival order; the slots it hands out are remembered for a second, which is how the
    bucket knows the rate it is really sending at when AWS throttles it.
    """

    def __init__(
        self,
        limit: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.adaptive = AdaptiveRate(limit)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._created = self._next_slot = self._last_slot = clock()
        self._sent: deque[float] = deque()
        self._refused: deque[float] = deque()
        self.acquired = 0
        self.throttles = 0
        """Throttling answers seen (whether or not they cut the rate)."""

    @property
    def limit(self) -> float:
        return self.adaptive.limit

    def rate(self) -> float:
        with self._lock:
            return self.adaptive.rate(self._clock())

    def acquire(self) -> tuple[float, float]:
        """Wait for this request's slot; returns (seconds waited, when the slot was reserved)."""
        with self._lock:
            now = self._clock()
            slot = self._last_slot = max(now, self._next_slot)
            self._next_slot = slot + 1.0 / self.adaptive.rate(slot)
            self._sent.append(slot)
            self._forget_before(now - MEASURE_WINDOW)
            self.acquired += 1
        wait = slot - now
        if wait > 0:
            self._sleep(wait)
        return wait, now

    def throttled(self, reserved_at: float) -> bool:
        """AWS answered the request whose slot was reserved at ``reserved_at`` with a throttling
        error; True if the rate was cut."""
        with self._lock:
            now = self._clock()
            self.throttles += 1
            self._refused.append(now)
            self._forget_before(now - MEASURE_WINDOW)
            sent = sum(1 for at in self._sent if at <= now)
            # Measured over the last second, or over the bucket's life if it is younger (a bucket
            # only just made has no rate to measure yet: the allowed rate stands in for it).
            span = min(MEASURE_WINDOW, now - self._created)
            sending_rate = sent / span if span >= MEASURE_WINDOW / 4 else None
            granted_rate = max(0, sent - len(self._refused)) / MEASURE_WINDOW
            cut = self.adaptive.throttled(
                now, reserved_at=reserved_at, sending_rate=sending_rate, granted_rate=granted_rate
            )
            if cut:
                # The next slot keeps the new, longer interval from the last one handed out.
                self._next_slot = max(self._next_slot, self._last_slot + 1.0 / self.adaptive.rate(now))
            return cut

    def _forget_before(self, moment: float) -> None:
        while self._sent and self._sent[0] <= moment:
            self._sent.popleft()
        while self._refused and self._refused[0] <= moment:
            self._refused.popleft()


@dataclass(frozen=True)
class BucketState:
    """One bucket as the metrics see it."""

    key: BucketKey
    rate: float
    limit: float


class RateLimits:
    """All the operator's buckets (see the module docstring); thread-safe."""

    def __init__(
        self,
        settings: RateLimitSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self._sleep = sleep
        self._buckets: dict[BucketKey, AdaptiveBucket] = {}
        self._lock = threading.Lock()
        self.global_cap: TokenBucket | None = (
            TokenBucket(settings.calls_per_second, burst=1, clock=clock, sleep=sleep)
            if settings.calls_per_second > 0
            else None
        )

    def bucket(self, key: BucketKey) -> AdaptiveBucket | None:
        """The bucket for ``key`` (made on first use), or None when that kind of limit is off."""
        bucket = self._buckets.get(key)
        if bucket is not None:
            return bucket
        limit = self.settings.limit_for(key)
        if limit <= 0:
            return None
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = AdaptiveBucket(limit, clock=self.clock, sleep=self._sleep)
            return bucket

    def acquire(self, key: BucketKey | None) -> tuple[float, float]:
        """Wait for the request's bucket, then the global cap; returns (seconds waited, when the
        request's slot in its bucket was reserved: what :meth:`throttled` wants to know)."""
        waited, reserved_at = 0.0, self.clock()
        bucket = self.bucket(key) if key is not None else None
        if bucket is not None:
            waited, reserved_at = bucket.acquire()
        if self.global_cap is not None:
            waited += self.global_cap.acquire()
        return waited, reserved_at

    def throttled(self, key: BucketKey | None, reserved_at: float) -> bool:
        """A throttling answer for a request of ``key`` reserved at ``reserved_at``; True if a rate was cut."""
        bucket = self.bucket(key) if key is not None else None
        return bucket.throttled(reserved_at) if bucket is not None else False

    def states(self) -> list[BucketState]:
        """Every bucket's current rate and limit."""
        with self._lock:
            buckets = list(self._buckets.items())
        return [BucketState(key, bucket.rate(), bucket.limit) for key, bucket in buckets]
