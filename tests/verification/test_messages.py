from __future__ import annotations

import json
import re

from awsip.api.v1alpha1 import MAX_MESSAGE_LENGTH
from awsip.aws.errors import ClassifiedError, ErrorKind
from awsip.aws.sts import CallerIdentity
from awsip.profiles import EXTERNAL_ID_PLACEHOLDER
from awsip.verification import messages

ROLE = "arn:aws:iam::111122223333:role/capa-manager"
IRSA = CallerIdentity(
    "444455556666", "arn:aws:sts::444455556666:assumed-role/awsip-operator/botocore-session-1"
)
DENIED = ClassifiedError(
    ErrorKind.ACCESS_DENIED, "AccessDenied", "AssumeRole", "User: x is not authorized", 403
)


def embedded_json(message: str) -> list[dict[str, object]]:
    """Every JSON object embedded in a message."""
    decoder = json.JSONDecoder()
    found, index = [], 0
    while (start := message.find('{"', index)) != -1:
        document, end = decoder.raw_decode(message, start)
        found.append(document)
        index = end
    return found


def test_access_denied_names_the_identity_and_what_to_attach() -> None:
    text = messages.access_denied(
        role_arn=ROLE, operator=IRSA, external_id_configured=True, session_tags=False, error=DENIED
    )
    assert "which runs as arn:aws:sts::444455556666:assumed-role/awsip-operator/botocore-session-1" in text
    assert "the operator's IAM role awsip-operator" in text
    operator_policy, trust = embedded_json(text)
    assert operator_policy == {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AssumeProviderRole", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ROLE}
        ],
    }
    statement = trust["Statement"][0]  # type: ignore[index]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::444455556666:role/awsip-operator"}
    assert "trusts arn:aws:iam::444455556666:role/awsip-operator (with the role's path" in text
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": EXTERNAL_ID_PLACEHOLDER}}
    assert "User: x is not authorized" in text
    assert len(text) <= MAX_MESSAGE_LENGTH


def test_access_denied_without_external_id_or_with_session_tags() -> None:
    text = messages.access_denied(
        role_arn="arn:aws-cn:iam::111122223333:role/path/capa",
        operator=CallerIdentity("444455556666", "arn:aws-cn:iam::444455556666:user/op"),
        external_id_configured=False,
        session_tags=True,
        error=DENIED,
    )
    operator_policy, trust = embedded_json(text)
    assert operator_policy["Statement"][0]["Action"] == ["sts:AssumeRole", "sts:TagSession"]  # type: ignore[index]
    assert operator_policy["Statement"][0]["Resource"] == "arn:aws-cn:iam::111122223333:role/path/capa"  # type: ignore[index]
    assert "Condition" not in trust["Statement"][0]  # type: ignore[index]
    assert trust["Statement"][0]["Principal"] == {"AWS": "arn:aws-cn:iam::444455556666:user/op"}  # type: ignore[index]
    assert EXTERNAL_ID_PLACEHOLDER not in text
    assert "the operator's identity arn:aws-cn:iam::444455556666:user/op" in text


def test_messages_are_capped() -> None:
    huge = ClassifiedError(ErrorKind.ACCESS_DENIED, "AccessDenied", "AssumeRole", "x" * 10_000, 403)
    text = messages.access_denied(
        role_arn=ROLE, operator=IRSA, external_id_configured=True, session_tags=False, error=huge
    )
    assert len(text) == MAX_MESSAGE_LENGTH and text.endswith("...")
    assert messages.condition_message("short") == "short"


def test_missing_permissions_points_to_the_profile() -> None:
    text = messages.missing_permissions(
        missing=["ec2:CreateVpc", "ec2:DeleteVpc"],
        required_actions=107,
        profile="capa-minimal",
        config_map=None,
    )
    assert text == (
        "The role lacks 2 of 107 required actions: ec2:CreateVpc, ec2:DeleteVpc. Attach the required policy "
        "to the role: print it with `awsip policy print --profile capa-minimal`."
    )


def test_role_not_found_and_read_failures_say_what_to_allow() -> None:
    assert "is there a role capa-manager in account 111122223333?" in messages.role_not_found(role_arn=ROLE)
    text = messages.cannot_read_policies(
        role_arn=ROLE, denied=["iam:GetPolicyVersion"], simulate_denied=True, operator=IRSA
    )
    assert "iam:GetPolicyVersion denied" in text and "iam:SimulatePrincipalPolicy was denied too" in text
    assert re.search(
        r"Allow iam:GetRole, .*iam:GetRolePolicy on arn:aws:iam::111122223333:role/capa-manager", text
    )


def test_the_operator_is_offered_as_a_reader_only_in_its_own_account() -> None:
    same = CallerIdentity("111122223333", "arn:aws:iam::111122223333:user/op")
    text = messages.cannot_read_trust_policy(role_arn=ROLE, operator=same, error=DENIED)
    assert "to the role itself or the operator's identity arn:aws:iam::111122223333:user/op" in text
    text = messages.cannot_read_trust_policy(role_arn=ROLE, operator=IRSA, error=DENIED)
    assert (
        "to the role itself (the operator, in account 444455556666, cannot read IAM in account 111122223333)"
        in text
    )


def test_a_rejected_assume_role_quotes_no_word_of_aws_about_the_role() -> None:
    # AWS's message may describe the role (its maximum session duration) to a provider that has not
    # shown it may assume it (issue 14): only the code is quoted, the checks are generic.
    error = ClassifiedError(
        ErrorKind.INVALID_REQUEST,
        "ValidationError",
        "AssumeRole",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        400,
    )
    text = messages.assume_role_rejected(role_arn=ROLE, error=error)
    assert "MaxSessionDuration" not in text
    assert "(AWS: ValidationError)" in text and "spec.durationSeconds" in text
