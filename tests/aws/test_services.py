from __future__ import annotations

import contextvars
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, NoCredentialsError
from botocore.stub import Stubber

from awsip.aws import AwsServices
from awsip.aws.ratelimit import BucketKey, RateLimitSettings
from awsip.aws.regions import partition_of_region, region_for
from awsip.aws.sts import AssumedRole, CallerIdentity, TemporaryCredentials, assume_role
from awsip.observability.metrics import REGISTRY
from awsip.sandbox.aws_seed import create_provider_role
from tests.aws.moto_fixtures import Sandbox, isolate_aws_environment
from tests.support.aws_calls import CallCounter, count_calls
from tests.support.moto_accounts import in_account

READ_ROLES = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*"}],
}


def offline_services(**kwargs: object) -> AwsServices:
    session = boto3.session.Session(
        aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="example", region_name="eu-central-1"
    )
    return AwsServices(session, **kwargs)  # type: ignore[arg-type]


def test_every_api_call_is_counted_per_operation_with_failures() -> None:
    aws = offline_services()
    counter = count_calls(aws)
    iam = aws.operator_client("iam", "us-east-1")
    with Stubber(iam) as stubber:
        stubber.add_response("list_role_policies", {"PolicyNames": []})
        stubber.add_client_error("get_role", "AccessDenied", http_status_code=403)
        iam.list_role_policies(RoleName="r")
        with pytest.raises(ClientError):
            iam.get_role(RoleName="r")
    assert counter.calls() == {"iam:ListRolePolicies": 1, "iam:GetRole": 1}
    assert counter.errors() == {"iam:GetRole": 1}
    assert counter.total() == 2


def test_operator_clients_are_cached_per_service_and_region() -> None:
    aws = offline_services()
    assert aws.operator_client("sts", "eu-west-1") is aws.operator_client("sts", "eu-west-1")
    assert aws.operator_client("sts", "eu-west-1") is not aws.operator_client("sts", "us-east-1")


def test_the_clients_prepared_at_startup_are_the_ones_verifications_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    aws = offline_services()
    aws.prepare_clients()
    made: list[str] = []
    monkeypatch.setattr(aws.session, "client", lambda service, **_: made.append(service))
    credentials = TemporaryCredentials("AKIA", "secret", "token", account="111122223333")
    for service in ("sts", "iam"):
        assert aws.operator_client(service, "eu-central-1") is not None
        assert aws.temporary_client(service, "eu-central-1", credentials) is not None
    assert made == []  # nothing made in a verification (the operator's own region, partition aws)


def test_sts_uses_the_regional_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_aws_environment(monkeypatch)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    aws = offline_services()
    assert aws.operator_client("sts", "eu-west-1").meta.endpoint_url == "https://sts.eu-west-1.amazonaws.com"
    assert aws.operator_client("sts", "cn-north-1").meta.endpoint_url.startswith("https://sts.cn-north-1.")


def test_region_choice() -> None:
    assert region_for("aws", "eu-west-1") == "eu-west-1"
    assert region_for("aws", None, fallback="eu-central-1") == "eu-central-1"
    assert region_for("aws-cn", None, fallback="eu-central-1") == "cn-north-1"
    assert region_for("aws-us-gov", None) == "us-gov-west-1"
    assert partition_of_region("us-gov-east-1") == "aws-us-gov"
    assert offline_services().region_for("aws") == "eu-central-1"


def test_botocore_is_configured_with_timeouts_and_few_standard_retries() -> None:
    aws = AwsServices.from_environment(max_attempts=2, connect_timeout=3, read_timeout=7)
    config = aws.operator_client("iam", "us-east-1").meta.config
    assert config.retries == {"mode": "standard", "total_max_attempts": 2}
    assert (config.connect_timeout, config.read_timeout) == (3, 7)
    assert aws.rate_limits is not None
    assert aws.rate_limits.settings == RateLimitSettings(
        sts_calls_per_second=50, account_calls_per_second=10, calls_per_second=0
    )
    assert aws.rate_limits.global_cap is None
    assert (
        AwsServices.from_environment(sts_calls_per_second=0, account_calls_per_second=0).rate_limits is None
    )


def test_logging_is_left_alone() -> None:
    logger = logging.getLogger("botocore")
    before = logger.level
    AwsServices.from_environment()
    assert logger.level == before


def test_temporary_credentials_show_nothing() -> None:
    credentials = TemporaryCredentials("ASIAKEYID", "secret-access-key", "session-token")
    for text in (repr(credentials), str(credentials)):
        assert "ASIAKEYID" not in text and "secret-access-key" not in text and "session-token" not in text


def test_principal_arn_of_an_assumed_role_session_is_its_role() -> None:
    irsa = CallerIdentity(
        "111122223333", "arn:aws:sts::111122223333:assumed-role/awsip-operator/botocore-session-1"
    )
    assert irsa.principal_arn == "arn:aws:iam::111122223333:role/awsip-operator"
    assert irsa.role_name == "awsip-operator"
    user = CallerIdentity("111122223333", "arn:aws-cn:iam::111122223333:user/op")
    assert (user.principal_arn, user.role_name, user.partition) == (user.arn, None, "aws-cn")


def test_every_http_request_takes_a_token_and_the_operator_identity_is_asked_once(sandbox: Sandbox) -> None:
    aws = sandbox.services(calls_per_second=1000, sts_calls_per_second=1000, account_calls_per_second=1000)
    counter = count_calls(aws)
    waits: list[float] = []
    aws.rate_limit_observer = waits.append
    identity = aws.operator_identity("us-east-1")
    assert identity.arn == sandbox.operator.arn
    assert aws.operator_identity("us-east-1") is identity
    aws.operator_client("iam", "us-east-1").list_roles()
    assert counter.calls() == {"sts:GetCallerIdentity": 1, "iam:ListRoles": 1}
    limits = aws.rate_limits
    assert limits is not None and limits.global_cap is not None and limits.global_cap.acquired == 2
    # The operator's STS call paced in its Region's bucket, its IAM call in its own account's.
    sts, iam = (
        limits.bucket(BucketKey("sts", "us-east-1")),
        limits.bucket(BucketKey("account", identity.account)),
    )
    assert sts is not None and sts.acquired == 1
    assert iam is not None and iam.acquired == 1
    assert waits == [0.0, 0.0]


def test_the_global_cap_holds_across_threads(sandbox: Sandbox) -> None:
    aws = sandbox.services(calls_per_second=20)
    assert aws.rate_limits is not None and aws.rate_limits.global_cap is not None
    iam = aws.operator_client("iam", "us-east-1")
    iam.list_roles()  # the first call pays for connection set-up
    threads = [threading.Thread(target=iam.list_roles) for _ in range(10)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    # 10 more calls at 20/s with no burst: at least 10/20 s.
    assert aws.rate_limits.global_cap.acquired == 11
    assert elapsed >= 0.5 - 0.02


def test_each_account_is_paced_on_its_own(sandbox: Sandbox) -> None:
    roles = [
        create_provider_role(in_account(sandbox.server.client("iam"), account), "capa",
                             trusted_principal_arn=sandbox.operator.arn, inline_policies={"read": READ_ROLES})
        for account in ("111111111111", "222222222222")
    ]  # fmt: skip
    sandbox.auth()
    aws = sandbox.services(account_calls_per_second=10)
    sts = aws.operator_client("sts", "us-east-1")
    sessions = [
        assume_role(sts, role_arn=role, session_name="awsip-test", duration_seconds=900) for role in roles
    ]
    assert [s.credentials.account for s in sessions] == ["111111111111", "222222222222"]

    def read_role(session: AssumedRole) -> float:
        iam = aws.temporary_client("iam", "us-east-1", session.credentials)
        started = time.monotonic()
        for _ in range(5):
            iam.get_role(RoleName="capa")
        return time.monotonic() - started

    with ThreadPoolExecutor(max_workers=2) as pool:
        elapsed = list(pool.map(read_role, sessions))
    assert aws.rate_limits is not None
    # Five calls 1/10 s apart in each account, the two accounts side by side: 0.4 s each, not 0.9.
    for account, seconds in zip(("111111111111", "222222222222"), elapsed, strict=True):
        bucket = aws.rate_limits.bucket(BucketKey("account", account))
        assert bucket is not None and bucket.acquired == 5
        assert 0.4 - 0.02 <= seconds < 0.85
    # The operator's AssumeRole calls were paced in no account bucket but STS's (off here).
    assert {state.key for state in aws.rate_limits.states()} == {
        BucketKey("account", "111111111111"),
        BucketKey("account", "222222222222"),
    }


def test_call_counter_is_thread_safe() -> None:
    counter = CallCounter()
    threads = [
        threading.Thread(target=lambda: [counter.record_call("iam:GetRole") for _ in range(1000)])
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counter.get("iam:GetRole") == 8000
    counter.reset()
    assert counter.total() == 0


def test_calls_rate_limit_waits_and_cache_lookups_reach_the_prometheus_metrics(sandbox: Sandbox) -> None:
    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    calls = ("awsip_aws_calls_total", {"service": "iam", "operation": "ListRoles", "error_code": ""})
    denied = (
        "awsip_aws_calls_total",
        {"service": "iam", "operation": "GetRole", "error_code": "NoSuchEntity"},
    )
    before = {
        "calls": sample(calls[0], **calls[1]),
        "errors": sample(denied[0], **denied[1]),
        "waits": sample("awsip_rate_limiter_wait_seconds_count"),
        "hits": sample("awsip_policy_cache_requests_total", result="hit"),
        "misses": sample("awsip_policy_cache_requests_total", result="miss"),
    }
    aws = sandbox.services(calls_per_second=1000)
    iam = aws.operator_client("iam", "us-east-1")
    iam.list_roles()
    iam.list_roles()
    with pytest.raises(ClientError):
        iam.get_role(RoleName="no-such-role")
    for _ in range(3):
        aws.policy_cache.get_or_load(("arn:aws:iam::aws:policy/X", "v1"), lambda: "document")

    assert sample(calls[0], **calls[1]) - before["calls"] == 2
    assert sample(denied[0], **denied[1]) - before["errors"] == 1
    assert sample("awsip_rate_limiter_wait_seconds_count") - before["waits"] == 3  # one per HTTP request
    assert sample("awsip_policy_cache_requests_total", result="hit") - before["hits"] == 2
    assert sample("awsip_policy_cache_requests_total", result="miss") - before["misses"] == 1


def test_assume_role_names_the_session_without_asking_sts_again() -> None:
    assumed = AssumedRole(
        credentials=TemporaryCredentials("ASIAKEYID", "secret-access-key", "session-token"),
        assumed_role_arn="arn:aws:sts::111122223333:assumed-role/capa/awsip-team-a-prod",
        assumed_role_id="AROAEXAMPLE:awsip-team-a-prod",
    )
    assert assumed.identity == CallerIdentity(
        "111122223333",
        "arn:aws:sts::111122223333:assumed-role/capa/awsip-team-a-prod",
        "AROAEXAMPLE:awsip-team-a-prod",
    )
    nameless = AssumedRole(credentials=assumed.credentials, assumed_role_arn="")
    assert nameless.identity is None


def test_session_clients_are_shared_and_sign_as_the_session_of_their_own_context(sandbox: Sandbox) -> None:
    roles = [
        create_provider_role(sandbox.iam, f"capa-{i}", trusted_principal_arn=sandbox.operator.arn)
        for i in range(2)
    ]
    sandbox.auth()
    aws = sandbox.services()
    sts = aws.operator_client("sts", "us-east-1")
    together = threading.Barrier(2)
    clients: list[Any] = []

    def who_am_i(role: str) -> list[str]:
        assumed = assume_role(sts, role_arn=role, session_name="awsip-test", duration_seconds=900)
        client = aws.temporary_client("sts", "us-east-1", assumed.credentials)
        clients.append(client)
        together.wait()  # both sessions use the one client at the same time
        return [client.get_caller_identity()["Arn"] for _ in range(3)]

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(who_am_i, roles))
    assert answers == [[f"arn:aws:sts::123456789012:assumed-role/capa-{i}/awsip-test"] * 3 for i in range(2)]
    assert clients[0] is clients[1]
    # In a context without a session's credentials the client sends nothing.
    with pytest.raises(NoCredentialsError):
        contextvars.Context().run(clients[0].get_caller_identity)
