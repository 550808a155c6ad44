"""Test doubles of the runtime's seams, shared by the runtime's tests (tests/controller/test_runtime*.py,
test_cluster_identity_runtime.py): a scripted verify, a recording Kubernetes client, providers'
bodies and statuses. Their fixtures are in tests/controller/conftest.py.
"""

from __future__ import annotations

import copy
import itertools
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from awsip import status
from awsip.api.v1alpha1 import AWSInfrastructureProviderSpec
from awsip.controller.kube_client import NotFoundError, PatchRefusedError
from awsip.verification import Check, ProviderInputs, ProviderRef, VerificationResult
from tests.support.json_patches import bound_uid, merge_view

ARN = "arn:aws:iam::123456789012:role/capa"
SPEC = {"roleARN": ARN, "externalID": "ext-id-1"}


def outcome(kind: str) -> Callable[[ProviderRef], VerificationResult]:
    def make(ref: ProviderRef) -> VerificationResult:
        if kind == "transient":
            return VerificationResult(
                ref=ref, role_arn=ARN, role_assumed=Check("Unknown", "AWSUnavailable", "down", transient=True)
            )
        if kind == "denied":
            return VerificationResult(
                ref=ref, role_arn=ARN, role_assumed=Check("False", "AccessDenied", "denied")
            )
        return VerificationResult(
            ref=ref,
            role_arn=ARN,
            role_assumed=Check("True", "AssumeRoleSucceeded", "assumed"),
            trust=Check("True", "Secure", "secure"),
            permissions=Check("True", "AllPermissionsGranted", "granted"),
            account_id="123456789012",
        )

    return make


class FakeVerify:
    """verify() that answers from a script per provider name (the last answer repeats)."""

    def __init__(self, script: dict[str, list[str]] | None = None) -> None:
        self.script = script or {}
        self.seconds = 0.0
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def __call__(
        self, namespace: str, name: str, spec: AWSInfrastructureProviderSpec, inputs: ProviderInputs
    ) -> VerificationResult:
        with self.lock:
            self.calls.append(name)
            answers = self.script.get(name, ["ok"])
            kind = answers.pop(0) if len(answers) > 1 else answers[0]
        time.sleep(self.seconds)
        if kind == "raise":
            raise RuntimeError("boom")
        return outcome(kind)(ProviderRef(namespace, name))


class FakeKube:
    """Records status patches (as the merge patch they amount to). ``uids``: the uid stored under a
    name, which a patch's uid test must match (as the API server checks it); ``gone``: 404."""

    def __init__(self) -> None:
        self.patches: list[tuple[str, dict[str, Any]]] = []
        self.refused: list[tuple[str, str | None]] = []
        self.events: list[dict[str, Any]] = []
        self.versions = itertools.count(100)
        self.gone: set[str] = set()
        self.uids: dict[str, str] = {}

    def patch_status(self, namespace: str, name: str, operations: list[dict[str, Any]]) -> dict[str, Any]:
        if name in self.gone:
            raise NotFoundError(name)
        uid = bound_uid(operations)
        if name in self.uids and uid != self.uids[name]:
            self.refused.append((name, uid))
            raise PatchRefusedError(f"status patch of {name}", 422, "the uid test failed")
        self.patches.append((name, merge_view(operations)))
        return {"metadata": {"resourceVersion": str(next(self.versions))}}

    def read_provider(self, namespace: str, name: str) -> dict[str, Any]:
        if name in self.gone:
            raise NotFoundError(name)
        return {"metadata": {"name": name, "namespace": namespace, "uid": self.uids.get(name, f"uid-{name}")}}

    def create_event(self, namespace: str, event: dict[str, Any]) -> None:
        self.events.append(event)

    def close(self) -> None:
        pass

    def of(self, name: str) -> list[dict[str, Any]]:
        return [patch for who, patch in self.patches if who == name]

    def events_of(self, name: str) -> list[tuple[str, str]]:
        return [(e["type"], e["reason"]) for e in self.events if e["involvedObject"]["name"] == name]


def body(name: str, spec: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "metadata": {"name": name, "namespace": "team-a", "uid": f"uid-{name}", "resourceVersion": "1"},
        "spec": copy.deepcopy(spec if spec is not None else SPEC),
    }
    obj.update(extra)
    return obj


def verified_status(*, hours_ago: float) -> dict[str, Any]:
    when = datetime.now(UTC) - timedelta(hours=hours_ago)  # (the Clock starts at the real time)
    return status.build_status(outcome("ok")(ProviderRef("team-a", "p")), None, generation=None, now=when)
