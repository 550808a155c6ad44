"""Bounded, thread-safe caches of the AWS layer.

:class:`PolicyDocumentCache`: managed-policy documents keyed by (policy ARN, version id). A
managed policy's version is immutable: ``(arn, version_id)`` names one document forever, so
entries never go stale; only the size is bounded (least recently used entries are dropped).
Concurrent misses on one key are collapsed: one caller fetches, the others wait for its result,
so a hundred providers that share an AWS-managed policy fetch its document once. Each lookup is
reported to ``on_lookup(hit)`` (the ``awsip_policy_cache_requests_total`` metric by default).

:class:`TtlCache`: answers that may change, remembered for a short time (the default version of a
managed policy, an AccessDenied of one identity on one role); same collapsing of concurrent misses.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from awsip.observability.metrics import record_cache

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
PolicyVersionKey = tuple[str, str]


class _SingleFlightCache(Generic[K, V]):
    """A bounded, thread-safe map whose :meth:`get_or_load` collapses concurrent misses on a key:
    one caller loads, the others wait for its result. If ``load`` raises, the exception propagates
    to its caller, nothing is stored, and the waiting callers try again themselves.

    Subclasses say what a hit is (:meth:`_lookup`) and how a value is kept (:meth:`_store`); both
    run under the lock.
    """

    def __init__(self, max_entries: int) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._loading: dict[K, threading.Event] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        with self._lock:
            return self._size()

    def get(self, key: K) -> V | None:
        with self._lock:
            return self._lookup(key)

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._store(key, value)

    def get_or_load(self, key: K, load: Callable[[], V]) -> V:
        """The cached value, or ``load()``'s (called once however many threads ask at once)."""
        while True:
            with self._lock:
                value = self._lookup(key)
                if value is not None:
                    self.hits += 1
                    self._report(True)
                    return value
                loading = self._loading.get(key)
                if loading is None:
                    loading = self._loading[key] = threading.Event()
                    self.misses += 1
                    self._report(False)
                    break
            loading.wait()
        try:
            value = load()
            with self._lock:
                self._store(key, value)
            return value
        finally:
            with self._lock:
                del self._loading[key]
            loading.set()

    def _report(self, hit: bool) -> None:
        """Called for each :meth:`get_or_load` lookup (under the lock)."""

    def _size(self) -> int:
        raise NotImplementedError

    def _lookup(self, key: K) -> V | None:
        raise NotImplementedError

    def _store(self, key: K, value: V) -> None:
        raise NotImplementedError


class PolicyDocumentCache(_SingleFlightCache[PolicyVersionKey, V]):
    """Documents by (policy ARN, version id), least recently used dropped beyond ``max_entries``."""

    def __init__(
        self, max_entries: int = 512, *, on_lookup: Callable[[bool], None] | None = record_cache
    ) -> None:
        super().__init__(max_entries)
        self.on_lookup = on_lookup
        self._entries: OrderedDict[PolicyVersionKey, V] = OrderedDict()

    def _report(self, hit: bool) -> None:
        if self.on_lookup is not None:
            self.on_lookup(hit)

    def _size(self) -> int:
        return len(self._entries)

    def _lookup(self, key: PolicyVersionKey) -> V | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def _store(self, key: PolicyVersionKey, value: V) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


class TtlCache(_SingleFlightCache[K, V]):
    """Values remembered for ``ttl`` seconds (at most ``max_entries``, least recently stored dropped).

    A ``ttl`` of 0 remembers nothing (every lookup loads).
    """

    def __init__(
        self, ttl: float, *, max_entries: int = 4096, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if ttl < 0:
            raise ValueError("ttl must not be negative")
        super().__init__(max_entries)
        self.ttl = ttl
        self._clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def _size(self) -> int:
        return len(self._entries)

    def _lookup(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        stored, value = entry
        if self._clock() - stored >= self.ttl:
            del self._entries[key]
            return None
        return value

    def _store(self, key: K, value: V) -> None:
        if self.ttl <= 0:
            return
        self._entries[key] = (self._clock(), value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
