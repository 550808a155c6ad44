"""The tenancy gate: the rules ConfigMap's states, namespaces' labels, and the watch (fake API)."""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from awsip.controller.kube_client import NotFoundError
from awsip.controller.tenancy_gate import TenancyGate, TenancyUnavailable
from tests.controller.waiting import until

SOURCE = "awsip-system/awsip-tenancy"
TEAM_A_ROLE = "arn:aws:iam::111122223333:role/capa"
OTHER_ROLE = "arn:aws:iam::444455556666:role/capa"

RULES = """
rules:
  - name: team-a
    namespaces: [team-a]
    accounts: ["111122223333"]
"""
SELECTOR_RULES = """
rules:
  - name: platform
    namespaceSelector: {matchExpressions: [{key: tier, operator: NotIn, values: [sandbox]}]}
    accounts: ["444455556666"]
"""


def configmap(text: str | None, *, version: str = "1", name: str = "awsip-tenancy") -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "awsip-system", "uid": "uid-cm", "resourceVersion": version},
        "data": {} if text is None else {"rules.yaml": text},
    }


class FakeStream:
    def __init__(self, events: queue.Queue[dict[str, Any] | None]) -> None:
        self.events = events
        self.closed = threading.Event()

    def __iter__(self) -> Iterator[dict[str, Any]]:
        while not self.closed.is_set():
            try:
                event = self.events.get(timeout=0.02)
            except queue.Empty:
                continue
            if event is None:  # the server ends the watch
                return
            yield event

    def close(self) -> None:
        self.closed.set()


class FakeKube:
    """list/watch of the ConfigMap, namespaces' labels and events, as a test scripts them."""

    def __init__(self) -> None:
        self.configmap: dict[str, Any] | None = configmap(RULES)
        self.list_error: Exception | None = None
        self.lists = 0
        self.watches: list[tuple[str | None, FakeStream]] = []
        self.stream_events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.labels: dict[str, dict[str, str]] = {}
        self.label_error: Exception | None = None
        self.label_reads: list[str] = []
        self.events: list[dict[str, Any]] = []

    def list_configmap(self, namespace: str, name: str) -> tuple[dict[str, Any] | None, str | None]:
        assert (namespace, name) == ("awsip-system", "awsip-tenancy")
        self.lists += 1
        if self.list_error is not None:
            raise self.list_error
        return self.configmap, f"list-{self.lists}"

    def watch_configmap(
        self, namespace: str, name: str, *, resource_version: str | None, timeout_seconds: int
    ) -> FakeStream:
        stream = FakeStream(self.stream_events)
        self.watches.append((resource_version, stream))
        return stream

    def namespace_labels(self, name: str) -> dict[str, str]:
        self.label_reads.append(name)
        if self.label_error is not None:
            raise self.label_error
        if name not in self.labels:
            raise NotFoundError(name)
        return self.labels[name]

    def create_event(self, namespace: str, event: dict[str, Any]) -> None:
        self.events.append(event)

    def reasons(self) -> list[tuple[str, str]]:
        return [(e["type"], e["reason"]) for e in self.events]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def kube() -> FakeKube:
    return FakeKube()


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
async def gate(kube: FakeKube, clock: Clock) -> AsyncIterator[TenancyGate]:
    gate = TenancyGate(SOURCE, kube, clock=clock, retry_base=0.01, retry_max=0.05)
    yield gate
    await gate.close()


async def events(gate: TenancyGate, kube: FakeKube) -> list[tuple[str, str]]:
    """The events posted so far, once every post under way (in the background) is done."""
    await gate.events.drain()
    return kube.reasons()


# -- the ConfigMap's states ---------------------------------------------------------------------


async def test_decisions_wait_for_the_first_rules(gate: TenancyGate) -> None:
    pending = asyncio.ensure_future(gate.decide("team-a", TEAM_A_ROLE))
    await asyncio.sleep(0)  # decide() runs up to its wait for the rules (it makes no other await)
    assert not pending.done() and not gate.loaded and gate.version == 0

    gate.apply(configmap(RULES))

    assert (await pending).allowed
    assert gate.version == 1 and gate.loaded


async def test_valid_rules_decide(gate: TenancyGate) -> None:
    gate.apply(configmap(RULES))
    assert (await gate.decide("team-a", TEAM_A_ROLE)).rule == "team-a"
    refused = await gate.decide("team-b", TEAM_A_ROLE)
    assert not refused.allowed and 'namespace "team-b" may not use account 111122223333' in refused.message


@pytest.mark.parametrize("text", ["", "rules: []", "# nothing yet\n"])
async def test_no_rules_permit_everything(gate: TenancyGate, text: str) -> None:
    gate.apply(configmap(text))
    assert (await gate.decide("anyone", OTHER_ROLE)).allowed


async def test_a_change_bumps_the_version_and_calls_the_listeners_an_identical_one_does_not(
    gate: TenancyGate,
) -> None:
    calls: list[int] = []
    gate.subscribe(lambda: calls.append(gate.version))
    assert gate.apply(configmap(RULES))
    assert not gate.apply(configmap(RULES, version="2"))  # same rules, e.g. a relabelled ConfigMap
    assert gate.apply(configmap(RULES.replace("team-a]", "team-a, team-b]")))
    assert calls == [1, 2]
    assert (await gate.decide("team-b", TEAM_A_ROLE)).allowed


async def test_invalid_rules_keep_the_last_valid_ones_and_warn_on_the_configmap(
    gate: TenancyGate, kube: FakeKube
) -> None:
    gate.apply(configmap(RULES))
    assert await events(gate, kube) == [("Normal", "TenancyRulesApplied")]

    assert not gate.apply(configmap("rules:\n  - name: team-a\n    namespace: [team-a]\n", version="2"))

    assert (await gate.decide("team-a", TEAM_A_ROLE)).allowed  # still the last valid rules
    assert gate.version == 1
    assert await events(gate, kube) == [("Normal", "TenancyRulesApplied"), ("Warning", "InvalidTenancyRules")]
    warning = kube.events[-1]
    assert warning["involvedObject"] == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": "awsip-tenancy",
        "namespace": "awsip-system",
        "uid": "uid-cm",
        "resourceVersion": "2",
    }
    assert "unknown field" in warning["message"] and "last valid rules stay in force" in warning["message"]
    summary = gate.summary()
    assert summary["rules"] == 1 and not summary["refusingAll"]
    assert "unknown field" in summary["problem"]

    # The same invalid content delivered again (a re-watch) is not reported twice.
    gate.apply(configmap("rules:\n  - name: team-a\n    namespace: [team-a]\n", version="2"))
    assert await events(gate, kube) == [("Normal", "TenancyRulesApplied"), ("Warning", "InvalidTenancyRules")]

    # Fixed: applied, reported, the problem is gone.
    gate.apply(configmap(RULES, version="3"))
    assert await events(gate, kube) == [
        ("Normal", "TenancyRulesApplied"),
        ("Warning", "InvalidTenancyRules"),
        ("Normal", "TenancyRulesApplied"),
    ]
    assert gate.summary()["problem"] is None


async def test_invalid_rules_without_valid_ones_before_refuse_everything(
    gate: TenancyGate, kube: FakeKube
) -> None:
    gate.apply(configmap("rules: [{name: x}]"))
    assert await events(gate, kube) == [("Warning", "InvalidTenancyRules")]

    decision = await gate.decide("team-a", TEAM_A_ROLE)
    assert not decision.allowed and decision.rule is None
    assert (
        "ConfigMap awsip-system/awsip-tenancy" in decision.message and "they are invalid" in decision.message
    )
    assert "permits nothing" not in decision.message  # the administrator's error is not the tenant's
    assert "permits nothing" in kube.events[0]["message"]
    assert gate.summary()["refusingAll"]


async def test_a_configmap_without_the_key_is_invalid(gate: TenancyGate) -> None:
    gate.apply(configmap(None))
    assert not (await gate.decide("team-a", TEAM_A_ROLE)).allowed
    assert 'has no key "rules.yaml"' in str(gate.summary()["problem"])


async def test_a_missing_configmap_refuses_everything_even_after_valid_rules(gate: TenancyGate) -> None:
    gate.apply(configmap(RULES))
    assert gate.apply(None)
    decision = await gate.decide("team-a", TEAM_A_ROLE)
    assert not decision.allowed and "the ConfigMap does not exist" in decision.message

    assert gate.apply(configmap(RULES))  # created again
    assert (await gate.decide("team-a", TEAM_A_ROLE)).allowed

    # Deleted, then created with invalid rules: the rules from before the deletion do not return.
    gate.apply(None)
    gate.apply(configmap("rules: [{name: x}]"))
    assert not (await gate.decide("team-a", TEAM_A_ROLE)).allowed
    assert gate.summary()["refusingAll"]


# -- namespaces' labels -------------------------------------------------------------------------


async def test_labels_are_read_only_for_selector_rules_and_cached(
    gate: TenancyGate, kube: FakeKube, clock: Clock
) -> None:
    gate.apply(configmap(RULES))
    await gate.decide("team-a", TEAM_A_ROLE)
    assert kube.label_reads == []

    gate.apply(configmap(SELECTOR_RULES))
    kube.labels["platform"] = {"tier": "prod"}
    assert (await gate.decide("platform", OTHER_ROLE)).rule == "platform"
    kube.labels["platform"] = {"tier": "sandbox"}
    assert (await gate.decide("platform", OTHER_ROLE)).allowed  # cached
    assert kube.label_reads == ["platform"]

    clock.now += 31
    assert not (await gate.decide("platform", OTHER_ROLE)).allowed  # read again after the TTL
    assert kube.label_reads == ["platform", "platform"]

    kube.labels["platform"] = {"tier": "prod"}
    gate.apply(configmap(SELECTOR_RULES + "    roleARNs: ['*']\n"))  # a change drops the cache
    assert (await gate.decide("platform", OTHER_ROLE)).allowed
    assert kube.label_reads == ["platform", "platform", "platform"]


@pytest.mark.parametrize(
    "error", [NotFoundError("gone"), ApiException(status=403), ApiException(status=401)], ids=str
)
async def test_unreadable_labels_match_no_selector(
    gate: TenancyGate, kube: FakeKube, error: Exception
) -> None:
    # NotIn would match an empty set of labels: unknown labels must not.
    gate.apply(configmap(SELECTOR_RULES + "  - {name: named, namespaces: [platform], roleARNs: ['*']}\n"))
    kube.label_error = error
    assert not (await gate.decide("elsewhere", OTHER_ROLE)).allowed
    assert (await gate.decide("platform", OTHER_ROLE)).rule == "named"


@pytest.mark.parametrize("error", [ApiException(status=503), ConnectionError("refused")], ids=str)
async def test_labels_that_cannot_be_read_now_make_the_decision_wait(
    gate: TenancyGate, kube: FakeKube, error: Exception
) -> None:
    gate.apply(configmap(SELECTOR_RULES))
    kube.label_error = error
    with pytest.raises(TenancyUnavailable, match="cannot read the labels of namespace team-a now"):
        await gate.decide("team-a", OTHER_ROLE)
    kube.label_error = None
    kube.labels["team-a"] = {}
    assert (await gate.decide("team-a", OTHER_ROLE)).allowed  # nothing was cached


async def test_providers_of_one_namespace_share_one_read_of_its_labels(
    gate: TenancyGate, kube: FakeKube
) -> None:
    gate.apply(configmap(SELECTOR_RULES))
    kube.labels["platform"] = {"tier": "prod"}
    release = threading.Event()
    read = kube.namespace_labels

    def slow_read(name: str) -> dict[str, str]:
        release.wait(5)
        return read(name)

    kube.namespace_labels = slow_read  # type: ignore[method-assign]
    asking = [asyncio.ensure_future(gate.decide("platform", OTHER_ROLE)) for _ in range(20)]
    await asyncio.sleep(0.05)
    asking[0].cancel()  # one provider deleted meanwhile: the others still get their answer
    release.set()
    decisions = await asyncio.gather(*asking[1:])
    assert all(d.allowed for d in decisions)
    assert kube.label_reads == ["platform"]


# -- the watch ----------------------------------------------------------------------------------


async def test_the_watch_applies_changes_and_deletions(gate: TenancyGate, kube: FakeKube) -> None:
    changes: list[int] = []
    gate.subscribe(lambda: changes.append(gate.version))
    gate.start()
    await until(lambda: gate.loaded and len(kube.watches) == 1)
    assert kube.watches[0][0] == "list-1"  # watched from the list's resourceVersion

    wider = RULES.replace("team-a]", "team-a, team-b]")
    kube.stream_events.put({"type": "ADDED", "object": configmap(RULES)})  # replayed: no change
    kube.stream_events.put({"type": "ADDED", "object": configmap("rules: []", name="another")})
    kube.stream_events.put({"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": "9"}}})
    kube.stream_events.put({"type": "MODIFIED", "object": configmap(wider, version="2")})
    await until(lambda: gate.version == 2)
    assert (await gate.decide("team-b", TEAM_A_ROLE)).allowed

    kube.stream_events.put({"type": "DELETED", "object": configmap(wider, version="3")})
    await until(lambda: gate.version == 3)
    assert not (await gate.decide("team-a", TEAM_A_ROLE)).allowed
    assert changes == [1, 2, 3]


async def test_the_watch_starts_over_when_it_ends_or_expires(gate: TenancyGate, kube: FakeKube) -> None:
    gate.start()
    await until(lambda: len(kube.watches) == 1)
    kube.stream_events.put(None)  # the server's timeoutSeconds
    await until(lambda: len(kube.watches) == 2)
    kube.stream_events.put({"type": "ERROR", "object": {"kind": "Status", "code": 410, "message": "too old"}})
    await until(lambda: len(kube.watches) == 3)
    assert kube.lists == 3
    assert [version for version, _ in kube.watches] == ["list-1", "list-2", "list-3"]
    assert gate.version == 1  # the same rules each time


async def test_list_failures_are_retried_and_a_forbidden_configmap_refuses_everything(
    gate: TenancyGate, kube: FakeKube
) -> None:
    kube.list_error = ApiException(status=500)
    gate.start()
    await until(lambda: kube.lists >= 2)
    assert not gate.loaded  # not known yet: decisions wait

    kube.list_error = ApiException(status=403)
    await until(lambda: gate.loaded)
    decision = await gate.decide("team-a", TEAM_A_ROLE)
    assert not decision.allowed and "may not read them (HTTP 403)" in decision.message

    kube.list_error = None
    await until(lambda: gate.summary()["problem"] is None)
    assert (await gate.decide("team-a", TEAM_A_ROLE)).allowed


async def test_close_ends_the_watch(kube: FakeKube, clock: Clock) -> None:
    gate = TenancyGate(SOURCE, kube, clock=clock)
    gate.start()
    await until(lambda: len(kube.watches) == 1)
    await gate.close()
    assert kube.watches[0][1].closed.is_set()


def test_the_source_must_be_namespace_slash_name(kube: FakeKube) -> None:
    with pytest.raises(ValueError, match="NAMESPACE/NAME"):
        TenancyGate("awsip-tenancy", kube)
