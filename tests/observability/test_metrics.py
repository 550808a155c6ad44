"""Recording metrics: values, bounded labels, the per-provider trackers, thread safety."""

from __future__ import annotations

import threading

import pytest
from prometheus_client import REGISTRY as GLOBAL_REGISTRY
from prometheus_client import CollectorRegistry, Gauge

from awsip.observability import metrics as module
from awsip.observability.metrics import Metrics
from awsip.observability.trackers import MissingPermissions


def value(m: Metrics, metric: str, /, **labels: str) -> float | None:
    return m.registry.get_sample_value(metric, labels)


def test_default_instance_uses_its_own_registry_not_the_global_one() -> None:
    assert module.REGISTRY is module.METRICS.registry
    assert module.REGISTRY is not GLOBAL_REGISTRY
    assert GLOBAL_REGISTRY.get_sample_value("awsip_providers", {"ready": "True"}) is None


def test_two_instances_do_not_collide(metrics: Metrics) -> None:
    other = Metrics()
    metrics.record_cache(hit=True)
    assert value(metrics, "awsip_policy_cache_requests_total", result="hit") == 1
    assert value(other, "awsip_policy_cache_requests_total", result="hit") == 0


def test_module_functions_record_on_the_default_registry() -> None:
    def sample(name: str, **labels: str) -> float:
        return module.REGISTRY.get_sample_value(name, labels) or 0.0

    before = sample("awsip_verifications_total", result="ready", reason="Verified")
    before_wait = sample("awsip_rate_limiter_wait_seconds_count")
    module.record_verification("ready", "Verified", 1.5)
    module.record_rate_limit_wait(0.2)
    module.record_cache(hit=False)
    module.record_aws_call("sts", "AssumeRole", None)
    module.record_throttle("iam", "111122223333")
    assert sample("awsip_verifications_total", result="ready", reason="Verified") == before + 1
    assert sample("awsip_rate_limiter_wait_seconds_count") == before_wait + 1
    assert sample("awsip_policy_cache_requests_total", result="miss") >= 1
    assert sample("awsip_aws_calls_total", service="sts", operation="AssumeRole", error_code="") >= 1
    assert sample("awsip_aws_throttles_total", service="iam", account="111122223333") >= 1


def test_verifications_by_result_and_reason_with_duration(metrics: Metrics) -> None:
    metrics.record_verification("ready", "Verified", 0.8)
    metrics.record_verification("not_ready", "MissingPermissions", 2.5)
    metrics.record_verification("not_ready", "MissingPermissions", 3.0)
    metrics.record_verification("transient", "Throttled", 31.0)
    assert value(metrics, "awsip_verifications_total", result="ready", reason="Verified") == 1
    assert value(metrics, "awsip_verifications_total", result="not_ready", reason="MissingPermissions") == 2
    assert value(metrics, "awsip_verification_duration_seconds_count") == 4
    assert value(metrics, "awsip_verification_duration_seconds_sum") == pytest.approx(37.3)
    assert value(metrics, "awsip_verification_duration_seconds_bucket", le="0.05") == 0
    assert value(metrics, "awsip_verification_duration_seconds_bucket", le="1.0") == 1
    assert value(metrics, "awsip_verification_duration_seconds_bucket", le="30.0") == 3
    assert value(metrics, "awsip_verification_duration_seconds_bucket", le="+Inf") == 4


def test_unknown_result_is_a_programming_error(metrics: Metrics) -> None:
    with pytest.raises(ValueError, match="verification result"):
        metrics.record_verification("maybe", "Verified", 1.0)  # type: ignore[arg-type]


def test_reasons_are_bounded() -> None:
    metrics = Metrics()
    metrics.record_verification("error", "not a reason; DROP TABLE", 0.1)
    assert value(metrics, "awsip_verifications_total", result="error", reason="Other") == 1
    for i in range(100):
        metrics.record_verification("not_ready", f"Reason{i}", 0.1)
    reasons = {
        sample.labels["reason"]
        for family in metrics.registry.collect()
        if family.name == "awsip_verifications"
        for sample in family.samples
        if sample.name.endswith("_total")
    }
    assert len(reasons) == 64 + 1  # the first 64 reasons plus "Other"
    assert value(metrics, "awsip_verifications_total", result="not_ready", reason="Other") == 100 - 64
    metrics.record_verification("ready", "Reason3", 0.1)  # seen before: keeps its own series
    assert value(metrics, "awsip_verifications_total", result="ready", reason="Reason3") == 1


def test_aws_calls_with_bounded_error_codes(metrics: Metrics) -> None:
    metrics.record_aws_call("iam", "GetRole", None)
    metrics.record_aws_call("iam", "GetRole", "")
    metrics.record_aws_call("iam", "GetRole", "NoSuchEntity")
    metrics.record_aws_call("sts", "AssumeRole", "Throttling")
    metrics.record_aws_call("sts", "AssumeRole", "SomethingNobodyHasSeenBefore")
    metrics.record_aws_call("sts", "AssumeRole", "Free text with spaces")
    metrics.record_aws_call("Not A Service", "not an operation!", None)
    assert value(metrics, "awsip_aws_calls_total", service="iam", operation="GetRole", error_code="") == 2
    assert (
        value(metrics, "awsip_aws_calls_total", service="iam", operation="GetRole", error_code="NoSuchEntity")
        == 1
    )
    assert (
        value(
            metrics, "awsip_aws_calls_total", service="sts", operation="AssumeRole", error_code="Throttling"
        )
        == 1
    )
    assert (
        value(metrics, "awsip_aws_calls_total", service="sts", operation="AssumeRole", error_code="Other")
        == 2
    )
    assert value(metrics, "awsip_aws_calls_total", service="Other", operation="Other", error_code="") == 1


def test_cache_and_rate_limiter(metrics: Metrics) -> None:
    assert value(metrics, "awsip_policy_cache_requests_total", result="hit") == 0
    assert value(metrics, "awsip_policy_cache_requests_total", result="miss") == 0
    for hit in (True, True, False):
        metrics.record_cache(hit)
    assert value(metrics, "awsip_policy_cache_requests_total", result="hit") == 2
    assert value(metrics, "awsip_policy_cache_requests_total", result="miss") == 1
    for seconds in (0.0, 0.0, 0.03, 1.2):
        metrics.record_rate_limit_wait(seconds)
    assert value(metrics, "awsip_rate_limiter_wait_seconds_count") == 4
    assert value(metrics, "awsip_rate_limiter_wait_seconds_bucket", le="0.001") == 2
    assert value(metrics, "awsip_rate_limiter_wait_seconds_bucket", le="0.05") == 3
    assert value(metrics, "awsip_rate_limiter_wait_seconds_sum") == pytest.approx(1.23)


def test_throttles_by_service_and_bounded_account(metrics: Metrics) -> None:
    metrics.record_throttle("iam", "111122223333")
    metrics.record_throttle("iam", "111122223333")
    metrics.record_throttle("sts", "operator")
    metrics.record_throttle("iam", "not-an-account")
    assert value(metrics, "awsip_aws_throttles_total", service="iam", account="111122223333") == 2
    assert value(metrics, "awsip_aws_throttles_total", service="sts", account="operator") == 1
    assert value(metrics, "awsip_aws_throttles_total", service="iam", account="Other") == 1


def test_throttled_accounts_beyond_the_cap_count_as_other() -> None:
    metrics = Metrics()
    for i in range(module.MAX_ACCOUNT_SERIES + 3):
        metrics.record_throttle("iam", f"{100000000000 + i}")
    assert value(metrics, "awsip_aws_throttles_total", service="iam", account="Other") == 3
    assert value(metrics, "awsip_aws_throttles_total", service="iam", account="100000000000") == 1


def test_rate_limits_are_read_at_scrape_time(metrics: Metrics) -> None:
    assert value(metrics, "awsip_aws_sts_rate_limit", region="us-east-1") is None
    rates = [
        module.RateLimitSample("sts", "us-east-1", 35.0, 50.0),
        module.RateLimitSample("account", "111122223333", 4.2, 10.0),
        module.RateLimitSample("account", "444455556666", 10.0, 10.0),
    ]
    metrics.watch_rate_limits(lambda: rates)
    assert value(metrics, "awsip_aws_sts_rate_limit", region="us-east-1") == 35.0
    # Accounts have a series only while throttling holds them below their limit.
    assert value(metrics, "awsip_aws_rate_limit", account="111122223333") == 4.2
    assert value(metrics, "awsip_aws_rate_limit", account="444455556666") is None
    rates[1] = module.RateLimitSample("account", "111122223333", 10.0, 10.0)
    assert value(metrics, "awsip_aws_rate_limit", account="111122223333") is None


def test_provider_readiness_counts(metrics: Metrics) -> None:
    def counts() -> tuple[float | None, ...]:
        return tuple(value(metrics, "awsip_providers", ready=s) for s in ("True", "False", "Unknown"))

    assert counts() == (0, 0, 0)
    providers = metrics.providers
    providers.set("a", "p1", "Unknown")
    providers.set("a", "p2", "True")
    providers.set("b", "p1", "False")
    assert counts() == (1, 1, 1)
    providers.set("a", "p1", "True")
    providers.set("a", "p1", "True")  # unchanged: no double count
    assert counts() == (2, 1, 0)
    providers.forget("a", "p2")
    providers.forget("a", "p2")  # already gone
    providers.forget("zz", "never-seen")
    assert counts() == (1, 1, 0)
    providers.set("b", "p1", "Weird")  # type: ignore[arg-type]
    assert counts() == (1, 0, 1)
    assert len(providers) == 2
    assert providers.counts() == {"True": 1, "False": 0, "Unknown": 1}


def test_missing_permissions_series_exist_only_while_something_is_missing(metrics: Metrics) -> None:
    gauge = "awsip_provider_missing_permissions"
    metrics.set_missing_permissions("team-a", "aws-prod", 3)
    metrics.set_missing_permissions("team-b", "aws-dev", 0)
    assert value(metrics, gauge, namespace="team-a", name="aws-prod") == 3
    assert value(metrics, gauge, namespace="team-b", name="aws-dev") is None
    metrics.set_missing_permissions("team-a", "aws-prod", 1)
    assert value(metrics, gauge, namespace="team-a", name="aws-prod") == 1
    metrics.set_missing_permissions("team-a", "aws-prod", 0)  # fixed
    assert value(metrics, gauge, namespace="team-a", name="aws-prod") is None
    metrics.set_missing_permissions("team-a", "aws-prod", 2)
    metrics.set_provider_ready("team-a", "aws-prod", "False")
    metrics.forget_provider("team-a", "aws-prod")  # deleted
    assert value(metrics, gauge, namespace="team-a", name="aws-prod") is None
    assert value(metrics, "awsip_providers", ready="False") == 0
    assert value(metrics, "awsip_provider_missing_permissions_overflow") == 0


def test_missing_permissions_are_capped_with_an_overflow_gauge() -> None:
    metrics = Metrics(max_missing_permission_series=2)
    gauge = "awsip_provider_missing_permissions"
    for i in range(5):
        metrics.set_missing_permissions("ns", f"p{i}", i + 1)
    assert value(metrics, gauge, namespace="ns", name="p0") == 1
    assert value(metrics, gauge, namespace="ns", name="p1") == 2
    assert all(value(metrics, gauge, namespace="ns", name=f"p{i}") is None for i in (2, 3, 4))
    assert value(metrics, "awsip_provider_missing_permissions_overflow") == 3

    metrics.set_missing_permissions("ns", "p3", 7)  # an overflowed one changes: still overflowed
    metrics.set_missing_permissions("ns", "p0", 0)  # fixed: the longest-waiting one takes its place
    assert value(metrics, gauge, namespace="ns", name="p0") is None
    assert value(metrics, gauge, namespace="ns", name="p2") == 3
    assert value(metrics, "awsip_provider_missing_permissions_overflow") == 2

    metrics.forget_provider("ns", "p4")  # an overflowed one is deleted
    assert value(metrics, "awsip_provider_missing_permissions_overflow") == 1
    metrics.forget_provider("ns", "p1")
    assert value(metrics, gauge, namespace="ns", name="p3") == 7
    assert value(metrics, "awsip_provider_missing_permissions_overflow") == 0
    assert dict(metrics.missing_permissions.exported()) == {("ns", "p2"): 3, ("ns", "p3"): 7}


def test_missing_permissions_rejects_a_negative_cap() -> None:
    registry = CollectorRegistry()
    with pytest.raises(ValueError):
        MissingPermissions(
            Gauge("g", "g", ["namespace", "name"], registry=registry),
            Gauge("o", "o", registry=registry),
            max_series=-1,
        )


def test_recording_is_thread_safe(metrics: Metrics) -> None:
    threads_n, per_thread = 8, 500

    def work(t: int) -> None:
        for i in range(per_thread):
            metrics.record_aws_call("iam", "GetRole", None)
            metrics.record_cache(hit=i % 2 == 0)
            metrics.providers.set("ns", f"p{i % 50}", "True" if (i + t) % 2 else "False")
            metrics.set_missing_permissions("ns", f"p{i % 50}", (i + t) % 3)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = threads_n * per_thread
    assert value(metrics, "awsip_aws_calls_total", service="iam", operation="GetRole", error_code="") == total
    assert value(metrics, "awsip_policy_cache_requests_total", result="hit") == total / 2
    ready = [value(metrics, "awsip_providers", ready=s) for s in ("True", "False", "Unknown")]
    assert sum(v or 0 for v in ready) == 50
    assert ready == [float(metrics.providers.counts()[s]) for s in ("True", "False", "Unknown")]
    exported = metrics.missing_permissions.exported()
    for (namespace, name), count in exported.items():
        assert value(metrics, "awsip_provider_missing_permissions", namespace=namespace, name=name) == count
    series = [
        s
        for family in metrics.registry.collect()
        if family.name == "awsip_provider_missing_permissions"
        for s in family.samples
    ]
    assert len(series) == len(exported)
