"""Prometheus metrics of the operator, on a registry of their own.

Everything hangs off a :class:`Metrics` object; the module-level functions below record on the
process-wide default instance :data:`METRICS` (whose registry is :data:`REGISTRY`), so call sites
are one line each::

    from awsip.observability import metrics
    metrics.record_verification("ready", "Verified", 1.7)

Tests that need isolated values build their own ``Metrics()``. Recording is thread-safe.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from awsip.api.condition_reasons import ConditionType, find_condition
from awsip.observability.labels import (
    OTHER,
    ReasonLabels,
    error_code_label,
    operation_label,
    result_label,
    service_label,
)
from awsip.observability.labels import (
    VerificationOutcome as VerificationOutcome,
)
from awsip.observability.trackers import MissingPermissions, ProviderReadiness
from awsip.observability.trackers import ReadyStatus as ReadyStatus

#: One verification: assume role (~0.1-1 s), IAM reads and simulation (seconds), rate-limited.
VERIFICATION_BUCKETS: Final = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0)
#: Waiting for the AWS rate limits (bucket and global cap): usually 0, up to seconds under load.
RATE_LIMIT_WAIT_BUCKETS: Final = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: Providers with a series of their own in awsip_provider_missing_permissions.
MAX_MISSING_PERMISSION_SERIES: Final = 500
#: Accounts with a series of their own in awsip_aws_throttles_total (others count as "Other").
MAX_ACCOUNT_SERIES: Final = 500


class RateLimitSample(NamedTuple):
    """One rate-limit bucket at scrape time (what :meth:`Metrics.watch_rate_limits` is given)."""

    kind: str
    """``"sts"`` (the operator's STS calls; ``name`` is the Region) or ``"account"``."""
    name: str
    rate: float
    limit: float


class AccountLabels:
    """AWS account ids as a label: 12 digits (or ``operator``), at most ``limit`` distinct values."""

    _ACCOUNT = re.compile(r"^([0-9]{12}|operator)$")

    def __init__(self, limit: int = MAX_ACCOUNT_SERIES) -> None:
        self._limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, account: str) -> str:
        if not self._ACCOUNT.match(account):
            return OTHER
        with self._lock:
            if account in self._seen:
                return account
            if len(self._seen) >= self._limit:
                return OTHER
            self._seen.add(account)
            return account


class _RateLimitCollector(Collector):
    """The rates of the moment, read from the AWS layer's buckets at each scrape."""

    def __init__(self) -> None:
        self.source: Callable[[], Sequence[RateLimitSample]] | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        accounts = GaugeMetricFamily(
            "awsip_aws_rate_limit",
            "Calls per second allowed now in an AWS account, while AWS's throttling holds it below "
            "--account-calls-per-second (no series: the full rate).",
            labels=["account"],
        )
        sts = GaugeMetricFamily(
            "awsip_aws_sts_rate_limit",
            "Calls per second allowed now for the operator's own STS calls, by Region.",
            labels=["region"],
        )
        source = self.source
        for sample in source() if source is not None else ():
            if sample.kind == "sts":
                sts.add_metric([sample.name], sample.rate)
            elif sample.rate < sample.limit:
                accounts.add_metric([sample.name], sample.rate)
        yield accounts
        yield sts

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily("awsip_aws_rate_limit", "", labels=["account"])
        yield GaugeMetricFamily("awsip_aws_sts_rate_limit", "", labels=["region"])


class Metrics:
    """All awsip metrics, registered on ``registry`` (a new one unless given).

    ``process_collectors`` adds the usual ``process_*`` (CPU, memory, file descriptors),
    ``python_gc_*`` and ``python_info`` metrics, which only the global default registry has.
    """

    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        *,
        max_missing_permission_series: int = MAX_MISSING_PERMISSION_SERIES,
        process_collectors: bool = False,
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        r = self.registry
        if process_collectors:
            ProcessCollector(registry=r)
            PlatformCollector(registry=r)
            GCCollector(registry=r)
        self.verifications = Counter(
            "awsip_verifications",
            "Verifications of providers, by outcome and Ready reason.",
            ["result", "reason"],
            registry=r,
        )
        self.verification_duration = Histogram(
            "awsip_verification_duration_seconds",
            "Wall-clock duration of one verification of one provider.",
            buckets=VERIFICATION_BUCKETS,
            registry=r,
        )
        self.aws_calls = Counter(
            "awsip_aws_calls",
            'AWS API calls (after botocore retries), by service, operation and error code ("" = success).',
            ["service", "operation", "error_code"],
            registry=r,
        )
        self.providers_gauge = Gauge(
            "awsip_providers",
            "Providers served by this operator, by the status of their Ready condition.",
            ["ready"],
            registry=r,
        )
        self.missing_permissions_gauge = Gauge(
            "awsip_provider_missing_permissions",
            "Required permissions the provider's role misses; only providers missing some, "
            f"at most {max_missing_permission_series} series.",
            ["namespace", "name"],
            registry=r,
        )
        self.missing_permissions_overflow = Gauge(
            "awsip_provider_missing_permissions_overflow",
            "Providers missing permissions that have no awsip_provider_missing_permissions series "
            "because of its cardinality cap.",
            registry=r,
        )
        self.policy_cache = Counter(
            "awsip_policy_cache_requests",
            "Lookups in the IAM policy-document cache.",
            ["result"],
            registry=r,
        )
        self.rate_limit_wait = Histogram(
            "awsip_rate_limiter_wait_seconds",
            "Time each HTTP attempt to AWS waited for the rate limits (its bucket and the global cap).",
            buckets=RATE_LIMIT_WAIT_BUCKETS,
            registry=r,
        )
        self.aws_throttles = Counter(
            "awsip_aws_throttles",
            "Throttling answers from AWS (each HTTP attempt, retries included), by service and by "
            "the account whose quota the call counts against.",
            ["service", "account"],
            registry=r,
        )
        self._rate_limits = _RateLimitCollector()
        r.register(self._rate_limits)
        self._accounts = AccountLabels()
        for result in ("hit", "miss"):
            self.policy_cache.labels(result=result)
        self.providers = ProviderReadiness(self.providers_gauge)
        self.missing_permissions = MissingPermissions(
            self.missing_permissions_gauge,
            self.missing_permissions_overflow,
            max_series=max_missing_permission_series,
        )
        self._reasons = ReasonLabels()

    def record_verification(self, result: VerificationOutcome, reason: str, duration_s: float) -> None:
        self.verifications.labels(result=result_label(result), reason=self._reasons(reason)).inc()
        self.verification_duration.observe(max(0.0, duration_s))

    def record_aws_call(self, service: str, operation: str, error_code: str | None) -> None:
        self.aws_calls.labels(
            service=service_label(service),
            operation=operation_label(operation),
            error_code=error_code_label(error_code),
        ).inc()

    def record_cache(self, hit: bool) -> None:
        self.policy_cache.labels(result="hit" if hit else "miss").inc()

    def record_rate_limit_wait(self, seconds: float) -> None:
        self.rate_limit_wait.observe(max(0.0, seconds))

    def record_throttle(self, service: str, account: str) -> None:
        self.aws_throttles.labels(service=service_label(service), account=self._accounts(account)).inc()

    def watch_rate_limits(self, source: Callable[[], Sequence[RateLimitSample]]) -> None:
        """Read ``awsip_aws_rate_limit`` and ``awsip_aws_sts_rate_limit`` from ``source`` at each
        scrape (the operator's one :class:`awsip.aws.AwsServices`; a later call replaces it)."""
        self._rate_limits.source = source

    def set_missing_permissions(self, namespace: str, name: str, count: int) -> None:
        self.missing_permissions.set(namespace, name, count)

    def set_provider_ready(self, namespace: str, name: str, status: ReadyStatus) -> None:
        self.providers.set(namespace, name, status)

    def forget_provider(self, namespace: str, name: str) -> None:
        self.providers.forget(namespace, name)
        self.missing_permissions.forget(namespace, name)

    def show_provider(self, namespace: str, name: str, status: Mapping[str, Any] | None) -> None:
        """Both per-provider gauges as the provider's status says: Ready's status (Unknown without
        one) and ``status.permissions.missingActions`` (no series without it).

        The one source of the gauges, after every status write and on every status observed: after
        a restart they are rebuilt from the stored statuses at once, not as providers come due."""
        ready = find_condition(status, ConditionType.READY)
        value = ready.get("status") if ready is not None else None
        self.providers.set(namespace, name, value if value in ("True", "False") else "Unknown")
        permissions = status.get("permissions") if isinstance(status, Mapping) else None
        missing = permissions.get("missingActions") if isinstance(permissions, Mapping) else None
        self.missing_permissions.set(namespace, name, missing if isinstance(missing, int) else 0)


METRICS: Final = Metrics(process_collectors=True)
REGISTRY: Final = METRICS.registry


def record_verification(result: VerificationOutcome, reason: str, duration_s: float) -> None:
    """One finished verification: result ready|not_ready|transient|error, the Ready reason, seconds."""
    METRICS.record_verification(result, reason, duration_s)


def record_aws_call(service: str, operation: str, error_code: str | None) -> None:
    """One AWS API call; ``error_code`` None or "" on success. Usually via botocore_hooks instead."""
    METRICS.record_aws_call(service, operation, error_code)


def record_cache(hit: bool) -> None:
    """One lookup in the policy-document cache."""
    METRICS.record_cache(hit)


def record_rate_limit_wait(seconds: float) -> None:
    """Time one call waited for the rate limits; record 0 for calls that did not wait."""
    METRICS.record_rate_limit_wait(seconds)


def record_throttle(service: str, account: str) -> None:
    """One throttling answer from AWS for a call that counts against ``account``."""
    METRICS.record_throttle(service, account)


def set_missing_permissions(namespace: str, name: str, count: int) -> None:
    """The provider's number of missing required permissions (0 removes its series)."""
    METRICS.set_missing_permissions(namespace, name, count)


def set_provider_ready(namespace: str, name: str, status: ReadyStatus) -> None:
    """The provider's Ready condition status: "True", "False" or "Unknown"."""
    METRICS.set_provider_ready(namespace, name, status)


def show_provider(namespace: str, name: str, status: Mapping[str, Any] | None) -> None:
    """The provider's gauges as its (stored or written) status says; see :meth:`Metrics.show_provider`."""
    METRICS.show_provider(namespace, name, status)


def forget_provider(namespace: str, name: str) -> None:
    """The provider was deleted (or left this operator's shard): drop all its per-provider state."""
    METRICS.forget_provider(namespace, name)


@dataclass
class MetricsServer:
    """The running ``/metrics`` endpoint; ``close()`` stops it (idempotent)."""

    address: str
    port: int
    _server: WSGIServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _closed: bool = field(default=False, repr=False)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> MetricsServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def start_metrics_server(
    port: int, addr: str = "0.0.0.0", *, registry: CollectorRegistry | None = None
) -> MetricsServer:
    """Serve ``registry`` (default :data:`REGISTRY`) on ``http://addr:port/metrics`` in a daemon thread.

    ``port=0`` binds a free port; the bound one is ``.port``.
    """
    server, thread = start_http_server(
        port, addr=addr, registry=registry if registry is not None else REGISTRY
    )
    return MetricsServer(address=addr, port=int(server.server_address[1]), _server=server, _thread=thread)
