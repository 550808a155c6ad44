"""Times as statuses hold them: written by format_time, read back by parse_time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from awsip.status import format_time, parse_time

NOW = datetime(2025, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-05-01T12:00:00Z", NOW),
        ("2025-05-01T12:00:00+00:00", NOW),
        ("2025-05-01T12:00:00", None),  # no zone: not a Kubernetes timestamp
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_time(text: Any, expected: datetime | None) -> None:
    assert parse_time(text) == expected


def test_a_written_time_reads_back() -> None:
    assert parse_time(format_time(NOW.replace(microsecond=123))) == NOW
