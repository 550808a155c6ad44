"""uid_bound_patch: the status change as a JSON patch bound to one object's uid (issue 14, item 1)."""

from __future__ import annotations

import copy
from typing import Any

import jsonpatch
import pytest

from awsip.status import merge_patch, uid_bound_patch

UID = "6f1c1b7e-0000-4000-8000-000000000001"
OLD: dict[str, Any] = {
    "conditions": [{"type": "Ready", "status": "True"}],
    "lastVerifiedTime": "2026-01-01T00:00:00Z",
    "permissions": {"method": "Local", "missingActions": 0, "missing": []},
    "a/b~c": 1,
}


def applied(status: dict[str, Any] | None, operations: list[dict[str, Any]], *, uid: str = UID) -> Any:
    obj: dict[str, Any] = {"metadata": {"uid": uid}}
    if status is not None:
        obj["status"] = copy.deepcopy(status)
    return jsonpatch.apply_patch(obj, operations)["status"]


@pytest.mark.parametrize(
    "new",
    [
        {**OLD, "lastVerifiedTime": "2026-01-01T01:00:00Z"},  # the heartbeat
        {**OLD, "permissions": {"method": "Local", "missingActions": 2, "missing": [{"action": "x"}]}},
        {k: v for k, v in OLD.items() if k not in ("permissions", "a/b~c")},  # members removed
        {**OLD, "accountID": "123456789012", "trustPolicy": {"findings": []}},  # members added
    ],
)
def test_the_patch_makes_the_new_status_on_the_object_with_the_uid_only(new: dict[str, Any]) -> None:
    operations = uid_bound_patch(OLD, new, uid=UID)
    assert operations[0] == {"op": "test", "path": "/metadata/uid", "value": UID}
    assert applied(OLD, operations) == new
    with pytest.raises(jsonpatch.JsonPatchTestFailed):
        applied(OLD, operations, uid="another-object")


def test_a_heartbeat_is_one_member() -> None:
    new = {**OLD, "lastVerifiedTime": "2026-01-01T01:00:00Z"}
    assert uid_bound_patch(OLD, new, uid=UID)[1:] == [
        {"op": "add", "path": "/status/lastVerifiedTime", "value": "2026-01-01T01:00:00Z"}
    ]
    assert list(merge_patch(OLD, new)) == ["lastVerifiedTime"]  # the same change


def test_without_a_status_the_whole_status_is_added() -> None:
    operations = uid_bound_patch(None, OLD, uid=UID)
    assert operations[1:] == [{"op": "add", "path": "/status", "value": OLD}]
    assert applied(None, operations) == OLD


def test_nothing_to_change_is_no_patch_and_no_uid_is_no_test() -> None:
    assert uid_bound_patch(OLD, copy.deepcopy(OLD), uid=UID) == []
    assert all(op["op"] != "test" for op in uid_bound_patch(OLD, {}, uid=None))


def test_a_patch_made_for_a_status_no_longer_stored_is_refused_not_misapplied() -> None:
    new = {**OLD, "permissions": {**OLD["permissions"], "missingActions": 1}}
    with pytest.raises(jsonpatch.JsonPointerException):
        applied({}, uid_bound_patch(OLD, new, uid=UID))
