"""AWS throttling one account: that account's rate adapts to what AWS grants, the others keep theirs.

Three accounts with eight providers each are verified at once through the fault proxy, which
answers ``Throttling`` to account B above 4 calls a second (tests/support/account_throttle.py),
with a limit of 20 calls a second per account. Each provider is verified until its result is not
transient, as the controller would retry it.

Pace is judged on the client's own send decisions, the slots its rate limiter hands out
(tests/support/send_times.py), which every request carries to the proxy, and the throttle counts
those too: on a loaded machine requests sent paced reach the proxy bunched, and arrival times
judged the scheduler rather than the client (the test failed so at a load average of 10 on two
cores). That the client really waits for its slots is checked from when each request left.
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
from awsip.aws.ratelimit import BucketKey, RateLimitSettings
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
from tests.support.send_times import RecordedRateLimits, stamp_send_times
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
        settings = RateLimitSettings(sts_calls_per_second=0, account_calls_per_second=ACCOUNT_LIMIT)
        limits = RecordedRateLimits(settings)
        aws = AwsServices(boto3.session.Session(), rate_limits=limits, metrics=metrics)
        stamp_send_times(aws, limits)

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

    # Every request left at its slot or later: the slots are what the client really did.
    assert all(grant.sent >= grant.slot for grant in limits.grants)

    def of(account: str) -> list[Arrival]:
        return sorted((r for r in requests if r.account == account), key=lambda r: r.at)

    # B: after a short adaptation, no more than AWS grants it (4 calls a second on average), and
    # few throttled answers (a one-second window with a fifth call is throttled).
    b = of(B)
    assert len(b) == len(limits.of(BucketKey("account", B))), "a request of B's reached the proxy unstamped"
    adapted = [r for r in b if r.at >= b[0].at + ADAPTATION]
    assert len(adapted) >= 12, "too little of B's work was left after the adaptation to judge it"
    span = adapted[-1].at - adapted[0].at
    assert len(adapted) <= THROTTLED_AT * span + 1, (len(adapted), span)
    throttled = [r for r in adapted if r.throttled]
    assert len(throttled) <= max(2, 0.15 * len(adapted)), throttled

    # A and C: never throttled, at their own pace: eight providers have at most seven requests
    # ahead of a new one, 1/20 s apart, so none waited 8/20 s for its slot (at B's pace of 4 a
    # second, up to 2 s); and all done long before B.
    b_done = limits.of(BucketKey("account", B))[-1].slot
    for account in (A, C):
        assert not [r for r in of(account) if r.throttled]
        grants = limits.of(BucketKey("account", account))
        longest = max(grant.waited for grant in grants)
        assert longest <= PROVIDERS_PER_ACCOUNT / ACCOUNT_LIMIT + 1e-6, (account, longest)
        assert grants[-1].slot < b_done - 2.0, (account, b_done - grants[-1].slot)

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
        limits = RecordedRateLimits(RateLimitSettings(sts_calls_per_second=50, account_calls_per_second=0))
        aws = AwsServices(boto3.session.Session(), rate_limits=limits, metrics=metrics)
        stamp_send_times(aws, limits)
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
