"""Principal classification and the operator identity."""

from __future__ import annotations

import pytest

from awsip.trust.principals import Form, OperatorIdentity, classify

MGMT = "111122223333"


@pytest.mark.parametrize(
    ("value", "form", "account"),
    [
        ("*", Form.WILDCARD, None),
        (MGMT, Form.ACCOUNT, MGMT),
        (f"arn:aws:iam::{MGMT}:root", Form.ACCOUNT, MGMT),
        (f"arn:aws-cn:iam::{MGMT}:root", Form.ACCOUNT, MGMT),
        (f"arn:aws:iam::{MGMT}:role/path/name", Form.IDENTITY, MGMT),
        (f"arn:aws:iam::{MGMT}:user/alice", Form.IDENTITY, MGMT),
        (f"arn:aws:sts::{MGMT}:assumed-role/name/session", Form.IDENTITY, MGMT),
        (f"arn:aws:sts::{MGMT}:federated-user/bob", Form.IDENTITY, MGMT),
        ("arn:aws:iam::*:root", Form.ACCOUNT_WILDCARD, "*"),
        ("arn:aws:iam::1111222233?3:role/x", Form.ACCOUNT_WILDCARD, "1111222233?3"),
        ("AROA1234567890EXAMPLE", Form.UNIQUE_ID, None),
        ("AIDAJQABLZS4A3QDU576Q", Form.UNIQUE_ID, None),
        ("12345", Form.UNRECOGNIZED, None),
        ("arn:aws:s3:::bucket", Form.UNRECOGNIZED, None),
        (f"arn:aws:iam::{MGMT}:", Form.UNRECOGNIZED, None),
        ("arn:aws:iam::account:root", Form.UNRECOGNIZED, None),
        ("", Form.UNRECOGNIZED, None),
    ],
)
def test_classify(value: str, form: Form, account: str | None) -> None:
    principal = classify(value)
    assert principal.form is form
    assert principal.account == account


OPERATOR_ROLE = f"arn:aws:iam::{MGMT}:role/platform/awsip"
OPERATOR_SESSION = f"arn:aws:sts::{MGMT}:assumed-role/awsip/botocore-session-1"


@pytest.mark.parametrize(
    ("operator", "management", "principal", "covered"),
    [
        # Nothing known: every AWS principal may be the operator, unresolvable ones may not.
        (None, None, "arn:aws:iam::444455556666:role/x", True),
        (None, None, "*", True),
        (None, None, "AROA1234567890EXAMPLE", False),
        # Only the management account known.
        (None, MGMT, f"arn:aws:iam::{MGMT}:role/anything", True),
        (None, MGMT, "444455556666", False),
        (None, MGMT, "arn:aws:iam::*:root", True),
        (None, "not-an-account", "444455556666", True),
        # The operator's role ARN known.
        (OPERATOR_ROLE, None, OPERATOR_ROLE, True),
        (OPERATOR_ROLE, None, f"arn:aws:iam::{MGMT}:role/platform/AWSIP", True),
        (OPERATOR_ROLE, None, f"arn:aws:iam::{MGMT}:role/awsip", False),
        (OPERATOR_ROLE, None, f"arn:aws:iam::{MGMT}:root", True),
        (OPERATOR_ROLE, None, MGMT, True),
        (OPERATOR_ROLE, None, f"arn:aws:iam::{MGMT}:role/other", False),
        (OPERATOR_ROLE, None, "arn:aws:iam::444455556666:role/platform/awsip", False),
        (OPERATOR_ROLE, None, "arn:aws:iam::*:role/platform/awsip", True),
        (OPERATOR_ROLE, None, "arn:aws:iam::*:role/other", False),
        # An assumed-role session: its ARN has no path, so any path with the role's name matches.
        (OPERATOR_SESSION, None, f"arn:aws:iam::{MGMT}:role/awsip", True),
        (OPERATOR_SESSION, None, f"arn:aws:iam::{MGMT}:role/platform/awsip", True),
        (OPERATOR_SESSION, None, f"arn:aws:iam::{MGMT}:role/other", False),
        (OPERATOR_SESSION, None, OPERATOR_SESSION, True),
        # A garbage operator ARN is ignored; the management account still counts.
        ("garbage", MGMT, f"arn:aws:iam::{MGMT}:role/x", True),
        ("garbage", MGMT, "arn:aws:iam::444455556666:role/x", False),
    ],
)
def test_operator_covered_by(
    operator: str | None, management: str | None, principal: str, covered: bool
) -> None:
    identity = OperatorIdentity.from_inputs(management, operator)
    assert identity.covered_by(classify(principal)) is covered


def test_operator_and_management_accounts_are_both_home() -> None:
    identity = OperatorIdentity.from_inputs("444455556666", OPERATOR_ROLE)
    assert identity.is_home(MGMT)
    assert identity.is_home("444455556666")
    assert not identity.is_home("999988887777")
