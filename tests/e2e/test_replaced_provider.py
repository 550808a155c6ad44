"""Issue 14, item 1, end to end: a stale loop must not write a false Ready=True onto a recreated provider.

A provider is retrying (AWS unreachable, through the fault proxy); the API server loses it without
a DELETED event (what a restored etcd, a relist that missed the deletion or a finalizer removed by
hand look like to the operator); a new provider is created under the same name with a wrong
External ID. The old object's loop must end: neither its verdict (Verified, with the old External
ID) nor anything else of it may land on the new object.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from awsip.api import constants
from awsip.sandbox import scenarios
from awsip.sandbox.harness import Sandbox
from tests.e2e.e2e_helpers import last_request_id, provider, sandbox_behind, status_patches, verdict
from tests.support.fault_proxy import FaultProxy, aws_error
from tests.support.json_patches import bound_uid

pytestmark = pytest.mark.e2e

PRODUCTION = {"roleARN": scenarios.PRODUCTION.arn, "externalID": scenarios.PRODUCTION.external_id}
WRONG = {"roleARN": scenarios.PRODUCTION.arn, "externalID": "not-the-production-one"}
#: Longer than the sandbox operator's longest backoff (5 s, stretched by up to a quarter) and a
#: verification: the old loop would have written by then.
OLD_LOOP_WINDOW = 12.0


@pytest.fixture(scope="module")
def faults() -> Iterator[FaultProxy]:
    with FaultProxy("http://127.0.0.1:1") as proxy:
        yield proxy


@pytest.fixture(scope="module")
def sandbox(
    tmp_path_factory: pytest.TempPathFactory, operator_logs: object, faults: FaultProxy
) -> Iterator[Sandbox]:
    with sandbox_behind(faults, tmp_path_factory.mktemp("sandbox")) as world:
        yield world


def lose_silently(sandbox: Sandbox, namespace: str, name: str) -> None:
    """Remove a provider from the emulator's store without telling any watch (no DELETED event).

    kmock has no way to do this through its API (a real API server loses objects this way only
    when etcd is restored, or a watch misses the deletion): its store is changed directly.
    """
    emulator: Any = sandbox.kube.emulator  # type: ignore[union-attr]

    async def lose() -> None:
        async with emulator._lock:
            for key, obj in list(emulator._objects.items()):
                resource, obj_namespace, obj_name = key
                if resource.plural == constants.PLURAL and (obj_namespace, obj_name) == (namespace, name):
                    obj.delete()

    sandbox.kube.call(lose())  # type: ignore[union-attr]


def test_a_stale_loop_writes_nothing_onto_a_provider_recreated_under_its_name(
    sandbox: Sandbox, namespace: str, faults: FaultProxy
) -> None:
    down = faults.inject(lambda r: r.service != "", aws_error("ServiceUnavailable", "down", status=503))
    try:
        sandbox.client.apply(provider(namespace, "p", PRODUCTION))
        first = sandbox.wait_for_provider(
            namespace, "p", lambda o: verdict(o) == ("Unknown", "AWSUnavailable"), timeout=30
        )
        old_uid = first["metadata"]["uid"]

        lose_silently(sandbox, namespace, "p")
        time.sleep(1.1)  # a later creationTimestamp (second precision), as a real recreation has
        mark = last_request_id(sandbox)
        sandbox.client.apply(provider(namespace, "p", WRONG))
        new = sandbox.wait_for_provider(namespace, "p", lambda o: o["metadata"]["uid"] != old_uid)
        new_uid = new["metadata"]["uid"]
    finally:
        faults.remove(down)

    settled = sandbox.wait_for_provider(
        namespace, "p", lambda o: verdict(o) == ("False", "AccessDenied"), timeout=30
    )
    assert settled["metadata"]["uid"] == new_uid
    # The old loop would retry within its backoff, assume the role with the old External ID and
    # write Verified: it must not, then or later.
    deadline = time.monotonic() + OLD_LOOP_WINDOW
    while time.monotonic() < deadline:
        assert verdict(sandbox.client.provider(namespace, "p")) == ("False", "AccessDenied")
        time.sleep(0.5)
    written = [status for _, status in status_patches(sandbox, namespace, "p", after=mark)]
    assert written, "the new object got its own verdict"
    for status in written:
        ready = [c for c in status.get("conditions") or [] if c["type"] == "Ready"]
        assert all(c["status"] != "True" for c in ready), status
    # Every status write names the object it is for; the API server refuses those for the old one
    # (a write of the old loop that was under way when the new object appeared is refused so).
    patches = [
        request.data
        for request in sandbox.kube.requests()  # type: ignore[union-attr]
        if request.id > mark
        and str(request.method.value) == "PATCH"
        and str(request.url.path).endswith("/p/status")
    ]
    bound = [bound_uid(operations) if isinstance(operations, list) else None for operations in patches]
    assert new_uid in bound and set(bound) <= {new_uid, old_uid}
