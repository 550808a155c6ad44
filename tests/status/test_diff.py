"""status_changed and merge_patch: what a status patch sends."""

from __future__ import annotations

from typing import Any

from awsip.status import merge_patch, status_changed


def ready(status: str, reason: str) -> dict[str, Any]:
    return {
        "conditions": [
            {
                "type": "Ready",
                "status": status,
                "reason": reason,
                "lastTransitionTime": "2025-01-01T00:00:00Z",
            }
        ]
    }


def test_merge_patch_sends_only_what_changed() -> None:
    old = {"a": 1, "b": {"c": 2, "d": 3}, "gone": True, "list": [1, 2], "same": {"x": 1}}
    new = {"a": 1, "b": {"c": 2, "d": 4, "e": 5}, "list": [1], "same": {"x": 1}, "added": "y"}
    assert merge_patch(old, new) == {"b": {"d": 4, "e": 5}, "gone": None, "list": [1], "added": "y"}


def test_merge_patch_of_equal_statuses_is_empty() -> None:
    status = ready("True", "Verified") | {"lastVerifiedTime": "2025-05-01T12:00:00Z"}
    assert merge_patch(status, dict(status)) == {}
    assert merge_patch(None, {"a": 1}) == {"a": 1}


def test_merge_patch_replaces_dicts_and_scalars_across_types() -> None:
    assert merge_patch({"a": {"b": 1}}, {"a": 2}) == {"a": 2}
    assert merge_patch({"a": 2}, {"a": {"b": 1}}) == {"a": {"b": 1}}


def test_status_changed_compares_everything_whatever_the_key_order() -> None:
    status = ready("True", "Verified") | {"lastVerifiedTime": "2025-05-01T12:00:00Z"}
    assert not status_changed(status, dict(reversed(list(status.items()))))
    assert status_changed(status, status | {"lastVerifiedTime": "2025-05-01T13:00:00Z"})
    assert status_changed(None, status) and not status_changed(None, {})
