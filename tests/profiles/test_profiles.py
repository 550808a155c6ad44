"""The built-in profile is the seed's minimal policy, and the seed's templates fill in correctly."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from awsip.profiles import (
    EXTERNAL_ID_PLACEHOLDER,
    MANAGEMENT_SID,
    UnknownProfileError,
    load_profile,
    management_policy,
    operator_trust_policy,
    seed_trust_policy,
    trust_policy,
)
from awsip.trust import analyze_trust_policy

SEED = Path(__file__).resolve().parents[2] / "docs" / "seed" / "configure-aws-provider-with-role.md"


def seed_documents() -> list[dict[str, object]]:
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", SEED.read_text(), re.S)]


def test_capa_minimal_equals_the_seed_policy() -> None:
    assert load_profile("capa-minimal") == seed_documents()[0]


def test_capa_minimal_content_is_pinned() -> None:
    """Any change to the profile, however small, must be deliberate: update this digest with it."""
    document = load_profile("capa-minimal")
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    assert hashlib.sha256(canonical).hexdigest() == (
        "a22ee2865c6d471f7e966b8c5b8a61c1f0ec9b6c453e370a1764b58280518e62"
    )
    statements = document["Statement"]
    assert len(statements) == 17
    assert sum(len(s["Action"]) for s in statements) == 114
    assert all(s["Effect"] == "Allow" for s in statements)


def test_profile_is_a_fresh_copy() -> None:
    load_profile("capa-minimal")["Statement"].clear()
    assert load_profile("capa-minimal")["Statement"]


def test_unknown_profile() -> None:
    with pytest.raises(UnknownProfileError, match="capa-minimal"):
        load_profile("admin")


def test_trust_policy_fills_the_seed_template() -> None:
    seed_trust = seed_documents()[1]
    document = trust_policy("111122223333")
    expected = json.loads(json.dumps(seed_trust).replace("YOURACCOUNTRESTRICTION", "111122223333"))
    assert document == expected


def test_trust_policy_with_external_id_placeholder_and_partition() -> None:
    document = trust_policy("111122223333", external_id=EXTERNAL_ID_PLACEHOLDER, partition="aws-cn")
    (statement,) = document["Statement"]
    assert statement["Principal"]["AWS"] == "arn:aws-cn:iam::111122223333:root"
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": "<EXTERNAL_ID>"}}


def test_trust_policy_pinned_to_a_workspace() -> None:
    (statement,) = trust_policy("111122223333", namespace="team-a")["Statement"]
    assert statement["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    assert statement["Condition"]["StringEquals"]["aws:RequestTag/awsip:namespace"] == "team-a"


def test_management_policy_fills_the_seed_template_with_a_neutral_sid() -> None:
    seed_management = seed_documents()[2]
    assert seed_management["Statement"][0]["Sid"] == "AssumeRoleKommander"  # type: ignore[index]
    document = management_policy("444455556666", "capa-manager")
    assert MANAGEMENT_SID == "AssumeProviderRole"
    assert document["Statement"] == [
        {
            "Sid": "AssumeProviderRole",
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Resource": "arn:aws:iam::444455556666:role/capa-manager",
        }
    ]


OPERATOR_ROLE = "arn:aws:iam::111122223333:role/awsip-operator"


def test_the_operator_role_form_trusts_only_the_operator() -> None:
    document = operator_trust_policy(OPERATOR_ROLE, external_id="tenant-a-1234")
    assert document == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": OPERATOR_ROLE},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": "tenant-a-1234"}},
            }
        ],
    }
    (statement,) = operator_trust_policy(OPERATOR_ROLE, session_tags=True, namespace="team-a")["Statement"]
    assert statement["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    assert statement["Condition"] == {"StringEquals": {"aws:RequestTag/awsip:namespace": "team-a"}}


def test_awsip_finds_nothing_in_the_operator_role_form_and_flags_the_seed_form() -> None:
    """The reason for the recommendation (issue 13): awsip's own analysis of the two forms."""
    common = {
        "external_id_configured": True,
        "management_account_id": "111122223333",
        "operator_principal_arn": "arn:aws:sts::111122223333:assumed-role/awsip-operator/s1",
        "role_arn": "arn:aws:iam::444455556666:role/capa-manager",
    }
    least = analyze_trust_policy(operator_trust_policy(OPERATOR_ROLE, external_id="x1"), **common)
    assert least.codes == [] and least.secure and least.external_id_enforced
    seed = analyze_trust_policy(seed_trust_policy("111122223333", external_id="x1"), **common)
    assert {"PrincipalBroaderThanManagementAccount", "ServicePrincipal"} <= set(seed.codes)


def test_the_seed_form_keeps_its_old_name() -> None:
    assert trust_policy is seed_trust_policy
