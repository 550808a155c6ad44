from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from awsip.verification.reader import FallbackReader, NoIdentityError


def denied(operation: str) -> ClientError:
    return ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, operation)


class Client:
    def __init__(self, name: str, *, denies: bool = False, error: str | None = None) -> None:
        self.name, self.denies, self.error, self.calls = name, denies, error, 0

    def read(self) -> str:
        self.calls += 1
        if self.error:
            raise ClientError({"Error": {"Code": self.error, "Message": "x"}}, "GetRole")
        if self.denies:
            raise denied("GetRole")
        return self.name


def read(client: Any) -> str:
    return str(client.read())


def test_the_session_first_then_the_operator_for_the_rest_of_the_verification() -> None:
    session, operator = Client("session", denies=True), Client("operator")
    reader = FallbackReader(session, operator)
    assert reader.call("iam:GetPolicy", read) == "operator"
    assert reader.call("iam:GetPolicy", read) == "operator"
    assert (session.calls, operator.calls) == (1, 2)
    assert reader.denied_to_session == {"iam:GetPolicy"}


def test_the_session_when_it_may() -> None:
    session, operator = Client("session"), Client("operator")
    assert FallbackReader(session, operator).call("iam:GetRole", read) == "session"
    assert operator.calls == 0


def test_other_errors_are_not_retried_with_the_operator() -> None:
    session, operator = Client("session", error="Throttling"), Client("operator")
    with pytest.raises(ClientError):
        FallbackReader(session, operator).call("iam:GetRole", read)
    assert operator.calls == 0


def test_without_an_operator_reader_the_sessions_denial_stands() -> None:
    with pytest.raises(ClientError) as raised:
        FallbackReader(Client("session", denies=True), None).call("iam:GetRole", read)
    assert raised.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(NoIdentityError):
        FallbackReader(None, None).call("iam:GetRole", read)
    assert FallbackReader(None, Client("operator")).call("iam:GetRole", read) == "operator"
