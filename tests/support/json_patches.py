"""Status patches as the tests read them: the JSON patch the operator sends (a uid test, then adds
and removes of status members; awsip.status.uid_bound_patch) seen as the merge patch it amounts to."""

from __future__ import annotations

import copy
from typing import Any


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def merge_view(operations: list[dict[str, Any]]) -> dict[str, Any]:
    """What ``operations`` do to the status, as a merge patch (removed members are None).

    Operations outside ``/status`` (the uid test; the resourceVersion the sandbox's emulator adds)
    are left out. An ``add`` of null followed by a ``remove`` of the same member is one removal.
    """
    view: dict[str, Any] = {}
    for operation in operations:
        path = str(operation.get("path", ""))
        if path == "/status" and operation.get("op") == "add":
            view.update(copy.deepcopy(operation["value"]))
            continue
        if not path.startswith("/status/"):
            continue
        tokens = [_unescape(t) for t in path.removeprefix("/status/").split("/")]
        target = view
        for token in tokens[:-1]:
            target = target.setdefault(token, {})
        if operation.get("op") == "remove":
            target[tokens[-1]] = None
        elif operation.get("op") == "add":
            target[tokens[-1]] = copy.deepcopy(operation["value"])
    return view


def bound_uid(operations: list[dict[str, Any]]) -> str | None:
    """The uid a patch is bound to (its ``test`` of ``/metadata/uid``), or None."""
    for operation in operations:
        if operation.get("op") == "test" and operation.get("path") == "/metadata/uid":
            return str(operation["value"])
    return None
