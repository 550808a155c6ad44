"""AWS calls counted through botocore's after-call hooks, against a real moto server on loopback."""

from __future__ import annotations

import json
import socket

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

from awsip.observability.botocore_hooks import exception_code, instrument_boto3_session
from awsip.observability.metrics import Metrics

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
)


def calls(metrics: Metrics, service: str, operation: str, error_code: str = "") -> float:
    labels = {"service": service, "operation": operation, "error_code": error_code}
    return metrics.registry.get_sample_value("awsip_aws_calls_total", labels) or 0.0


@pytest.mark.usefixtures("aws_env")
def test_session_hooks_count_successes_and_aws_errors(metrics: Metrics) -> None:
    session = instrument_boto3_session(boto3.Session(), metrics)
    sts, iam = session.client("sts"), session.client("iam")

    sts.get_caller_identity()
    arn = iam.create_role(RoleName="hooked-role", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    iam.get_role(RoleName="hooked-role")
    with pytest.raises(ClientError) as error:
        iam.get_role(RoleName="no-such-role")
    assert error.value.response["Error"]["Code"] == "NoSuchEntity"
    sts.assume_role(RoleArn=arn, RoleSessionName="awsip", ExternalId="ext-1")

    assert calls(metrics, "sts", "GetCallerIdentity") == 1
    assert calls(metrics, "iam", "CreateRole") == 1
    assert calls(metrics, "iam", "GetRole") == 1
    assert calls(metrics, "iam", "GetRole", "NoSuchEntity") == 1
    assert calls(metrics, "sts", "AssumeRole") == 1


@pytest.mark.usefixtures("aws_env")
def test_instrumenting_twice_counts_once(metrics: Metrics) -> None:
    session = boto3.Session()
    instrument_boto3_session(session, metrics)
    instrument_boto3_session(session, metrics)
    session.client("iam").list_roles()
    assert calls(metrics, "iam", "ListRoles") == 1


@pytest.mark.usefixtures("aws_env")
def test_a_client_created_before_instrumenting_the_session_is_not_counted(metrics: Metrics) -> None:
    session = boto3.Session()
    early = session.client("sts")
    instrument_boto3_session(session, metrics)
    early.get_caller_identity()
    assert calls(metrics, "sts", "GetCallerIdentity") == 0
    session.client("sts").get_caller_identity()
    assert calls(metrics, "sts", "GetCallerIdentity") == 1


@pytest.mark.usefixtures("aws_env")
def test_botocore_session_and_clients_are_instrumented(metrics: Metrics) -> None:
    session = instrument_boto3_session(botocore.session.get_session(), metrics)
    session.create_client("sts").get_caller_identity()
    assert calls(metrics, "sts", "GetCallerIdentity") == 1


@pytest.mark.usefixtures("aws_env")
def test_unreachable_endpoint_is_a_connection_error(metrics: Metrics) -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=1, read_timeout=1)
    session = instrument_boto3_session(boto3.Session(), metrics)
    sts = session.client("sts", endpoint_url=f"http://127.0.0.1:{port}", config=config)
    with pytest.raises(EndpointConnectionError):
        sts.get_caller_identity()
    assert calls(metrics, "sts", "GetCallerIdentity", "ConnectionError") == 1


def test_exception_codes() -> None:
    from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError

    assert exception_code(ReadTimeoutError(endpoint_url="http://x")) == "Timeout"
    assert exception_code(ConnectTimeoutError(endpoint_url="http://x")) == "Timeout"
    assert exception_code(EndpointConnectionError(endpoint_url="http://x")) == "ConnectionError"
    assert exception_code(RuntimeError("boom")) == "Other"


@pytest.mark.usefixtures("aws_env")
def test_default_metrics_are_used_without_an_argument() -> None:
    from awsip.observability.metrics import REGISTRY

    labels = {"service": "iam", "operation": "ListUsers", "error_code": ""}
    before = REGISTRY.get_sample_value("awsip_aws_calls_total", labels) or 0.0
    instrument_boto3_session(boto3.Session()).client("iam").list_users()
    assert REGISTRY.get_sample_value("awsip_aws_calls_total", labels) == before + 1
