"""The bounds of one verification's work (issue 14, item 2): the policy engine's work budget, and
stopping the engine when the operator stops. (A required policy past IAM's sizes is refused before
any of this: tests/verification/test_required_policy_size.py.)"""

from __future__ import annotations

import json
import threading
import time

import pytest

from awsip.api.v1alpha1 import AWSInfrastructureProviderSpec
from awsip.policy import check_coverage, default_engine, parse_policy
from awsip.profiles import load_profile
from awsip.verification import ProviderRef, verify
from awsip.verification.work_budget import (
    Stopping,
    WorkBudgetExceeded,
    WorkLimits,
    bounded_work,
)
from tests.aws.moto_fixtures import Sandbox
from tests.support.hostile_policies import costly_required_policy, oversized_required_policy
from tests.verification.fakes import FakeInputs

REF = ProviderRef("team-a", "prod")
EXTERNAL_ID = "ext-id-7f3a9c1e"


def configmap_spec(role: str) -> AWSInfrastructureProviderSpec:
    return AWSInfrastructureProviderSpec.model_validate(
        {
            "roleARN": role,
            "externalID": EXTERNAL_ID,
            "requiredPolicy": {"configMapRef": {"name": "policy", "key": "policy.json"}},
            "verification": {"method": "Local"},
        }
    )


def test_the_engine_stops_beyond_the_budget_and_when_asked_to() -> None:
    default_engine().clear()
    required = parse_policy(costly_required_policy(60), name="costly")
    role = [parse_policy(load_profile("capa-minimal"), name="capa")]
    with pytest.raises(WorkBudgetExceeded) as exceeded, bounded_work(WorkLimits(cpu_seconds=0.05)):
        check_coverage(required, role)
    assert exceeded.value.cpu >= 0.05
    stopping = threading.Event()
    stopping.set()
    started = time.monotonic()
    with pytest.raises(Stopping), bounded_work(WorkLimits(), stopping):
        check_coverage(parse_policy(costly_required_policy(61), name="costly-2"), role)
    assert time.monotonic() - started < 1
    # Outside the block the engine is not bounded (and finishes).
    assert check_coverage(parse_policy(costly_required_policy(3), name="small"), role).results


def test_the_policy_of_the_report_is_stopped_by_the_budget_not_worked_through(sandbox: Sandbox) -> None:
    # About the policy of issue 14's report: 1,000 wildcard statements, within IAM's largest size
    # (so not refused for it), which kept a worker busy for minutes.
    role = sandbox.capa_role(EXTERNAL_ID)
    sandbox.auth()
    default_engine().clear()
    huge = json.dumps(oversized_required_policy(), indent=2)
    assert len(huge) > 100_000
    inputs = FakeInputs(configmaps={("team-a", "policy", "policy.json"): huge})
    aws = sandbox.services()
    started = time.thread_time()
    result = verify(REF, configmap_spec(role), aws=aws, inputs=inputs, limits=WorkLimits(cpu_seconds=0.5))
    assert time.thread_time() - started < 5
    assert result.permissions is not None
    assert (result.permissions.status, result.permissions.reason) == ("Unknown", "PolicyCheckTooCostly")
    assert "ConfigMap team-a/policy (key 'policy.json')" in result.permissions.message
    assert "one verification may use 0.5 s" in result.permissions.message
    assert not result.transient  # a person must change it: not retried before the interval
    # The role is still assumed and its trust policy checked.
    assert result.role_assumed.ok and result.trust is not None and result.trust.ok


def test_a_required_policy_too_costly_to_check_is_reported_not_retried(sandbox: Sandbox) -> None:
    role = sandbox.capa_role(EXTERNAL_ID)
    sandbox.auth()
    default_engine().clear()
    costly = json.dumps(costly_required_policy(60))
    inputs = FakeInputs(configmaps={("team-a", "policy", "policy.json"): costly})
    started = time.monotonic()
    result = verify(
        REF, configmap_spec(role), aws=sandbox.services(), inputs=inputs, limits=WorkLimits(cpu_seconds=0.1)
    )
    assert time.monotonic() - started < 5
    assert result.permissions is not None
    assert (result.permissions.status, result.permissions.reason) == ("Unknown", "PolicyCheckTooCostly")
    assert "ConfigMap team-a/policy (key 'policy.json')" in result.permissions.message
    assert not result.transient


def test_a_verification_stops_when_the_operator_does(sandbox: Sandbox) -> None:
    role = sandbox.capa_role(EXTERNAL_ID)
    sandbox.auth()
    default_engine().clear()
    inputs = FakeInputs(
        configmaps={("team-a", "policy", "policy.json"): json.dumps(costly_required_policy(62))}
    )
    stopping = threading.Event()
    stopping.set()
    result = verify(
        REF,
        configmap_spec(role),
        aws=sandbox.services(),
        inputs=inputs,
        limits=WorkLimits(3600, 3600),
        stopping=stopping,
    )
    assert result.transient
    assert result.role_assumed.reason == "NotVerified" and "stopped" in result.role_assumed.message
