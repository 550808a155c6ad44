"""What separates two statuses (pure): whether anything changed, and the patch that says what.

- :func:`status_changed` -- whether writing ``new`` over ``old`` would change anything;
- :func:`merge_patch` -- the JSON merge patch (RFC 7386) turning one status into another; lists
  (conditions) are replaced whole. The status builders return unchanged conditions
  byte-identical, so when the verdict did not change the patch is ``lastVerifiedTime`` alone (the
  heartbeat);
- :func:`uid_bound_patch` -- the same change as a JSON patch (RFC 6902) that the API server applies
  only to the object with a given uid: its first operation tests ``/metadata/uid``. A merge patch
  cannot say that: the API server ignores ``metadata`` in a patch of the ``status`` subresource
  (a wrong ``metadata.uid`` there is accepted, tests/kubernetes_real shows it), while a failed
  ``test`` refuses the whole patch (HTTP 422) in the same transaction that would have written it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any


def status_changed(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> bool:
    """Whether patching ``new`` over ``old`` would change anything (compares everything, as JSON)."""
    return _canonical(old) != _canonical(new)


def _canonical(status: Mapping[str, Any] | None) -> str:
    return json.dumps(status or {}, sort_keys=True, default=str)


def merge_patch(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict[str, Any]:
    """The merge patch that turns ``old`` into ``new``: changed keys, and None for removed ones."""
    old = old or {}
    patch: dict[str, Any] = {}
    for key in old:
        if key not in new:
            patch[key] = None
    for key, value in new.items():
        before = old.get(key)
        if isinstance(value, Mapping) and isinstance(before, Mapping):
            nested = merge_patch(before, value)
            if nested:
                patch[key] = nested
        elif key not in old or before != value:
            patch[key] = copy.deepcopy(value)
    return patch


def uid_bound_patch(
    old: Mapping[str, Any] | None, new: Mapping[str, Any], *, uid: str | None
) -> list[dict[str, Any]]:
    """The change from status ``old`` to ``new`` as JSON patch operations, after a test that the
    object's uid is ``uid`` (none when ``uid`` is None); [] when nothing changes.

    The same change as :func:`merge_patch`, key for key: a changed member becomes an ``add`` (which
    sets a member whether or not it exists), a removed one an ``add`` of null and a ``remove`` (so
    that it cannot fail on a member already gone). Without an ``old`` status the whole status is
    added. Nested changes address their parents, which exist when ``old`` is the stored status; a
    patch made from a stale idea of it is refused (422) like a uid that differs, and the caller
    tells the two apart by reading the object.
    """
    operations: list[dict[str, Any]] = []
    if old:
        _operations(old, new, "/status", operations)
    elif new:
        operations.append({"op": "add", "path": "/status", "value": copy.deepcopy(dict(new))})
    if operations and uid is not None:
        operations.insert(0, {"op": "test", "path": "/metadata/uid", "value": uid})
    return operations


def _operations(old: Mapping[str, Any], new: Mapping[str, Any], path: str, out: list[dict[str, Any]]) -> None:
    for key in old:
        if key not in new:
            member = f"{path}/{_escape(str(key))}"
            out.append({"op": "add", "path": member, "value": None})
            out.append({"op": "remove", "path": member})
    for key, value in new.items():
        member = f"{path}/{_escape(str(key))}"
        before = old.get(key)
        if isinstance(value, Mapping) and isinstance(before, Mapping):
            _operations(before, value, member, out)
        elif key not in old or before != value:
            out.append({"op": "add", "path": member, "value": copy.deepcopy(value)})


def _escape(key: str) -> str:
    """A JSON pointer's reference token (RFC 6901)."""
    return key.replace("~", "~0").replace("/", "~1")
