"""Issue 14, items 3 and 4, end to end: the operator behind a fault-injecting proxy in front of moto.

* A deputy that reads for strangers: a provider that cannot assume its role (a wrong External ID)
  must learn nothing about the role, and awsip must not read it with its own identity.
* A short failure of the operator's own credentials (``ExpiredToken`` while they rotate) is a
  retry: Unknown, retried with backoff, the last verdict's details kept, Ready again once the
  credentials work.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from awsip.sandbox import scenarios
from awsip.sandbox.harness import Sandbox
from tests.e2e.e2e_helpers import (
    age_last_verification,
    condition,
    has_verdict,
    is_settled,
    provider,
    sandbox_behind,
    verdict,
)
from tests.support.fault_proxy import FaultProxy, SeenRequest, aws_error, operation

pytestmark = pytest.mark.e2e

PRODUCTION = {"roleARN": scenarios.PRODUCTION.arn, "externalID": scenarios.PRODUCTION.external_id}


@pytest.fixture(scope="module")
def faults() -> Iterator[FaultProxy]:
    # Started before the sandbox so that it can be put in front of the sandbox's own proxy.
    proxy = FaultProxy("http://127.0.0.1:1")
    with proxy:
        yield proxy


@pytest.fixture(scope="module")
def sandbox(
    tmp_path_factory: pytest.TempPathFactory, operator_logs: object, faults: FaultProxy
) -> Iterator[Sandbox]:
    with sandbox_behind(faults, tmp_path_factory.mktemp("sandbox")) as world:
        yield world


def about_role(role_name: str, role_arn: str) -> Callable[[SeenRequest], bool]:
    def matches(request: SeenRequest) -> bool:
        return request.service == "iam" and (
            request.params.get("RoleName") == role_name or request.params.get("PolicySourceArn") == role_arn
        )

    return matches


def test_a_provider_that_cannot_assume_its_role_learns_nothing_about_it(
    sandbox: Sandbox, namespace: str, faults: FaultProxy
) -> None:
    partner = scenarios.PARTNER
    mark = faults.mark()
    sandbox.client.apply(
        provider(namespace, "stranger", {"roleARN": partner.arn, "externalID": "guessed-0badc0de"})
    )

    obj = sandbox.wait_for_provider(namespace, "stranger", is_settled)

    assert verdict(obj) == ("False", "AccessDenied")
    for type_ in ("TrustPolicySecure", "PermissionsVerified"):
        assert (condition(obj, type_)["status"], condition(obj, type_)["reason"]) == (
            "Unknown",
            "NotVerified",
        )
    status = obj["status"]
    assert "trustPolicy" not in status and "permissions" not in status and "accountID" not in status
    # The remediation stays: who the operator is and which trust policy the role needs.
    message = condition(obj, "RoleAssumed")["message"]
    assert sandbox.operator_user is not None and sandbox.operator_user.arn in message
    assert '"sts:ExternalId"' in message
    # AWS was asked to assume the role, and nothing else about it (the operator may read it).
    assert faults.seen(lambda r: r.id > mark and r.operation == "sts:AssumeRole")
    assert faults.seen(lambda r: r.id > mark and about_role(partner.name, partner.arn)(r)) == []


def test_a_short_credentials_failure_is_retried_and_keeps_the_verdict(
    sandbox: Sandbox, namespace: str, faults: FaultProxy
) -> None:
    sandbox.client.apply(provider(namespace, "production", PRODUCTION))
    before = sandbox.wait_for_provider(namespace, "production", has_verdict("True", "Verified"))
    kept = {
        key: before["status"][key] for key in ("accountID", "assumedRoleARN", "permissions", "trustPolicy")
    }

    # The operator's token expires while it rotates: STS refuses it for a few seconds.
    expired = faults.inject(
        operation("sts:AssumeRole"),
        aws_error("ExpiredToken", "The security token included in the request is expired"),
    )
    try:
        age_last_verification(sandbox, namespace, "production")  # due now
        during = sandbox.wait_for_provider(
            namespace,
            "production",
            lambda o: verdict(o) == ("Unknown", "OperatorCredentialsUnavailable"),
            timeout=30,
        )
        assert condition(during, "Stalled")["status"] == "False"
        assert (condition(during, "Reconciling")["status"], condition(during, "Reconciling")["reason"]) == (
            "True",
            "Retrying",
        )
        assert {key: during["status"].get(key) for key in kept} == kept
        # Retried with backoff (the sandbox's: 1 s doubling up to 5 s), not after the interval.
        deadline = time.monotonic() + 20
        while expired.hits < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert expired.hits >= 3
    finally:
        faults.remove(expired)

    after = sandbox.wait_for_provider(namespace, "production", has_verdict("True", "Verified"), timeout=20)
    assert {key: after["status"].get(key) for key in kept} == kept
