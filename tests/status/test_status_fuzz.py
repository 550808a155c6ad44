"""Whatever AWS answers, the status stays valid and small.

VerificationResults are built the way verify() builds them -- from AWS error codes and messages
(10,000 characters, any unicode), from the permissions check of fuzzed verdicts and from the trust
analysis of fuzzed trust policies (thousands of statements) -- and fed to build_status, also on top
of the status before. The status must validate against the CRD's model, its JSON must stay well
under Kubernetes' object size limit, and building it again from the same result must change
nothing (a status that shrank to fit must not be patched over and over). The status before is
never changed by building a new one (the runtime shares it with Kopf's copy of the object).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from awsip.api.condition_reasons import ConditionType
from awsip.api.v1alpha1 import AWSInfrastructureProviderStatus
from awsip.policy.findings import PolicyFinding
from awsip.status import MAX_STATUS_BYTES, build_status, not_permitted_status, status_changed
from awsip.trust import analyze_trust_policy
from awsip.verification import Check, ProviderRef, VerificationResult
from awsip.verification.permission_verdicts import Verdict, permissions_check
from tests.support.status_strategies import NOW, OPERATOR, ROLE, previous_statuses, results, texts

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: What the tests hold the status to: far below the API server's limit (about 1.5 MiB).
LIMIT = 64 * 1024


def check_status(status: dict[str, Any]) -> None:
    AWSInfrastructureProviderStatus.model_validate(status)
    escaped = json.dumps(status, separators=(",", ":"))
    utf8 = json.dumps(status, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    assert len(utf8) <= len(escaped) < LIMIT
    types = [c["type"] for c in status["conditions"]]
    assert len(types) == len(set(types))
    assert {ConditionType.READY, ConditionType.RECONCILING, ConditionType.STALLED} <= set(types)


@FUZZ
@given(result=results(), previous=previous_statuses(), generation=st.none() | st.integers(1, 2**31))
@example(
    result=VerificationResult(
        ref=ProviderRef("team-a", "p"),
        role_arn=ROLE,
        role_assumed=Check("False", "AccessDenied", "😀" * 10_000),
        permissions=Check("False", "MissingPermissions", "é" * 10_000),
        trust=Check("False", "WildcardPrincipal", "\u202e" * 10_000),
    ),
    previous=None,
    generation=1,
)
def test_any_result_makes_a_valid_small_stable_status(
    result: VerificationResult, previous: dict[str, Any] | None, generation: int | None
) -> None:
    before = copy.deepcopy(previous)
    status = build_status(result, previous, generation=generation, now=NOW)
    assert previous == before  # the runtime keeps watch events' parts shared, never copied
    check_status(status)
    again = build_status(result, status, generation=generation, now=NOW)
    assert not status_changed(status, again)


@FUZZ
@given(message=texts, previous=previous_statuses(), generation=st.none() | st.integers(1, 2**31))
def test_a_refusal_makes_a_valid_small_stable_status(
    message: str, previous: dict[str, Any] | None, generation: int | None
) -> None:
    before = copy.deepcopy(previous)
    status = not_permitted_status(previous, generation=generation, now=NOW, message=message)
    assert previous == before
    check_status(status)
    assert not {"accountID", "assumedRoleARN", "permissions", "trustPolicy"} & set(status)
    again = not_permitted_status(status, generation=generation, now=NOW, message=message)
    assert not status_changed(status, again)


def test_the_largest_status_the_builder_can_make_fits() -> None:
    """Every field at its own cap, in the costliest characters, before fit_status shrinks it."""
    emoji = "😀" * 10_000
    verdicts = [Verdict(emoji, emoji, "NotCovered", emoji) for _ in range(500)]
    findings = [PolicyFinding("UnknownAction", emoji, emoji, emoji, emoji, emoji) for _ in range(100)]
    permissions, permissions_status = permissions_check(
        verdicts, method="Local", profile=None, config_map=emoji, findings=findings
    )
    document = {
        "Statement": [
            {
                "Sid": emoji[:200],
                "Effect": "Allow",
                "Principal": "*",
                "Action": "sts:AssumeRole",
                "Condition": {"Bad": {emoji: emoji}},
            }
        ]
        * 100
    }
    analysis = analyze_trust_policy(
        document, external_id_configured=True, management_account_id=OPERATOR.account
    )
    result = VerificationResult(
        ref=ProviderRef("team-a", "p"),
        role_arn=ROLE,
        role_assumed=Check("True", "AssumeRoleSucceeded", emoji),
        permissions=permissions,
        trust=Check("False", analysis.reason, analysis.message + emoji),
        account_id="123456789012",
        assumed_role_arn="arn:aws:sts::123456789012:assumed-role/capa/" + "😀" * 2_000,
        permissions_status=permissions_status,
        trust_status=analysis.to_status(),
    )
    previous = {
        "conditions": [
            {
                "type": f"example.com/Other{i}",
                "status": "True",
                "reason": "R" * 1024,
                "message": emoji,
                "lastTransitionTime": "2026-01-01T00:00:00Z",
            }
            for i in range(10)
        ]
    }
    status = build_status(result, previous, generation=7, now=NOW)
    check_status(status)
    assert len(json.dumps(status, separators=(",", ":"))) <= MAX_STATUS_BYTES  # the last step always fits
    assert status["permissions"]["missingActions"] == 500  # the counts stay exact
    assert status["permissions"]["findingCount"] == 100
    assert status["permissions"]["truncated"] is True


def test_a_usual_status_is_left_as_it_is() -> None:
    verdicts = [Verdict(f"ec2:Action{i}", "*", "NotCovered", "no statement allows it") for i in range(60)]
    permissions, permissions_status = permissions_check(
        verdicts, method="Local", profile="capa-minimal", config_map=None
    )
    result = VerificationResult(
        ref=ProviderRef("team-a", "p"),
        role_arn=ROLE,
        role_assumed=Check("True", "AssumeRoleSucceeded", "Assumed."),
        permissions=permissions,
        trust=Check("True", "Secure", "Secure."),
        account_id="123456789012",
        permissions_status=permissions_status,
    )
    status = build_status(result, None, generation=1, now=NOW)
    assert len(status["permissions"]["missing"]) == 50  # MAX_MISSING_LISTED, not shortened further
    assert status["permissions"]["missing"][0]["reason"] == "no statement allows it"
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert ready["message"] == permissions.message
