"""The /metrics endpoint over HTTP on loopback, parsed back with prometheus_client's parser."""

from __future__ import annotations

import urllib.error

import pytest
from prometheus_client.parser import text_string_to_metric_families

from awsip.observability.metrics import Metrics, start_metrics_server
from tests.support.metrics_scrape import fetch, parse_exposition, sample_key, scrape


def test_scrape_after_recording(metrics: Metrics) -> None:
    metrics.record_verification("ready", "Verified", 0.4)
    metrics.record_verification("not_ready", "MissingPermissions", 2.0)
    metrics.record_aws_call("iam", "GetRole", "NoSuchEntity")
    metrics.record_cache(hit=True)
    metrics.record_rate_limit_wait(0.02)
    metrics.providers.set("team-a", "aws-prod", "False")
    metrics.providers.set("team-a", "aws-dev", "True")
    metrics.set_missing_permissions("team-a", "aws-prod", 4)

    with start_metrics_server(0, addr="127.0.0.1", registry=metrics.registry) as server:
        assert server.port > 0
        text = fetch(server.port)
        samples = scrape(server.port)

    families = {family.name: family for family in text_string_to_metric_families(text)}
    assert families["awsip_verifications"].type == "counter"
    assert families["awsip_verification_duration_seconds"].type == "histogram"
    assert families["awsip_providers"].type == "gauge"
    assert families["awsip_rate_limiter_wait_seconds"].type == "histogram"
    assert {
        "awsip_aws_calls",
        "awsip_provider_missing_permissions",
        "awsip_provider_missing_permissions_overflow",
        "awsip_policy_cache_requests",
    } <= set(families)
    assert all(name.startswith("awsip_") for name in families)

    assert samples[sample_key("awsip_verifications_total", result="ready", reason="Verified")] == 1
    assert (
        samples[sample_key("awsip_verifications_total", result="not_ready", reason="MissingPermissions")] == 1
    )
    assert samples["awsip_verification_duration_seconds_count"] == 2
    assert samples[sample_key("awsip_verification_duration_seconds_bucket", le="0.5")] == 1
    key = sample_key("awsip_aws_calls_total", service="iam", operation="GetRole", error_code="NoSuchEntity")
    assert samples[key] == 1
    assert samples[sample_key("awsip_policy_cache_requests_total", result="hit")] == 1
    assert samples[sample_key("awsip_policy_cache_requests_total", result="miss")] == 0
    assert samples["awsip_rate_limiter_wait_seconds_count"] == 1
    assert samples[sample_key("awsip_providers", ready="True")] == 1
    assert samples[sample_key("awsip_providers", ready="False")] == 1
    assert samples[sample_key("awsip_providers", ready="Unknown")] == 0
    assert samples[sample_key("awsip_provider_missing_permissions", namespace="team-a", name="aws-prod")] == 4
    assert sample_key("awsip_provider_missing_permissions", namespace="team-a", name="aws-dev") not in samples
    assert samples["awsip_provider_missing_permissions_overflow"] == 0


def test_close_stops_serving_and_frees_the_port(metrics: Metrics) -> None:
    server = start_metrics_server(0, addr="127.0.0.1", registry=metrics.registry)
    port = server.port
    assert "awsip_providers" in fetch(port)
    server.close()
    server.close()  # idempotent
    with pytest.raises(urllib.error.URLError):
        fetch(port, timeout=1)
    with start_metrics_server(port, addr="127.0.0.1", registry=metrics.registry) as again:  # port is free
        assert again.port == port
        assert "awsip_providers" in fetch(port)


def test_default_registry_is_served() -> None:
    with start_metrics_server(0, addr="127.0.0.1") as server:
        samples = scrape(server.port)
    assert sample_key("awsip_providers", ready="True") in samples
    assert "process_resident_memory_bytes" in samples  # the process collectors, as on the default
    assert any(key.startswith("python_info{") for key in samples)


def test_sample_keys_sort_and_escape_labels() -> None:
    assert sample_key("m") == "m"
    assert sample_key("m", b="2", a="1") == 'm{a="1",b="2"}'
    assert sample_key("m", name='x"y\\z') == 'm{name="x\\"y\\\\z"}'
    text = '# TYPE m gauge\nm{b="2",a="1"} 3\nm{name="x\\"y\\\\z"} 4\n'
    assert parse_exposition(text) == {'m{a="1",b="2"}': 3.0, 'm{name="x\\"y\\\\z"}': 4.0}
