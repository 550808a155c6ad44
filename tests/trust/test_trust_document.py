"""Decoding trust policies: dicts, JSON text, URL-encoded JSON (GetRole's raw form), garbage."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest

from awsip.trust import analyze_trust_policy

OPERATOR = "arn:aws:iam::111122223333:role/awsip-operator"
WILDCARD = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}],
}


def _codes(document: Any) -> list[str]:
    return analyze_trust_policy(document, external_id_configured=False, operator_principal_arn=OPERATOR).codes


@pytest.mark.parametrize(
    "document",
    [
        WILDCARD,
        json.dumps(WILDCARD),
        json.dumps(WILDCARD, indent=2),
        urllib.parse.quote(json.dumps(WILDCARD)),
        urllib.parse.quote(json.dumps(WILDCARD), safe=""),
        urllib.parse.quote_plus(json.dumps(WILDCARD)).replace("+", "%20"),
        json.dumps(WILDCARD).encode(),
        {**WILDCARD, "Statement": WILDCARD["Statement"][0]},  # a single statement object
    ],
    ids=[
        "dict",
        "json",
        "json-indented",
        "url-encoded",
        "url-encoded-all",
        "url-encoded-spaces",
        "bytes",
        "single",
    ],
)
def test_every_encoding_is_understood(document: Any) -> None:
    assert "WildcardPrincipal" in _codes(document)


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("{", "not valid JSON"),
        ("%7Bbroken", "not valid JSON"),
        ("null", "JSON null, not an object"),
        ('"text"', "JSON string, not an object"),
        ("[]", "JSON list, not an object"),
        ("{}", "no Statement element"),
        ('{"Statement": 3}', "its Statement is a number"),
        ('{"Statement": "x"}', "its Statement is a string"),
        (b"\xff\xfe", "not UTF-8"),
        (42, "it is a int"),
        (None, "it is a NoneType"),
        ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
        ('{"Statement": [], "a": ' + "9" * 5000 + "}", "not valid JSON"),
    ],
)
def test_malformed_documents_are_one_finding(document: Any, fragment: str) -> None:
    analysis = analyze_trust_policy(document, external_id_configured=True)
    assert analysis.codes == ["MalformedTrustPolicy"]
    assert fragment in analysis.findings[0].message
    assert analysis.findings[0].statement is None
    assert not analysis.secure
    assert analysis.reason == "MalformedTrustPolicy"
    assert analysis.external_id_enforced is False


@pytest.mark.parametrize(
    ("statement", "fragment"),
    [
        ("not an object", "the statement is a string"),
        (
            {"Effect": "allow", "Principal": "*", "Action": "sts:AssumeRole"},
            'Effect must be Allow or Deny (it is "allow")',
        ),
        ({"Effect": "Allow", "Action": "sts:AssumeRole"}, "exactly one of Principal or NotPrincipal"),
        ({"Effect": "Allow", "Principal": "*"}, "exactly one of Action or NotAction"),
        (
            {"Effect": "Allow", "Principal": "*", "Action": "a", "NotAction": "b"},
            "exactly one of Action or NotAction",
        ),
        ({"Effect": "Allow", "Principal": ["*"], "Action": "sts:AssumeRole"}, "Principal must be"),
        (
            {"Effect": "Allow", "Principal": "arn:aws:iam::1:root", "Action": "sts:AssumeRole"},
            "Principal must be",
        ),
        (
            {"Effect": "Allow", "Principal": {"Users": "x"}, "Action": "sts:AssumeRole"},
            'unknown principal type "Users"',
        ),
        ({"Effect": "Allow", "Principal": {}, "Action": "sts:AssumeRole"}, "names no principal"),
        (
            {"Effect": "Allow", "Principal": {"AWS": [1]}, "Action": "sts:AssumeRole"},
            "must list only strings",
        ),
        ({"Effect": "Allow", "Principal": "*", "Action": {"a": 1}}, "must be a string or a list of strings"),
        (
            {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole", "Condition": []},
            "Condition must be an object",
        ),
        (
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": "x"},
            },
            "must map keys to values",
        ),
        (
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"k": None}},
            },
            "must be strings, numbers or booleans",
        ),
        # The policy parser's grammar (one reader for every document): what IAM rejects in any policy.
        (
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "sts:AssumeRole",
                "Condition": {"StringEqualz": {"sts:ExternalId": "x"}},
            },
            'unknown condition operator "StringEqualz"',
        ),
        (
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "sts:AssumeRole",
                "Condition": {"Null": {"sts:ExternalId": "maybe"}},
            },
            'Null needs "true" or "false"',
        ),
        ({"Effect": "Allow", "Principal": "*", "Action": "AssumeRole"}, "is not an action (service:Action)"),
    ],
)
def test_malformed_statements_are_named(statement: Any, fragment: str) -> None:
    document = {"Version": "2012-10-17", "Statement": [statement]}
    analysis = analyze_trust_policy(document, external_id_configured=False)
    malformed = [f for f in analysis.findings if f.code == "MalformedTrustPolicy"]
    assert len(malformed) == 1
    assert malformed[0].statement == "#0"
    assert fragment in malformed[0].message
    assert "not analysed" in malformed[0].message
    assert not analysis.secure


def test_condition_values_may_be_numbers_and_booleans() -> None:
    document = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": OPERATOR},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": [12345, True]}},
            }
        ]
    }
    analysis = analyze_trust_policy(document, external_id_configured=True, operator_principal_arn=OPERATOR)
    assert analysis.codes == []
    assert analysis.external_id_enforced


def test_url_encoded_getrole_document() -> None:
    # What IAM's GetRole returns through the raw API (boto3 decodes it into a dict for you).
    raw = (
        "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C"
        "%22Principal%22%3A%7B%22AWS%22%3A%22arn%3Aaws%3Aiam%3A%3A111122223333%3Aroot%22%7D%2C%22Action"
        "%22%3A%22sts%3AAssumeRole%22%2C%22Condition%22%3A%7B%22StringEquals%22%3A%7B%22sts%3AExternalId"
        "%22%3A%22abc%22%7D%7D%7D%5D%7D"
    )
    analysis = analyze_trust_policy(raw, external_id_configured=True, management_account_id="111122223333")
    assert analysis.codes == ["PrincipalBroaderThanManagementAccount"]
    assert analysis.external_id_enforced
