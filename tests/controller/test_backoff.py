"""The controller's one backoff: providers' retries (spread) and the object watch's (not spread)."""

from __future__ import annotations

import pytest

from awsip.controller import scheduling
from awsip.controller.backoff import retry_delay


def test_retry_delay_grows_exponentially_up_to_the_cap() -> None:
    delays = [retry_delay(n, base=5, cap=300, spread_key="k") for n in range(1, 10)]
    stretch = 1 + 0.25 * scheduling.fraction("retry:k")
    assert delays[:4] == pytest.approx([5 * stretch, 10 * stretch, 20 * stretch, 40 * stretch])
    assert delays[-1] == pytest.approx(300 * stretch)
    assert delays == sorted(delays)
    assert retry_delay(10_000, base=5, cap=300, spread_key="k") == pytest.approx(300 * stretch)


def test_without_a_spread_key_the_delay_is_exact() -> None:
    assert [retry_delay(n, base=1, cap=30) for n in (0, 1, 2, 3, 5, 6, 100)] == [1, 1, 2, 4, 16, 30, 30]


def test_providers_failing_together_retry_apart() -> None:
    delays = {retry_delay(1, base=5, cap=300, spread_key=f"uid-{i}") for i in range(100)}
    assert len(delays) > 90 and min(delays) >= 5 and max(delays) <= 6.25
