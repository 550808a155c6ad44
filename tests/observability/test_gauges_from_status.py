"""The per-provider gauges as a provider's status says (issue 14, item 5): the one source of them,
so that after a restart they are whole as soon as the providers are seen."""

from __future__ import annotations

from typing import Any

from awsip.observability.metrics import Metrics


def status(ready: str, *, missing: int | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "conditions": [
            {"type": "Ready", "status": ready, "reason": "R", "lastTransitionTime": "2026-01-01T00:00:00Z"}
        ]
    }
    if missing is not None:
        result["permissions"] = {"method": "Local", "requiredActions": 107, "missingActions": missing}
    return result


def value(m: Metrics, metric: str, /, **labels: str) -> float | None:
    return m.registry.get_sample_value(metric, labels)


def test_the_gauges_follow_the_status() -> None:
    m = Metrics()
    m.show_provider("team-a", "prod", status("True", missing=0))
    m.show_provider("team-a", "staging", status("False", missing=3))
    m.show_provider("team-b", "new", None)  # no status yet: served, not decided
    assert m.providers.counts() == {"True": 1, "False": 1, "Unknown": 1}
    assert value(m, "awsip_provider_missing_permissions", namespace="team-a", name="staging") == 3
    assert value(m, "awsip_provider_missing_permissions", namespace="team-a", name="prod") is None

    # A later status replaces the provider's values; one without permissions drops its series.
    m.show_provider("team-a", "staging", status("False"))
    assert value(m, "awsip_provider_missing_permissions", namespace="team-a", name="staging") is None
    m.show_provider("team-a", "staging", status("Maybe"))
    assert m.providers.counts() == {"True": 1, "False": 0, "Unknown": 2}


def test_a_status_of_any_shape_is_read_without_failing() -> None:
    m = Metrics()
    for odd in ({"conditions": "x"}, {"permissions": {"missingActions": "3"}}, {"conditions": [1, None]}):
        m.show_provider("team-a", "odd", odd)
    assert m.providers.counts()["Unknown"] == 1
