"""AWS's throttling, per account, for the fault proxy (tests/support/fault_proxy.py).

moto never throttles. :class:`AccountThrottle` is a fault matcher that says "throttle" for a
request of an account that already had ``limit`` requests accepted in the last second, and keeps a
log of every request it was asked about (arrival time, account, operation, throttled or not)::

    throttle = AccountThrottle({"222222222222": 4})
    proxy.inject(throttle, THROTTLING)

The account of a request is the account of its signing key, as moto resolves it: the operator's
user key belongs to the operator's account, an assumed-role session's key to the role's account.
So it must run in the moto server's process (it asks moto's in-memory IAM).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from tests.support.fault_proxy import SeenRequest, aws_error

#: What IAM and STS answer a throttled request with.
THROTTLING = aws_error("Throttling", "Rate exceeded")


@dataclass(frozen=True)
class Arrival:
    at: float
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
        self._accepted: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._log: list[Arrival] = []

    def __call__(self, request: SeenRequest) -> bool:
        """True: answer this request with a throttling error."""
        account = self._account(request.access_key) if request.access_key else ""
        with self._lock:
            now = self._clock()
            throttled = not self._admit(account, now)
            self._log.append(Arrival(now, account, request.operation, throttled))
        return throttled

    def arrivals(self) -> list[Arrival]:
        with self._lock:
            return list(self._log)

    def _account(self, access_key_id: str) -> str:
        account = self._keys.get(access_key_id)
        if account is None:
            account = self._keys[access_key_id] = self._account_of(access_key_id)
        return account

    def _admit(self, account: str, now: float) -> bool:
        limit = self.limits.get(account)
        if limit is None:
            return True
        accepted = self._accepted.setdefault(account, deque())
        while accepted and accepted[0] <= now - 1.0:
            accepted.popleft()
        if len(accepted) >= limit:
            return False
        accepted.append(now)
        return True
