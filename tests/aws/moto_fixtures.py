"""pytest fixtures around a loopback moto server, shared by tests/aws and tests/verification.

Import them into a conftest.py: ``from tests.aws.moto_fixtures import moto_server, sandbox``.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from awsip.aws import AwsServices
from awsip.profiles import load_profile
from awsip.sandbox.aws_seed import (
    MotoServer,
    OperatorUser,
    create_managed_policy,
    create_operator_user,
    create_provider_role,
)

_ISOLATION = {
    # Nothing from the machine running the tests: no config or credential files, no IMDS.
    "AWS_CONFIG_FILE": "/nonexistent/awsip-tests/config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/awsip-tests/credentials",
    "AWS_EC2_METADATA_DISABLED": "true",
}
_CLEARED = (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_STS_REGIONAL_ENDPOINTS",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
)


@dataclass
class Sandbox:
    """A reset moto server with an operator user whose keys are in the environment."""

    server: MotoServer
    iam: Any
    operator: OperatorUser
    capa_policy_arn: str
    monkeypatch: pytest.MonkeyPatch

    @property
    def endpoint(self) -> str:
        return self.server.endpoint

    def services(self, **kwargs: Any) -> AwsServices:
        """Fresh operator services (own caches, identity) from the environment; no rate limits
        unless asked for."""
        kwargs.setdefault("calls_per_second", 0)
        kwargs.setdefault("sts_calls_per_second", 0)
        kwargs.setdefault("account_calls_per_second", 0)
        return AwsServices.from_environment(**kwargs)

    def auth(self, enabled: bool = True) -> None:
        self.server.set_iam_auth(enabled)

    def capa_role(self, external_id: str | None, name: str = "capa") -> str:
        """The ARN of a new role that trusts the operator (with ``external_id``) and has the CAPA
        policy attached: the good provider most verification tests start from."""
        return create_provider_role(
            self.iam,
            name,
            trusted_principal_arn=self.operator.arn,
            external_id=external_id,
            managed_policy_arns=[self.capa_policy_arn],
        )


def isolate_aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    for name, value in _ISOLATION.items():
        monkeypatch.setenv(name, value)


def closed_port() -> int:
    """A loopback port nothing listens on (bound and released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


@pytest.fixture
def sandbox(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    moto_server.reset()
    isolate_aws_environment(monkeypatch)
    iam = moto_server.client("iam")
    operator = create_operator_user(iam)
    capa = create_managed_policy(iam, "capa-minimal", load_profile("capa-minimal"))
    for name, value in operator.environment(moto_server.endpoint).items():
        monkeypatch.setenv(name, value)
    yield Sandbox(moto_server, iam, operator, capa, monkeypatch)
    moto_server.set_iam_auth(False)
