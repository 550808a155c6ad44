"""The real status builder, read by Argo CD's health check, kstatus and Flux's healthCheckExprs.

Every combination of check outcomes goes through awsip.status.build_status (and
reconciling_status for a new generation); the three GitOps readings must agree with each other and
with Ready: Healthy = Current = Ready True, Degraded = Failed = Stalled True, Progressing =
InProgress otherwise.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from awsip.api.v1alpha1 import PermissionsStatus, TrustPolicyStatus
from awsip.status import build_status, reconciling_status
from awsip.verification.inputs import ProviderRef
from awsip.verification.outcome import Check, VerificationResult
from tests.delivery.test_gitops import (
    TERMINAL_READY_REASONS,
    argocd_health,
    condition,
    contract_violations,
    flux_cel_status,
    flux_kustomization,
    kstatus,
)

ROLE = "arn:aws:iam::111122223333:role/capa-manager"
NOW = datetime(2026, 1, 10, 9, 0, 0, tzinfo=UTC)

ROLE_OUTCOMES = {
    "assumed": Check("True", "AssumeRoleSucceeded", f"Assumed {ROLE}."),
    "denied": Check("False", "AccessDenied", "sts:AssumeRole was denied."),
    "no-credentials": Check(
        "False", "OperatorCredentialsUnavailable", "The operator has no AWS credentials."
    ),
    "secret-missing": Check("False", "ExternalIDSecretNotFound", "Secret team-a/external-id does not exist."),
    "sts-down": Check("Unknown", "AWSUnavailable", "STS did not answer.", transient=True),
}
CHECK_OUTCOMES: dict[str, Check | None] = {
    "not-run": None,
    "ok": Check("True", "AllPermissionsGranted", "All 98 required actions are granted."),
    "failed": Check("False", "MissingPermissions", "2 of 98 required actions are not granted."),
    "undecided": Check("Unknown", "CannotReadPolicies", "iam:GetRolePolicy was denied."),
    "transient": Check("Unknown", "AWSUnavailable", "IAM did not answer.", transient=True),
}
TRUST_OUTCOMES: dict[str, Check | None] = {
    "not-run": None,
    "ok": Check("True", "Secure", "The trust policy is secure."),
    "failed": Check("False", "WildcardPrincipal", 'Statement 0 allows Principal "*".'),
    "transient": Check("Unknown", "AWSUnavailable", "IAM did not answer.", transient=True),
}


def result(role: str, permissions: str, trust: str) -> VerificationResult:
    assumed = ROLE_OUTCOMES[role]
    return VerificationResult(
        ref=ProviderRef("team-a", "team-a"),
        role_arn=ROLE,
        role_assumed=assumed,
        permissions=CHECK_OUTCOMES[permissions] if assumed.ok else None,
        trust=TRUST_OUTCOMES[trust] if assumed.ok else None,
        account_id="111122223333" if assumed.ok else None,
        assumed_role_arn="arn:aws:sts::111122223333:assumed-role/capa-manager/awsip-team-a-team-a"
        if assumed.ok
        else None,
        permissions_status=PermissionsStatus(requiredActions=98)
        if permissions == "ok" and assumed.ok
        else None,
        trust_status=TrustPolicyStatus(externalIDEnforced=True) if trust == "ok" and assumed.ok else None,
    )


def provider(status: dict[str, Any] | None, generation: int) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "infrastructure.awsip.io/v1alpha1",
        "kind": "AWSInfrastructureProvider",
        "metadata": {"name": "team-a", "namespace": "team-a", "generation": generation},
        "spec": {"roleARN": ROLE},
    }
    if status is not None:
        obj["status"] = status
    return obj


COMBINATIONS = [
    (role, permissions, trust)
    for role, permissions, trust in itertools.product(ROLE_OUTCOMES, CHECK_OUTCOMES, TRUST_OUTCOMES)
    if ROLE_OUTCOMES[role].ok or (permissions, trust) == ("not-run", "not-run")
]
FLUX_EXPRS = next(
    e
    for e in flux_kustomization("awsip-providers")["spec"]["healthCheckExprs"]
    if e["kind"] == "AWSInfrastructureProvider"
)

EXPECTED_BY_KSTATUS = {"Current": "Healthy", "Failed": "Degraded", "InProgress": "Progressing"}


def readings(obj: dict[str, Any]) -> tuple[str, str, str]:
    return argocd_health(obj)["status"], kstatus(obj)[0], flux_cel_status(obj, FLUX_EXPRS)


def check_agreement(obj: dict[str, Any]) -> None:
    assert contract_violations(obj) == []
    argo, ks, flux = readings(obj)
    assert argo == EXPECTED_BY_KSTATUS[ks], (argo, ks)
    assert flux == ks
    ready = condition(obj, "Ready")
    stalled = condition(obj, "Stalled")
    assert ready is not None and stalled is not None
    at_generation = obj["status"].get("observedGeneration") == obj["metadata"]["generation"]
    reconciling = condition(obj, "Reconciling")
    busy = reconciling is not None and reconciling["status"] == "True"
    assert (ks == "Current") == (ready["status"] == "True" and at_generation and not busy)
    assert (ks == "Failed") == (stalled["status"] == "True" and at_generation)


@pytest.mark.parametrize(("role", "permissions", "trust"), COMBINATIONS)
def test_first_verification(role: str, permissions: str, trust: str) -> None:
    status = build_status(result(role, permissions, trust), None, generation=1, now=NOW)
    check_agreement(provider(status, 1))


@pytest.mark.parametrize(("role", "permissions", "trust"), COMBINATIONS)
def test_reverification_after_success(role: str, permissions: str, trust: str) -> None:
    verified = build_status(result("assumed", "ok", "ok"), None, generation=1, now=NOW)
    assert readings(provider(verified, 1)) == ("Healthy", "Current", "Current")
    status = build_status(
        result(role, permissions, trust), verified, generation=1, now=NOW + timedelta(hours=1)
    )
    check_agreement(provider(status, 1))


@pytest.mark.parametrize(("role", "permissions", "trust"), COMBINATIONS)
def test_new_generation_is_progressing_until_verified(role: str, permissions: str, trust: str) -> None:
    before = build_status(result(role, permissions, trust), None, generation=1, now=NOW)
    started = reconciling_status(before, 2, NOW + timedelta(minutes=1), "Verifying generation 2")
    obj = provider(started, 2)
    assert readings(obj) == ("Progressing", "InProgress", "InProgress")
    after = build_status(result("assumed", "ok", "ok"), started, generation=2, now=NOW + timedelta(minutes=2))
    assert readings(provider(after, 2)) == ("Healthy", "Current", "Current")


def test_a_fresh_provider_is_progressing_for_argocd_and_waited_for_by_flux() -> None:
    obj = provider(None, 1)
    assert argocd_health(obj)["status"] == "Progressing"
    assert flux_cel_status(obj, FLUX_EXPRS) == "Unknown"  # Flux keeps waiting for the first verdict


def test_terminal_reasons_of_the_builder_are_stalled() -> None:
    """A terminal Ready reason comes with Stalled, unless another check is still being retried."""
    seen = set()
    for role, permissions, trust in COMBINATIONS:
        verification = result(role, permissions, trust)
        obj = provider(build_status(verification, None, generation=1, now=NOW), 1)
        ready, stalled = condition(obj, "Ready"), condition(obj, "Stalled")
        assert ready is not None and stalled is not None
        if ready["reason"] in TERMINAL_READY_REASONS and not verification.transient:
            seen.add(ready["reason"])
            assert stalled["status"] == "True"
            assert argocd_health(obj) == {
                "status": "Degraded",
                "message": f"{ready['reason']}: {ready['message']}",
            }
    assert seen == {
        "AccessDenied",
        "OperatorCredentialsUnavailable",
        "ExternalIDSecretNotFound",
        "MissingPermissions",
        "WildcardPrincipal",
    }
