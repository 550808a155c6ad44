"""AWS's throttling, per account, for the fault proxy (tests/support/fault_proxy.py).

moto never throttles. :class:`AccountThrottle` is a fault matcher that says "throttle" for a
request of an account that would make more than ``limit`` accepted requests in some one-second
window, and keeps a log of every request it was asked about (time, account, operation, throttled
or not)::

    throttle = AccountThrottle({"222222222222": 4})
    proxy.inject(throttle, THROTTLING)

A request's time is when the client sent it, where the client stamped it
(tests/support/send_times.py: its rate limiter's slot), else when it reached the proxy. The stamp
keeps the machine's scheduler out of the verdicts: requests sent paced can reach a busy proxy
bunched, and a throttle counting arrivals would refuse requests no AWS would have seen together.
Stamped requests can reach the proxy out of order, so every one-second window around a request is
counted, not only the one that ends with it.

The account of a request is the account of its signing key, as moto resolves it: the operator's
user key belongs to the operator's account, an assumed-role session's key to the role's account.
So it must run in the moto server's process (it asks moto's in-memory IAM).
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from tests.support.fault_proxy import SeenRequest, aws_error
from tests.support.send_times import SENT_AT_HEADER

#: What IAM and STS answer a throttled request with.
THROTTLING = aws_error("Throttling", "Rate exceeded")


@dataclass(frozen=True)
class Arrival:
    at: float
    """When the client sent it (its stamp), else when it reached the proxy."""
    account: str
    operation: str
    """``service:Action``, e.g. ``iam:GetRole``."""
    throttled: bool


def moto_account_of(access_key_id: str) -> str:
    """The account moto files ``access_key_id`` under (its default account for keys it does not know)."""
    from moto.iam.models import get_account_id_from

    return str(get_account_id_from(access_key_id))


class AccountThrottle:
    """``limits``: requests per second accepted from each throttled account (others: all)."""

    def __init__(
        self,
        limits: Mapping[str, int],
        *,
        account_of: Callable[[str], str] = moto_account_of,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = dict(limits)
        self._account_of = account_of
        self._clock = clock
        self._keys: dict[str, str] = {}
        self._accepted: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        self._log: list[Arrival] = []

    def __call__(self, request: SeenRequest) -> bool:
        """True: answer this request with a throttling error."""
        account = self._account(request.access_key) if request.access_key else ""
        stamp = request.headers.get(SENT_AT_HEADER)
        with self._lock:
            at = float(stamp) if stamp is not None else self._clock()
            throttled = not self._admit(account, at)
            self._log.append(Arrival(at, account, request.operation, throttled))
        return throttled

    def arrivals(self) -> list[Arrival]:
        with self._lock:
            return list(self._log)

    def _account(self, access_key_id: str) -> str:
        account = self._keys.get(access_key_id)
        if account is None:
            account = self._keys[access_key_id] = self._account_of(access_key_id)
        return account

    def _admit(self, account: str, at: float) -> bool:
        limit = self.limits.get(account)
        if limit is None:
            return True
        accepted = self._accepted.setdefault(account, [])
        # Every window [start, start + 1) that holds ``at``: its fullest one starts at ``at`` or at
        # an accepted request in the second before it.
        starts = accepted[bisect.bisect_right(accepted, at - 1.0) : bisect.bisect_right(accepted, at)]
        for start in [*starts, at]:
            if bisect.bisect_left(accepted, start + 1.0) - bisect.bisect_left(accepted, start) >= limit:
                return False
        bisect.insort(accepted, at)
        return True
