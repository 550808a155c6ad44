"""Every write bound to the object it was verified for (issue 14, item 1).

A provider's loop verifies one object (one uid). When the name comes to belong to a new object --
the old one deleted without this process seeing it, a restore from backup, a finalizer removed by
hand -- the old loop's verdict must never land on the new object, and the old loop must end.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from typing import Any

import pytest

from awsip.controller.backend import Backend
from awsip.controller.config import OperatorConfig
from awsip.controller.kube_client import PatchRefusedError
from awsip.controller.runtime import Runtime
from tests.controller.runtime_fakes import SPEC, FakeKube, FakeVerify, body
from tests.controller.waiting import Clock, idle, ready, until


@pytest.fixture()
async def runtime(verify: FakeVerify, kube: FakeKube) -> AsyncIterator[Runtime]:
    config = OperatorConfig(workers=2, retry_base_seconds=0.05, retry_max_seconds=0.2)
    runtime = Runtime(config=config, backend=Backend(verify=verify), kube=kube, clock=Clock())  # type: ignore[arg-type]
    yield runtime
    await runtime.close()


def created(name: str, uid: str, at: str, spec: dict[str, Any] | None = None) -> dict[str, Any]:
    obj = body(name, spec)
    obj["metadata"].update(uid=uid, creationTimestamp=at)
    return obj


def serve(runtime: Runtime, obj: dict[str, Any], *, requested: bool = True) -> asyncio.Task[None]:
    runtime.observe(obj, requested=requested)
    return asyncio.get_running_loop().create_task(runtime.serve(obj))


async def test_a_verdict_for_a_replaced_object_is_refused_and_its_loop_ends(
    runtime: Runtime, kube: FakeKube, verify: FakeVerify
) -> None:
    # The old object's verification is under way when the name comes to belong to a new object,
    # which this process has not seen yet (its ADDED event is still to come).
    verify.seconds = 0.3
    old = serve(runtime, created("p", "uid-old", "2026-01-01T10:00:00Z"))
    await until(lambda: runtime.providers["uid-old"].verifying)
    kube.uids["p"] = "uid-new"

    await asyncio.wait_for(old, 5)  # the loop ended by itself

    assert not old.cancelled()
    assert "uid-old" not in runtime.providers
    # The API server refused the old loop's verdict (the uid test), and nothing else was tried.
    assert ("p", "uid-old") in kube.refused
    assert all(ready(patch) != ("True", "Verified") for patch in kube.of("p"))
    assert kube.events_of("p") == []


async def test_a_newer_object_by_the_same_name_ends_the_old_loop_before_it_writes(
    runtime: Runtime, kube: FakeKube, verify: FakeVerify
) -> None:
    verify.seconds = 0.3
    old = serve(runtime, created("p", "uid-old", "2026-01-01T10:00:00Z"))
    await until(lambda: runtime.providers["uid-old"].verifying)
    patches_before = len(kube.of("p"))

    kube.uids["p"] = "uid-new"
    new = serve(runtime, created("p", "uid-new", "2026-01-01T10:05:00Z", {**SPEC, "externalID": "wrong-one"}))
    await asyncio.wait_for(old, 5)

    assert "uid-old" not in runtime.providers and "uid-new" in runtime.providers
    assert kube.refused == []  # the old loop did not even try: it was forgotten first
    await until(idle(runtime, "uid-new"))
    assert len(kube.of("p")) > patches_before  # the new object's verdict (uid-new, or refused)
    assert not new.done()


async def test_a_late_event_of_the_replaced_object_is_ignored(runtime: Runtime, kube: FakeKube) -> None:
    # Events of different objects may be handled out of order: creation times decide.
    kube.uids["p"] = "uid-new"
    serve(runtime, created("p", "uid-new", "2026-01-01T10:05:00Z"))
    await until(idle(runtime, "uid-new"))

    late = serve(runtime, created("p", "uid-old", "2026-01-01T10:00:00Z"))
    await asyncio.wait_for(late, 5)  # no loop for it

    assert set(runtime.providers) == {"uid-new"}


async def test_a_patch_refused_for_a_stale_status_is_made_again_from_the_stored_one(
    runtime: Runtime, kube: FakeKube
) -> None:
    # The same object, whose status someone else removed: our patch addressed members that are
    # gone (a 422 like a wrong uid); reading the object tells the two apart.
    refusals = iter([True])

    original = kube.patch_status

    def patch_status(namespace: str, name: str, operations: list[dict[str, Any]]) -> dict[str, Any]:
        if next(refusals, False):
            kube.refused.append((name, "uid-p"))
            raise PatchRefusedError(f"status patch of {name}", 422, "path /status/conditions not found")
        return original(namespace, name, copy.deepcopy(operations))

    kube.patch_status = patch_status  # type: ignore[method-assign]
    serve(runtime, created("p", "uid-p", "2026-01-01T10:00:00Z"))
    await until(idle(runtime, "uid-p"))

    assert kube.refused == [("p", "uid-p")]
    assert "uid-p" in runtime.providers
    assert ready(kube.of("p")[-1]) == ("True", "Verified")


async def test_a_forgotten_object_no_longer_stands_for_its_name(runtime: Runtime, kube: FakeKube) -> None:
    # The runtime finds an object's namesakes by name (no scan of every provider); once the newer
    # object is deleted, an object by that name with an older creation time (restored from a
    # backup) is followed again, not taken for a late event of a replaced object.
    kube.uids["p"] = "uid-new"
    serve(runtime, created("p", "uid-new", "2026-01-01T10:05:00Z"))
    await until(idle(runtime, "uid-new"))
    deleted = created("p", "uid-new", "2026-01-01T10:05:00Z")
    deleted["metadata"]["deletionTimestamp"] = "2026-01-01T11:00:00Z"
    runtime.observe(deleted)
    assert runtime.providers == {}

    kube.uids["p"] = "uid-restored"
    restored = serve(runtime, created("p", "uid-restored", "2026-01-01T10:00:00Z"))
    await until(idle(runtime, "uid-restored"))

    assert set(runtime.providers) == {"uid-restored"}
    assert not restored.done()
    assert ready(kube.of("p")[-1]) == ("True", "Verified")
