"""In-memory per-provider state behind the two per-provider gauges.

Both trackers are keyed by (namespace, name), are thread-safe, and keep their gauges equal to
their contents. The operator calls them after every verification and when a provider is deleted.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Final, Literal

from prometheus_client import Gauge

ReadyStatus = Literal["True", "False", "Unknown"]
READY_STATUSES: Final[tuple[ReadyStatus, ...]] = ("True", "False", "Unknown")

ProviderKey = tuple[str, str]


class ProviderReadiness:
    """How many providers are Ready=True|False|Unknown, for the ``awsip_providers`` gauge."""

    def __init__(self, gauge: Gauge) -> None:
        self._gauge = gauge
        self._status: dict[ProviderKey, ReadyStatus] = {}
        self._lock = threading.Lock()
        for status in READY_STATUSES:
            gauge.labels(ready=status).set(0)

    def set(self, namespace: str, name: str, status: ReadyStatus) -> None:
        """Record the provider's current Ready status (anything but True/False counts as Unknown)."""
        new: ReadyStatus = status if status in READY_STATUSES else "Unknown"
        with self._lock:
            old = self._status.get((namespace, name))
            self._status[(namespace, name)] = new
            if old != new:
                if old is not None:
                    self._gauge.labels(ready=old).dec()
                self._gauge.labels(ready=new).inc()

    def forget(self, namespace: str, name: str) -> None:
        """The provider is gone (deleted, or no longer served by this operator)."""
        with self._lock:
            old = self._status.pop((namespace, name), None)
            if old is not None:
                self._gauge.labels(ready=old).dec()

    def counts(self) -> Mapping[ReadyStatus, int]:
        with self._lock:
            values = list(self._status.values())
        return {status: values.count(status) for status in READY_STATUSES}

    def __len__(self) -> int:
        with self._lock:
            return len(self._status)


class MissingPermissions:
    """``awsip_provider_missing_permissions{namespace, name}`` with bounded cardinality.

    * Only providers that currently miss at least one permission have a series; a provider that
      is fixed (count 0) or forgotten has its label set removed.
    * At most ``max_series`` providers have a series. Further ones are counted (as providers,
      not permissions) in the unlabelled ``..._overflow`` gauge. When a provider with a series is
      fixed, the longest-waiting overflowed provider takes its place, so the overflow gauge is
      non-zero only while more than ``max_series`` providers miss permissions.
    """

    def __init__(self, gauge: Gauge, overflow: Gauge, *, max_series: int = 500) -> None:
        if max_series < 0:
            raise ValueError("max_series must not be negative")
        self._gauge = gauge
        self._overflow = overflow
        self._max_series = max_series
        self._exported: dict[ProviderKey, int] = {}
        # Insertion-ordered: the first one waiting is the first one promoted.
        self._overflowed: dict[ProviderKey, int] = {}
        self._lock = threading.Lock()
        overflow.set(0)

    def set(self, namespace: str, name: str, count: int) -> None:
        """The number of required permissions the provider's role misses (0 when it has them all)."""
        key = (namespace, name)
        with self._lock:
            if count <= 0:
                self._remove(key)
            elif key in self._exported:
                self._exported[key] = count
                self._gauge.labels(namespace=namespace, name=name).set(count)
            elif key in self._overflowed:
                self._overflowed[key] = count
            elif len(self._exported) < self._max_series:
                self._exported[key] = count
                self._gauge.labels(namespace=namespace, name=name).set(count)
            else:
                self._overflowed[key] = count
            self._overflow.set(len(self._overflowed))

    def forget(self, namespace: str, name: str) -> None:
        self.set(namespace, name, 0)

    def _remove(self, key: ProviderKey) -> None:
        if self._overflowed.pop(key, None) is not None:
            return
        if self._exported.pop(key, None) is None:
            return
        self._gauge.remove(*key)
        if self._overflowed:
            promoted = next(iter(self._overflowed))
            count = self._overflowed.pop(promoted)
            self._exported[promoted] = count
            self._gauge.labels(namespace=promoted[0], name=promoted[1]).set(count)

    def exported(self) -> Mapping[ProviderKey, int]:
        with self._lock:
            return dict(self._exported)

    def overflowed(self) -> Mapping[ProviderKey, int]:
        with self._lock:
            return dict(self._overflowed)
