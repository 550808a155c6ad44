"""cap(): one way to cut a text to a limit, for messages, findings, refusals and events."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from awsip.textcap import ELLIPSIS, cap


def test_a_text_within_the_limit_is_kept_whole() -> None:
    assert cap("short", 5) == "short"
    assert cap("", 0) == ""


def test_a_longer_text_is_cut_to_the_limit_and_ends_in_the_ellipsis() -> None:
    assert cap("abcdefghij", 8) == "abcde..."
    assert ELLIPSIS == "..."


@pytest.mark.parametrize(("limit", "expected"), [(0, ""), (1, "a"), (2, "ab"), (3, "abc"), (4, "a...")])
def test_a_limit_too_small_for_the_ellipsis_keeps_the_first_characters(limit: int, expected: str) -> None:
    assert cap("abcdefghij", limit) == expected


@given(text=st.text(max_size=50), limit=st.integers(min_value=0, max_value=60))
def test_the_result_never_exceeds_the_limit_and_is_a_prefix_when_cut(text: str, limit: int) -> None:
    capped = cap(text, limit)
    assert len(capped) <= limit or capped == text
    if capped != text:
        assert len(capped) == limit
        assert text.startswith(capped.removesuffix(ELLIPSIS))
