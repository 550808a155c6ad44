"""AWS throttling one account: that account's rate adapts to what AWS grants, the others keep theirs.

Three accounts with eight providers each are verified at once through the fault proxy, which
answers ``Throttling`` to account B above 4 calls a second (tests/support/account_throttle.py),
with a limit of 20 calls a second per account. Each provider is verified until its result is not
transient, as the controller would retry it.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import boto3
import pytest
from botocore.exceptions import ClientError

from awsip.api.v1alpha1 import AWSInfrastructureProviderSpec
from awsip.aws import AwsServices
from awsip.aws.ratelimit import BucketKey, RateLimits, RateLimitSettings
from awsip.aws.sts import assume_role
from awsip.observability.metrics import Metrics
from awsip.profiles import load_profile
from awsip.sandbox.aws_seed import (
    OPERATOR_POLICY,
    create_managed_policy,
    create_provider_role,
    without_actions,
)
from awsip.verification import ProviderRef, VerificationResult, verify
from tests.aws.moto_fixtures import Sandbox
from tests.support.account_throttle import THROTTLING, AccountThrottle, Arrival
from tests.support.fault_proxy import FaultProxy
from tests.support.moto_accounts import in_account
from tests.verification.fakes import FakeInputs

A, B, C = "111111111111", "222222222222", "333333333333"
THROTTLED_AT = 4  # calls per second that AWS grants account B
ACCOUNT_LIMIT = 20.0  # --account-calls-per-second
PROVIDERS_PER_ACCOUNT = 8
ADAPTATION = 3.0  # seconds from B's first request
LACKING = ("ec2:CreateVpc", "iam:PassRole")
#: The operator reads IAM in its own account only: in the others the roles read themselves.
READ_OWN_POLICIES = OPERATOR_POLICY["Statement"][1]


@dataclass(frozen=True)
class Provider:
    account: str
    index: int

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{self.account}:role/capa-{self.index}"

    @property
    def external_id(self) -> str:
        return f"ext-{self.account}-{self.index}"

    @property
    def compliant(self) -> bool:
        return not (self.account == B and self.index == 0)


def seed(sandbox: Sandbox, providers: list[Provider]) -> None:
    minimal = load_profile("capa-minimal")
    lacking = without_actions(minimal, LACKING)
    for account in (A, B, C):
        iam = in_account(sandbox.server.client("iam"), account)
        policies = {
            compliant: create_managed_policy(
                iam, name, {**document, "Statement": [*document["Statement"], READ_OWN_POLICIES]}
            )
            for compliant, name, document in (
                (True, "capa-minimal", minimal),
                (False, "capa-lacking", lacking),
            )
        }
        for provider in (p for p in providers if p.account == account):
            create_provider_role(
                iam,
                f"capa-{provider.index}",
                trusted_principal_arn=sandbox.operator.arn,
                external_id=provider.external_id,
                managed_policy_arns=[policies[provider.compliant]],
            )


def per_second_peak(times: list[float]) -> int:
    ordered, best, start = sorted(times), 0, 0
    for end, at in enumerate(ordered):
        while at - ordered[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


@pytest.mark.timeout(120)
def test_a_throttled_account_gets_what_aws_grants_and_the_others_keep_their_pace(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    providers = [Provider(account, i) for account in (A, B, C) for i in range(PROVIDERS_PER_ACCOUNT)]
    seed(sandbox, providers)
    sandbox.auth()
    metrics = Metrics()
    throttle = AccountThrottle({B: THROTTLED_AT})
    with FaultProxy(sandbox.endpoint) as proxy:
        proxy.inject(throttle, THROTTLING)
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        limits = RateLimits(RateLimitSettings(sts_calls_per_second=0, account_calls_per_second=ACCOUNT_LIMIT))
        aws = AwsServices(boto3.session.Session(), rate_limits=limits, metrics=metrics)

        def settle(provider: Provider) -> VerificationResult:
            spec = AWSInfrastructureProviderSpec.model_validate(
                {
                    "roleARN": provider.role_arn,
                    "externalID": provider.external_id,
                    "verification": {"method": "Local"},
                }
            )
            for _ in range(30):
                result = verify(ProviderRef("team", f"p-{provider.account}-{provider.index}"), spec, aws=aws,
                                inputs=FakeInputs())  # fmt: skip
                if not result.transient:
                    return result
                time.sleep(0.5)  # the controller's backoff, shortened
            raise AssertionError(f"{provider} never got a verdict")

        with ThreadPoolExecutor(len(providers)) as pool:
            outcomes = dict(zip(providers, pool.map(settle, providers), strict=True))
        requests = throttle.arrivals()

    # Every provider ends with the right verdict, the throttled account's included.
    for provider, result in outcomes.items():
        reasons = (result.role_assumed.reason, result.permissions and result.permissions.reason)
        expected = "AllPermissionsGranted" if provider.compliant else "MissingPermissions"
        assert reasons == ("AssumeRoleSucceeded", expected), provider

    def of(account: str) -> list[Arrival]:
        return [r for r in requests if r.account == account]

    # B: after a short adaptation, no more than AWS grants it (4 calls a second on average), and
    # few throttled answers (the proxy throttles a second with a fifth call, bunched or not).
    b = of(B)
    adapted = [r for r in b if r.at >= b[0].at + ADAPTATION]
    assert len(adapted) >= 12, "too little of B's work was left after the adaptation to judge it"
    span = adapted[-1].at - adapted[0].at
    assert len(adapted) <= THROTTLED_AT * span + 1
    throttled = [r for r in adapted if r.throttled]
    assert len(throttled) <= max(2, 0.15 * len(adapted)), throttled

    # A and C: never throttled, at their own pace: all their calls within what 20/s takes (plus
    # the time the verifications themselves take), long before B is done.
    for account in (A, C):
        calls = of(account)
        assert not [r for r in calls if r.throttled]
        took = calls[-1].at - calls[0].at
        assert took <= len(calls) / ACCOUNT_LIMIT + 2.0, (account, took, len(calls))
        assert calls[-1].at < b[-1].at - 2.0
        assert per_second_peak([r.at for r in calls]) > 2 * THROTTLED_AT

    # The metrics show it: throttles by account, B's lowered rate (and no series for the others).
    def sample(name: str, **labels: str) -> float | None:
        return metrics.registry.get_sample_value(name, labels)

    assert (sample("awsip_aws_throttles_total", service="iam", account=B) or 0) >= 1
    assert sample("awsip_aws_throttles_total", service="iam", account=A) is None
    lowered = sample("awsip_aws_rate_limit", account=B)
    assert lowered is not None and lowered < ACCOUNT_LIMIT / 2
    assert sample("awsip_aws_rate_limit", account=A) is None
    bucket = limits.bucket(BucketKey("account", B))
    assert bucket is not None and bucket.adaptive.cuts >= 1


def test_throttled_sts_calls_slow_the_operators_sts_bucket_and_count_against_its_account(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    role = create_provider_role(sandbox.iam, "capa", trusted_principal_arn=sandbox.operator.arn)
    sandbox.auth()
    metrics = Metrics()
    operator_account = role.split(":")[4]
    throttle = AccountThrottle({operator_account: 2})
    with FaultProxy(sandbox.endpoint) as proxy:
        proxy.inject(throttle, THROTTLING)
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        limits = RateLimits(RateLimitSettings(sts_calls_per_second=50, account_calls_per_second=0))
        aws = AwsServices(boto3.session.Session(), rate_limits=limits, metrics=metrics)
        assert aws.operator_identity("us-east-1").account == operator_account
        sts = aws.operator_client("sts", "us-east-1")
        assumed = 0
        for _ in range(30):  # six AssumeRole calls; one botocore gave up on is asked again
            try:
                assume_role(sts, role_arn=role, session_name="awsip-test", duration_seconds=900)
            except ClientError as error:
                assert error.response["Error"]["Code"] == "Throttling"
                continue
            assumed += 1
            if assumed == 6:
                break
        assert assumed == 6
        throttled = [r for r in throttle.arrivals() if r.throttled]
    assert throttled and {r.operation for r in throttled} <= {"sts:AssumeRole", "sts:GetCallerIdentity"}
    bucket = limits.bucket(BucketKey("sts", "us-east-1"))
    assert bucket is not None and bucket.adaptive.cuts >= 1 and bucket.rate() < 50
    assert metrics.registry.get_sample_value(
        "awsip_aws_throttles_total", {"service": "sts", "account": operator_account}
    ) == len(throttled)
    assert metrics.registry.get_sample_value(
        "awsip_aws_sts_rate_limit", {"region": "us-east-1"}
    ) == pytest.approx(bucket.rate(), rel=0.05)
