"""The runtime with the real status builder, a scripted verify, a recording Kubernetes client and a
clock the test moves."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from awsip.controller.backend import Backend
from awsip.controller.backoff import retry_delay
from awsip.controller.config import OperatorConfig
from awsip.controller.runtime import Runtime
from tests.controller.runtime_fakes import ARN, SPEC, FakeKube, FakeVerify, body, verified_status
from tests.controller.waiting import Clock, idle, ready, until


def called(verify: FakeVerify, name: str, times: int) -> Callable[[], bool]:
    return lambda: verify.calls.count(name) == times


RETRY_BASE, RETRY_MAX = 0.05, 0.2
RECONCILING_DELAY = 0.1


@pytest.fixture()
async def runtime(verify: FakeVerify, kube: FakeKube, clock: Clock) -> AsyncIterator[Runtime]:
    config = OperatorConfig(
        workers=2,
        retry_base_seconds=RETRY_BASE,
        retry_max_seconds=RETRY_MAX,
        reconciling_delay_seconds=RECONCILING_DELAY,
    )
    runtime = Runtime(config=config, backend=Backend(verify=verify), kube=kube, clock=clock)  # type: ignore[arg-type]
    yield runtime
    await runtime.close()


def backoff(runtime: Runtime, key: str, failures: int) -> timedelta:
    """The wait the runtime owes a provider after its ``failures``-th failure in a row."""
    return timedelta(seconds=retry_delay(failures, base=RETRY_BASE, cap=RETRY_MAX, spread_key=key))


def track(runtime: Runtime, obj: dict[str, Any], *, requested: bool = False) -> None:
    """What Kopf does for a provider: events (observe) and its daemon (serve)."""
    runtime.observe(obj, requested=requested)
    if runtime.providers[f"uid-{obj['metadata']['name']}"].task is None:
        asyncio.get_running_loop().create_task(runtime.serve(obj))


async def test_a_new_provider_is_verified_once_with_one_status_patch_and_one_event(
    runtime: Runtime, kube: FakeKube, verify: FakeVerify, clock: Clock
) -> None:
    track(runtime, body("p"))  # Kopf's on.event and its daemon: a new provider is verified at once

    await until(idle(runtime, "uid-p"))  # verified, and nothing left to do until its next time

    # Verified within the delay: straight to the verdict, no Reconciling patch before it.
    (final,) = kube.of("p")
    assert ready(final) == ("True", "Verified")
    assert {c["type"]: c["status"] for c in final["conditions"]}["Reconciling"] == "False"
    assert verify.calls == ["p"]
    assert kube.events_of("p") == [("Normal", "Verified")]
    event = kube.events[0]
    assert event["involvedObject"]["uid"] == "uid-p" and event["metadata"]["name"].startswith("p.")
    waits_until = runtime.providers["uid-p"].parked_until
    assert waits_until is not None and waits_until - clock.now >= timedelta(minutes=30)


async def test_a_slow_verification_of_a_new_provider_says_reconciling_first(
    runtime: Runtime, kube: FakeKube, verify: FakeVerify
) -> None:
    verify.seconds = RECONCILING_DELAY * 4
    track(runtime, body("p"))

    await until(idle(runtime, "uid-p"))

    reconciling, final = kube.of("p")
    assert {c["type"]: c["status"] for c in reconciling["conditions"]}["Reconciling"] == "True"
    assert ready(final) == ("True", "Verified")
    assert kube.events_of("p") == [("Normal", "Verified")]


async def test_a_queued_verification_of_a_new_provider_counts_from_when_it_runs(
    verify: FakeVerify, kube: FakeKube, clock: Clock
) -> None:
    # One worker, two providers: the second waits for the first (longer than the delay), then is
    # verified quickly. Nothing of it was on display: no Reconciling patch for it.
    verify.seconds = RECONCILING_DELAY * 2
    config = OperatorConfig(workers=1, reconciling_delay_seconds=RECONCILING_DELAY * 3)
    runtime = Runtime(config=config, backend=Backend(verify=verify), kube=kube, clock=clock)  # type: ignore[arg-type]
    try:
        track(runtime, body("first"))
        track(runtime, body("second"))
        await until(lambda: len(verify.calls) == 2 and idle(runtime, "uid-first", "uid-second")())
        assert [ready(p) for p in kube.of("first")] == [("True", "Verified")]
        assert [ready(p) for p in kube.of("second")] == [("True", "Verified")]
    finally:
        await runtime.close()


async def test_a_changed_spec_replaces_the_stale_verdict_within_the_delay(
    verify: FakeVerify, kube: FakeKube, clock: Clock
) -> None:
    # The status shows the verdict of the old spec: the delay counts from when the new spec is due,
    # waiting for a worker included.
    config = OperatorConfig(workers=1, reconciling_delay_seconds=RECONCILING_DELAY)
    runtime = Runtime(config=config, backend=Backend(verify=verify), kube=kube, clock=clock)  # type: ignore[arg-type]
    try:
        track(runtime, body("p", status=verified_status(hours_ago=0.1)))
        await until(idle(runtime, "uid-p"))
        verify.seconds = RECONCILING_DELAY * 4
        runtime.observe(body("p", {**SPEC, "roleARN": ARN + "-new"}, status=verified_status(hours_ago=0.1)))
        await until(lambda: verify.calls == ["p"])
        await until(idle(runtime, "uid-p"))
        reconciling, final = kube.of("p")
        assert {c["type"]: c["status"] for c in reconciling["conditions"]}["Reconciling"] == "True"
        assert ready(final) == ("True", "Verified")
    finally:
        await runtime.close()


async def test_a_due_provider_with_an_unchanged_verdict_gets_only_the_heartbeat(
    runtime: Runtime, kube: FakeKube, verify: FakeVerify
) -> None:
    track(runtime, body("p", status=verified_status(hours_ago=2)))

    await until(idle(runtime, "uid-p"))

    assert len(kube.of("p")) == 1 and list(kube.of("p")[0]) == ["lastVerifiedTime"]
    assert kube.events == []
    assert verify.calls == ["p"]


async def test_a_current_provider_waits_for_its_time(
    runtime: Runtime, kube: FakeKube, verify: FakeVerify, clock: Clock
) -> None:
    status = verified_status(hours_ago=0.1)
    track(runtime, body("p", status=status))
    await until(idle(runtime, "uid-p"))
    assert verify.calls == [] and kube.patches == []
    provider = runtime.providers["uid-p"]
    due = runtime.due(provider, clock.now)
    last = datetime.fromisoformat(status["lastVerifiedTime"])
    # On the provider's phase, the one nearest to an interval (1h) after the last verification.
    assert due is not None and due > clock.now
    assert timedelta(minutes=30) <= due - last <= timedelta(minutes=90)
    assert provider.parked_until == due

    # An event before its time (a resync) changes nothing; once the clock reaches it, it is verified.
    clock.now = due - timedelta(seconds=1)
    runtime.observe(body("p", status=status))
    await until(idle(runtime, "uid-p"))
    assert verify.calls == [] and kube.patches == []
    clock.now = due
    runtime.observe(body("p", status=status))
    await until(lambda: verify.calls == ["p"])
    await until(idle(runtime, "uid-p"))
    assert [list(patch) for patch in kube.of("p")] == [["lastVerifiedTime"]]


async def test_transient_failures_are_retried_and_never_make_ready_false(
    runtime: Runtime, kube: FakeKube, verify: FakeVerify, clock: Clock
) -> None:
    verify.script["p"] = ["transient", "transient", "ok"]
    track(runtime, body("p", status=verified_status(hours_ago=2)))
    provider = runtime.providers["uid-p"]

    for failures in (1, 2):  # each retry waits for its backoff, by the runtime's clock
        await until(called(verify, "p", failures))
        await until(idle(runtime, "uid-p"))
        assert verify.calls.count("p") == failures and provider.failures == failures
        assert provider.retry_at == provider.parked_until == clock.now + backoff(runtime, "uid-p", failures)
        assert provider.retry_at is not None
        clock.now = provider.retry_at
    await until(lambda: verify.calls.count("p") == 3)
    await until(idle(runtime, "uid-p"))

    readiness = [ready(p) for p in kube.of("p") if ready(p) is not None]
    assert readiness == [("Unknown", "AWSUnavailable"), ("True", "Verified")]
    assert kube.events_of("p") == [("Warning", "AWSUnavailable"), ("Normal", "Verified")]
    provider = runtime.providers["uid-p"]
    assert provider.failures == 0 and provider.retry_at is None


async def test_an_invalid_spec_is_reported_and_waits_for_a_new_spec(
    runtime: Runtime, kube: FakeKube, verify: FakeVerify
) -> None:
    track(runtime, body("p", {"roleARN": "nope"}), requested=True)

    await until(idle(runtime, "uid-p"))
    (patch,) = kube.of("p")
    assert ready(patch) == ("False", "InvalidSpec")
    assert verify.calls == []
    assert runtime.due(runtime.providers["uid-p"], datetime.now(UTC)) is None
    assert runtime.providers["uid-p"].parked_until is None  # until something changes
    assert kube.events_of("p") == [("Warning", "InvalidSpec")]

    runtime.observe(body("p"), requested=True)
    await until(lambda: ready(kube.of("p")[-1]) == ("True", "Verified"))
    assert verify.calls == ["p"]


async def test_one_failing_provider_does_not_stop_the_others(
    runtime: Runtime, kube: FakeKube, verify: FakeVerify, clock: Clock
) -> None:
    verify.script["bad"] = ["raise"]
    track(runtime, body("bad"), requested=True)
    track(runtime, body("good"), requested=True)
    bad = runtime.providers["uid-bad"]

    # Each attempt waits for the backoff (0.05s doubling up to 0.2s, by the runtime's clock): no busy loop.
    for failures in (1, 2, 3, 4):
        await until(called(verify, "bad", failures))
        await until(idle(runtime, "uid-bad"))
        assert verify.calls.count("bad") == failures and bad.failures == failures
        assert bad.retry_at == bad.parked_until == clock.now + backoff(runtime, "uid-bad", failures)
        assert bad.retry_at is not None
        clock.now = bad.retry_at
    await until(idle(runtime, "uid-good"))
    assert any(ready(p) == ("True", "Verified") for p in kube.of("good")) and verify.calls.count("good") == 1
    assert bad.task is not None and not bad.task.done()
    assert kube.of("bad") == []  # no verdict (and no Reconciling: each attempt failed at once)


async def test_deleted_providers_are_forgotten(runtime: Runtime) -> None:
    track(runtime, body("p", status=verified_status(hours_ago=0.1)))
    track(runtime, body("q", status=verified_status(hours_ago=0.1)))
    await asyncio.sleep(0)
    task = runtime.providers["uid-p"].task
    assert task is not None

    runtime.observe(
        body("p", metadata={"name": "p", "namespace": "team-a", "uid": "uid-p", "deletionTimestamp": "x"})
    )
    runtime.forget(body("q"))

    assert runtime.providers == {}
    await until(task.done)
    assert not task.cancelled()  # the loop ended by itself


async def test_a_provider_gone_during_verification_is_forgotten(runtime: Runtime, kube: FakeKube) -> None:
    kube.gone.add("p")
    track(runtime, body("p"), requested=True)
    await until(lambda: "uid-p" not in runtime.providers)


async def test_events_from_before_our_patch_do_not_bring_back_an_old_status(
    runtime: Runtime, kube: FakeKube, verify: FakeVerify
) -> None:
    verify.seconds = RECONCILING_DELAY * 3  # a Reconciling patch, then the verdict
    track(runtime, body("p"), requested=True)
    await until(lambda: len(kube.of("p")) == 2)
    provider = runtime.providers["uid-p"]
    written = copy.deepcopy(provider.body["status"])

    stale = body("p", status={"conditions": []})
    stale["metadata"]["resourceVersion"] = "100"  # the Reconciling patch, delivered late
    runtime.observe(stale)
    assert provider.body["status"] == written

    ours = body("p", status=written)
    ours["metadata"]["resourceVersion"] = "101"  # the final patch arrives
    runtime.observe(ours)
    newer = body("p", status={"edited": True})
    newer["metadata"]["resourceVersion"] = "102"
    runtime.observe(newer)
    assert provider.body["status"] == {"edited": True}


async def test_a_spec_change_during_a_verification_is_verified_too(
    runtime: Runtime, kube: FakeKube, verify: FakeVerify
) -> None:
    verify.seconds = 0.3
    track(runtime, body("p"))
    await until(lambda: runtime.providers["uid-p"].verifying)
    runtime.observe(body("p", {**SPEC, "displayName": "changed"}))  # seen by the runtime itself

    await until(lambda: verify.calls.count("p") == 2)
    await until(idle(runtime, "uid-p"))
    assert verify.calls.count("p") == 2


async def test_a_stopped_daemon_leaves_nothing_behind(runtime: Runtime) -> None:
    track(runtime, body("p", status=verified_status(hours_ago=0.1)))
    await until(lambda: runtime.providers["uid-p"].task is not None)
    task = runtime.providers["uid-p"].task
    assert task is not None
    task.cancel()  # as Kopf stops a daemon (deletion, pause, exit)
    await until(lambda: task.done())
    assert runtime.providers == {}


class FakeStopped:
    """Kopf's ``stopped`` flag of a daemon."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    def __bool__(self) -> bool:
        return self.event.is_set()

    async def wait(self) -> None:
        await self.event.wait()


async def test_a_daemon_asked_to_stop_finishes_its_verification_and_returns(
    runtime: Runtime, kube: FakeKube, verify: FakeVerify
) -> None:
    verify.seconds = 0.3
    stopped = FakeStopped()
    runtime.observe(body("p"), requested=True)
    serving = asyncio.create_task(runtime.serve(body("p"), stopped))  # type: ignore[arg-type]
    await until(lambda: runtime.providers["uid-p"].verifying)

    stopped.event.set()
    await asyncio.wait_for(serving, 5)

    assert not serving.cancelled()
    assert ready(kube.of("p")[-1]) == ("True", "Verified")  # the verification under way was written
    assert runtime.providers == {}


async def test_no_loop_for_a_provider_being_deleted(runtime: Runtime) -> None:
    deleting = body("p")
    deleting["metadata"]["deletionTimestamp"] = "2025-05-01T12:00:00Z"
    await runtime.serve(deleting)  # returns at once
    assert runtime.providers == {}


async def test_summary_for_the_probe(runtime: Runtime) -> None:
    track(runtime, body("p", status=verified_status(hours_ago=0.1)))
    assert runtime.summary() == {"providers": 1, "verifying": 0, "retrying": 0}
