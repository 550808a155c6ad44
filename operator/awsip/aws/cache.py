"""A bounded, thread-safe cache of managed-policy documents keyed by (policy ARN, version id).

A managed policy's version is immutable: ``(arn, version_id)`` names one document forever, so
entries never go stale; only the size is bounded (least recently used entries are dropped).
Concurrent misses on one key are collapsed: one caller fetches, the others wait for its result,
so a hundred providers that share an AWS-managed policy fetch its document once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")
PolicyVersionKey = tuple[str, str]


class PolicyDocumentCache(Generic[V]):
    def __init__(self, max_entries: int = 512) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: OrderedDict[PolicyVersionKey, V] = OrderedDict()
        self._loading: dict[PolicyVersionKey, threading.Event] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def get(self, key: PolicyVersionKey) -> V | None:
        with self._lock:
            return self._lookup(key)

    def put(self, key: PolicyVersionKey, value: V) -> None:
        with self._lock:
            self._store(key, value)

    def get_or_load(self, key: PolicyVersionKey, load: Callable[[], V]) -> V:
        """The cached value, or ``load()``'s (called once however many threads ask at once).

        If ``load`` raises, the exception propagates to its caller and the waiting callers try
        again themselves.
        """
        while True:
            with self._lock:
                value = self._lookup(key)
                if value is not None:
                    self.hits += 1
                    return value
                loading = self._loading.get(key)
                if loading is None:
                    loading = self._loading[key] = threading.Event()
                    self.misses += 1
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
