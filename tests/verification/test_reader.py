from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from awsip.aws.cache import TtlCache
from awsip.verification.reader import FallbackReader


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


def test_the_operator_never_reads_in_place_of_a_role_that_was_not_assumed() -> None:
    # The confused deputy (issue 14): a provider that could not assume the role must not get the
    # operator's reading of it. A reader without the role's session is refused outright.
    operator = Client("operator")
    with pytest.raises(ValueError, match="was not assumed"):
        FallbackReader(None, operator)
    assert operator.calls == 0


ROLE = "arn:aws:iam::123456789012:role/capa"


def test_a_denial_of_the_session_is_remembered_across_verifications_of_the_role() -> None:
    denials: TtlCache[tuple[str, str, str], dict[str, Any]] = TtlCache(3600)
    session, operator = Client("session", denies=True), Client("operator")
    assert (
        FallbackReader(session, operator, denials=denials, role_arn=ROLE).call("iam:GetPolicy", read)
        == "operator"
    )
    later = FallbackReader(session, operator, denials=denials, role_arn=ROLE)
    assert later.call("iam:GetPolicy", read) == "operator"
    assert (session.calls, operator.calls) == (1, 2)
    assert later.denied_to_session == {"iam:GetPolicy"}
    # Another role's session is asked, and so is this role's for other operations.
    assert FallbackReader(session, operator, denials=denials, role_arn=ROLE + "2").call("iam:GetPolicy", read)
    assert later.call("iam:GetRole", read) == "operator"
    assert session.calls == 3
    # Without an operator to fall back to, the session is asked whatever the memo says.
    with pytest.raises(ClientError):
        FallbackReader(session, None, denials=denials, role_arn=ROLE).call("iam:GetPolicy", read)
    assert session.calls == 4


def test_a_denial_of_the_operator_on_the_role_is_answered_from_memory() -> None:
    denials: TtlCache[tuple[str, str, str], dict[str, Any]] = TtlCache(3600)
    session, operator = Client("session", denies=True), Client("operator", denies=True)
    for attempt in range(3):
        reader = FallbackReader(session, operator, denials=denials, role_arn=ROLE)
        with pytest.raises(ClientError) as raised:
            reader.call("iam:SimulatePrincipalPolicy", read)
        assert raised.value.response["Error"] == {"Code": "AccessDenied", "Message": "no"}
        if attempt:  # from memory: the same answer, for the operation asked
            assert raised.value.operation_name == "SimulatePrincipalPolicy"
    assert (session.calls, operator.calls) == (1, 1)


def test_a_denial_of_the_operator_on_a_policy_is_not_generalised() -> None:
    # The operator's policy may allow reading some policies and not others.
    denials: TtlCache[tuple[str, str, str], dict[str, Any]] = TtlCache(3600)
    session, operator = Client("session", denies=True), Client("operator", denies=True)
    for _ in range(2):
        with pytest.raises(ClientError):
            FallbackReader(session, operator, denials=denials, role_arn=ROLE).call("iam:GetPolicy", read)
    assert operator.calls == 2


def test_a_simulation_denied_to_a_role_in_another_account_is_not_asked_again() -> None:
    denials: TtlCache[tuple[str, str, str], dict[str, Any]] = TtlCache(3600)
    session = Client("session", denies=True)
    for _ in range(3):  # three verifications of the role: one call, then the memo's answer
        with pytest.raises(ClientError) as raised:
            FallbackReader(session, None, denials=denials, role_arn=ROLE).call(
                "iam:SimulatePrincipalPolicy", read
            )
        assert raised.value.response["Error"]["Code"] == "AccessDenied"
    assert session.calls == 1
    # Reads are asked every time (a fixed policy shows at the next verification), and so is another role.
    for _ in range(2):
        with pytest.raises(ClientError):
            FallbackReader(session, None, denials=denials, role_arn=ROLE).call("iam:GetRole", read)
    with pytest.raises(ClientError):
        FallbackReader(session, None, denials=denials, role_arn=ROLE + "2").call(
            "iam:SimulatePrincipalPolicy", read
        )
    assert session.calls == 4
    # A simulation the session may run is never held back.
    allowed = Client("allowed")
    assert FallbackReader(allowed, None, denials=denials, role_arn=ROLE + "3").call(
        "iam:SimulatePrincipalPolicy", read
    )
    assert allowed.calls == 1
