"""What separates two statuses (pure): whether anything changed, and the patch that says what.

- :func:`status_changed` -- whether writing ``new`` over ``old`` would change anything;
- :func:`merge_patch` -- the JSON merge patch (RFC 7386) turning one status into another; kmock
  and the API server both understand it, and lists (conditions) are replaced whole. The status
  builders return unchanged conditions byte-identical, so when the verdict did not change the
  patch is ``lastVerifiedTime`` alone (the heartbeat).
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
