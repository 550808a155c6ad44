"""The runtime with tenancy rules: refused providers never reach verify(), rule changes apply at once."""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from awsip import status
from awsip.api.v1alpha1 import AWSInfrastructureProviderSpec
from awsip.controller.backend import Backend
from awsip.controller.config import OperatorConfig
from awsip.controller.runtime import Runtime
from awsip.verification import Check, ProviderInputs, ProviderRef, VerificationResult
from tests.controller.test_tenancy_gate import FakeKube as TenancyKube
from tests.controller.test_tenancy_gate import configmap
from tests.controller.waiting import idle, ready, until
from tests.support.json_patches import merge_view

A_ROLE = "arn:aws:iam::111122223333:role/capa-a"
B_ROLE = "arn:aws:iam::444455556666:role/capa-b"
RULES = """
rules:
  - {name: team-a, namespaces: [team-a], accounts: ["111122223333"]}
"""
BOTH = RULES + '  - {name: team-b, namespaces: [team-b], accounts: ["444455556666"]}\n'
ONLY_B = 'rules:\n  - {name: team-b, namespaces: [team-b], accounts: ["444455556666"]}\n'


class Verify:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.lock = threading.Lock()
        self.on_call: Callable[[], None] = lambda: None

    def __call__(
        self, namespace: str, name: str, spec: AWSInfrastructureProviderSpec, inputs: ProviderInputs
    ) -> VerificationResult:
        with self.lock:
            self.calls.append(f"{namespace}/{name}")
            self.on_call()
        ref = ProviderRef(namespace, name)
        return VerificationResult(
            ref=ref,
            role_arn=spec.role_arn,
            role_assumed=Check("True", "AssumeRoleSucceeded", "assumed"),
            trust=Check("True", "Secure", "secure"),
            permissions=Check("True", "AllPermissionsGranted", "granted"),
            account_id=spec.role_arn.split(":")[4],
        )


class Kube(TenancyKube):
    """The tenancy fake plus status patches (kept as the stored status) and provider events."""

    def __init__(self) -> None:
        super().__init__()
        self.configmap = configmap(RULES)
        self.patches: list[tuple[str, dict[str, Any]]] = []
        self.versions = itertools.count(100)

    def patch_status(self, namespace: str, name: str, operations: list[dict[str, Any]]) -> dict[str, Any]:
        self.patches.append((f"{namespace}/{name}", merge_view(operations)))
        return {"metadata": {"resourceVersion": str(next(self.versions))}}

    def close(self) -> None:
        pass

    def of(self, who: str) -> list[dict[str, Any]]:
        return [patch for name, patch in self.patches if name == who]

    def provider_events(self, who: str) -> list[tuple[str, str]]:
        return [
            (e["type"], e["reason"])
            for e in self.events
            if e["involvedObject"].get("kind") != "ConfigMap"
            and f"{e['involvedObject']['namespace']}/{e['involvedObject']['name']}" == who
        ]


@pytest.fixture()
def verify() -> Verify:
    return Verify()


@pytest.fixture()
def kube() -> Kube:
    return Kube()


def make_runtime(verify: Verify, kube: Kube) -> Runtime:
    config = OperatorConfig(
        workers=2,
        retry_base_seconds=0.05,
        retry_max_seconds=0.2,
        tenancy_configmap="awsip-system/awsip-tenancy",
    )
    return Runtime(config=config, backend=Backend(verify=verify), kube=kube)  # type: ignore[arg-type]


@pytest.fixture()
async def runtime(verify: Verify, kube: Kube) -> AsyncIterator[Runtime]:
    runtime = make_runtime(verify, kube)
    runtime.start()
    yield runtime
    await runtime.close()


def track(runtime: Runtime, obj: dict[str, Any], *, requested: bool = False) -> None:
    """What Kopf does for a provider: its events reach observe(), and its daemon runs serve()."""
    runtime.observe(obj, requested=requested)
    task = asyncio.get_running_loop().create_task(runtime.serve(obj))
    _daemons.add(task)
    task.add_done_callback(_daemons.discard)


_daemons: set[asyncio.Task[None]] = set()


def body(namespace: str, name: str, role: str, **extra: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": f"uid-{namespace}-{name}",
            "resourceVersion": "1",
        },
        "spec": {"roleARN": role, "externalID": "ext-id-1"},
    }
    obj.update(extra)
    return obj


def last_ready(kube: Kube, who: str) -> tuple[str, str] | None:
    verdicts = [ready(patch) for patch in kube.of(who) if ready(patch) is not None]
    return verdicts[-1] if verdicts else None


def stored(runtime: Runtime, namespace: str, name: str) -> dict[str, Any]:
    provider = runtime.providers[f"uid-{namespace}-{name}"]
    return provider.status or {}


async def test_a_refused_provider_never_reaches_verify_and_the_others_are_verified(
    runtime: Runtime, kube: Kube, verify: Verify
) -> None:
    track(runtime, body("team-b", "b", A_ROLE), requested=True)  # team-a's account
    track(runtime, body("team-a", "a", A_ROLE), requested=True)

    await until(lambda: last_ready(kube, "team-a/a") == ("True", "Verified"))
    await until(lambda: last_ready(kube, "team-b/b") == ("False", "NotPermitted"))
    await until(idle(runtime, "uid-team-a-a", "uid-team-b-b"))  # nothing left to do for either

    assert verify.calls == ["team-a/a"]
    (refusal,) = kube.of("team-b/b")  # one patch, no Reconciling before it, none repeated
    conditions = {c["type"]: c for c in refusal["conditions"]}
    assert set(conditions) == {"Ready", "Reconciling", "Stalled"}
    assert (conditions["Stalled"]["status"], conditions["Stalled"]["reason"]) == ("True", "NotPermitted")
    assert conditions["Reconciling"]["status"] == "False"
    assert 'namespace "team-b" may not use account 111122223333' in conditions["Ready"]["message"]
    assert conditions["Ready"]["message"].endswith("awsip made no AWS call for this provider.")
    assert kube.provider_events("team-b/b") == [("Warning", "NotPermitted")]


async def test_rule_changes_apply_at_once_both_ways(runtime: Runtime, kube: Kube, verify: Verify) -> None:
    track(runtime, body("team-a", "a", A_ROLE), requested=True)
    track(runtime, body("team-b", "b", B_ROLE), requested=True)
    await until(lambda: last_ready(kube, "team-a/a") == ("True", "Verified"))
    await until(lambda: last_ready(kube, "team-b/b") == ("False", "NotPermitted"))
    assert verify.calls == ["team-a/a"]

    kube.stream_events.put({"type": "MODIFIED", "object": configmap(BOTH, version="2")})
    await until(lambda: last_ready(kube, "team-b/b") == ("True", "Verified"))
    assert sorted(verify.calls) == ["team-a/a", "team-b/b"]  # team-a was not verified again

    kube.stream_events.put({"type": "MODIFIED", "object": configmap(ONLY_B, version="3")})
    await until(lambda: last_ready(kube, "team-a/a") == ("False", "NotPermitted"))
    await until(idle(runtime, "uid-team-a-a", "uid-team-b-b"))
    assert sorted(verify.calls) == ["team-a/a", "team-b/b"]
    refused = stored(runtime, "team-a", "a")
    # What the role may do is no longer shown to a namespace that may not use it.
    assert not {"accountID", "permissions", "trustPolicy"} & set(refused)
    assert {c["type"] for c in refused["conditions"]} == {"Ready", "Reconciling", "Stalled"}
    assert kube.provider_events("team-a/a") == [("Normal", "Verified"), ("Warning", "NotPermitted")]


async def test_nothing_is_verified_before_the_rules_are_read(kube: Kube, verify: Verify) -> None:
    from kubernetes.client.exceptions import ApiException

    kube.list_error = ApiException(status=503)
    runtime = make_runtime(verify, kube)
    runtime.start()
    try:
        track(runtime, body("team-a", "a", A_ROLE), requested=True)
        await until(lambda: kube.lists >= 3)
        assert verify.calls == [] and kube.patches == []

        kube.list_error = None
        await until(lambda: last_ready(kube, "team-a/a") == ("True", "Verified"))
    finally:
        await runtime.close()


async def test_an_invalid_spec_is_reported_as_such_not_as_refused(runtime: Runtime, kube: Kube) -> None:
    spec = {"roleARN": "arn:aws:iam::999999999999:role/x", "durationSeconds": 60}
    track(runtime, {**body("team-b", "broken", B_ROLE), "spec": spec}, requested=True)
    await until(lambda: last_ready(kube, "team-b/broken") == ("False", "InvalidSpec"))


async def test_a_refusal_from_before_a_restart_is_asked_again_at_once(kube: Kube, verify: Verify) -> None:
    earlier = status.not_permitted_status(
        None, generation=None, now=status_now(), message="no rule permits it (the rules of back then)"
    )
    runtime = make_runtime(verify, kube)
    runtime.start()
    try:
        track(runtime, body("team-a", "a", A_ROLE, status=earlier))  # resumed, not requested
        await until(lambda: last_ready(kube, "team-a/a") == ("True", "Verified"))
    finally:
        await runtime.close()


def status_now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


async def test_a_refused_provider_is_patched_once_however_many_events_arrive(
    runtime: Runtime, kube: Kube, verify: Verify
) -> None:
    track(runtime, body("team-b", "b", A_ROLE), requested=True)
    await until(lambda: last_ready(kube, "team-b/b") == ("False", "NotPermitted"))
    for version in range(2, 12):
        obj = body("team-b", "b", A_ROLE, status=stored(runtime, "team-b", "b"))
        obj["metadata"]["resourceVersion"] = str(version)
        runtime.observe(obj)
        await until(idle(runtime, "uid-team-b-b"))  # the loop took its turn for the event
    assert len(kube.of("team-b/b")) == 1 and verify.calls == []


async def test_the_rules_are_asked_once_per_turn(runtime: Runtime, kube: Kube, verify: Verify) -> None:
    assert runtime.tenancy is not None
    steps: list[str] = []
    decide = runtime.tenancy.decide

    async def counting_decide(namespace: str, role_arn: str) -> Any:
        steps.append("decide")
        return await decide(namespace, role_arn)

    runtime.tenancy.decide = counting_decide  # type: ignore[method-assign]
    verify.on_call = lambda: steps.append("verify")
    track(runtime, body("team-a", "a", A_ROLE), requested=True)
    await until(lambda: last_ready(kube, "team-a/a") == ("True", "Verified"))
    await until(idle(runtime, "uid-team-a-a"))
    # The turn that verified asked once; the next one asked, found the provider not due, and waits.
    assert steps == ["decide", "verify", "decide"]


async def test_a_spec_is_validated_once_per_change_however_many_events_and_turns(
    runtime: Runtime, kube: Kube, verify: Verify, monkeypatch: pytest.MonkeyPatch
) -> None:
    validated: list[Any] = []
    validate = AWSInfrastructureProviderSpec.model_validate

    def counting_validate(cls: type, /, obj: Any, **options: Any) -> Any:
        validated.append(obj)
        return validate(obj, **options)

    # Wherever the controller would validate a spec (the tenancy check, the verification), it goes here.
    monkeypatch.setattr(AWSInfrastructureProviderSpec, "model_validate", classmethod(counting_validate))
    track(runtime, body("team-a", "a", A_ROLE), requested=True)
    await until(lambda: last_ready(kube, "team-a/a") == ("True", "Verified"))
    await until(idle(runtime, "uid-team-a-a"))
    for version in range(2, 6):  # status events (our own patches, edits) wake it: each is a turn
        event = body("team-a", "a", A_ROLE, status=stored(runtime, "team-a", "a"))
        event["metadata"]["resourceVersion"] = str(version)
        runtime.observe(event)
        await until(idle(runtime, "uid-team-a-a"))
    spec = body("team-a", "a", A_ROLE)["spec"]
    assert validated == [spec] and verify.calls == ["team-a/a"]

    changed = {**spec, "displayName": "changed"}
    runtime.observe({**body("team-a", "a", A_ROLE), "spec": changed}, requested=True)
    await until(lambda: len(verify.calls) == 2)
    await until(idle(runtime, "uid-team-a-a"))
    assert validated == [spec, changed]
