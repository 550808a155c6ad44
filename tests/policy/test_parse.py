"""Parsing: the accepted shapes of IAM documents, and clear errors for everything else."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awsip.policy import (
    PolicyParseError,
    Request,
    decode_document,
    parse_policy,
    parse_policy_tolerant,
    simulate,
)
from awsip.policy.model import Family, Principal, PrincipalSet, Qualifier, Variable, Wild

from .helpers import MANAGED, allow

SIMPLE = {"Version": "2012-10-17", "Statement": [allow("s3:GetObject", "arn:aws:s3:::b/*")]}


def test_statement_may_be_a_single_object_and_values_single_strings() -> None:
    document = parse_policy({"Version": "2012-10-17", "Statement": allow("s3:GetObject", "arn:aws:s3:::b/*")})
    assert len(document.statements) == 1
    st = document.statements[0]
    assert [p.text for p in st.actions.patterns] == ["s3:GetObject"]
    assert [p.text for p in st.resources.patterns] == ["arn:aws:s3:::b/*"]
    assert not st.actions.negated and not st.resources.negated


def test_json_text_bytes_and_mapping_give_the_same_document() -> None:
    text = json.dumps(SIMPLE)
    a = parse_policy(text, name="p")
    b = parse_policy(text.encode(), name="p")
    c = parse_policy(SIMPLE, name="p")
    assert a == b == c
    assert a.fingerprint == c.fingerprint


def test_url_encoded_document_as_iam_returns_it() -> None:
    text = json.dumps(SIMPLE)
    encoded = quote(text, safe="")
    assert encoded.startswith("%7B")
    document = parse_policy(encoded, name="inline")
    assert document == parse_policy(text, name="inline")


def test_every_managed_fixture_parses() -> None:
    for path in sorted(MANAGED.glob("*.json")):
        document = parse_policy(path.read_text(), name=path.stem)
        assert document.statements, path


def test_not_action_not_resource_sid_and_conditions() -> None:
    document = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "NoIam",
                    "Effect": "Deny",
                    "NotAction": ["iam:*", "sts:*"],
                    "NotResource": "arn:aws:s3:::safe/*",
                    "Condition": {
                        "ForAnyValue:StringLikeIfExists": {"aws:TagKeys": ["team*", "owner"]},
                        "Bool": {"aws:SecureTransport": False},
                        "NumericLessThan": {"s3:max-keys": 10},
                    },
                }
            ],
        }
    )
    st = document.statements[0]
    assert st.sid == "NoIam" and st.effect == "Deny"
    assert st.actions.negated and st.resources.negated
    tags, secure, keys = st.conditions
    assert tags.qualifier is Qualifier.FOR_ANY_VALUE and tags.if_exists and tags.base == "StringLike"
    assert tags.operator == "ForAnyValue:StringLikeIfExists"
    assert [p.text for p in tags.values] == ["team*", "owner"]
    assert secure.family is Family.STRING and [p.text for p in secure.values] == ["false"]
    assert keys.family is Family.NUMERIC and [p.text for p in keys.values] == ["10"]


def test_negated_operators_have_their_positive_base() -> None:
    pairs = {
        "StringNotEquals": "StringEquals",
        "StringNotLike": "StringLike",
        "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
        "NumericNotEquals": "NumericEquals",
        "DateNotEquals": "DateEquals",
        "NotIpAddress": "IpAddress",
        "ArnNotEquals": "ArnEquals",
        "ArnNotLike": "ArnLike",
    }
    for negated, base in pairs.items():
        value = {"NotIpAddress": "10.0.0.0/8", "NumericNotEquals": "1", "DateNotEquals": "2020-01-01"}.get(
            negated, "x"
        )
        document = parse_policy(
            {"Version": "2012-10-17", "Statement": allow(condition={negated: {"k": value}})}
        )
        clause = document.statements[0].conditions[0]
        assert clause.base == base and clause.negated, negated


def test_policy_variables_are_tokens_in_2012_and_text_in_2008() -> None:
    new = parse_policy(
        {"Version": "2012-10-17", "Statement": allow("s3:*", "arn:aws:s3:::b/${aws:username}/*")}
    )
    tokens = new.statements[0].resources.patterns[0].tokens
    assert tokens == ("arn:aws:s3:::b/", Variable("aws:username"), "/", Wild.STAR)
    old = parse_policy(
        {"Version": "2008-10-17", "Statement": allow("s3:*", "arn:aws:s3:::b/${aws:username}/*")}
    )
    assert old.statements[0].resources.patterns[0].tokens == ("arn:aws:s3:::b/${aws:username}/", Wild.STAR)
    assert parse_policy({"Statement": allow()}).version == "2008-10-17"


def test_variable_escapes_and_defaults() -> None:
    document = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": allow("s3:*", "arn:aws:s3:::b/${*}${?}${$}/${aws:PrincipalTag/team, 'it''s'}"),
        }
    )
    tokens = document.statements[0].resources.patterns[0].tokens
    assert tokens == ("arn:aws:s3:::b/*?$/", Variable("aws:PrincipalTag/team", "it's"))


BAD: list[tuple[str, Any, str]] = [
    ("not json", "{not json", "not valid JSON"),
    ("not an object", "[1, 2]", "a policy document is a JSON object"),
    ("bad version", {"Version": "2020-01-01", "Statement": []}, "field 'Version'"),
    ("no statement", {"Version": "2012-10-17"}, "has no Statement"),
    ("statement not object", {"Version": "2012-10-17", "Statement": ["x"]}, "Statement[0]"),
    ("unknown top level", {"Version": "2012-10-17", "Statement": [], "statement": []}, "unknown top-level"),
    ("bad effect", {"Statement": [{"Effect": "allow", "Action": "*", "Resource": "*"}]}, "field 'Effect'"),
    ("missing effect", {"Statement": [{"Action": "*", "Resource": "*"}]}, "field 'Effect'"),
    ("no action", {"Statement": [{"Effect": "Allow", "Resource": "*"}]}, "field 'Action'"),
    (
        "action and notaction",
        {"Statement": [{"Effect": "Allow", "Action": "*", "NotAction": "s3:*", "Resource": "*"}]},
        "field 'NotAction'",
    ),
    ("no resource", {"Statement": [{"Effect": "Allow", "Action": "*"}]}, "field 'Resource'"),
    ("empty action list", {"Statement": [{"Effect": "Allow", "Action": [], "Resource": "*"}]}, "empty list"),
    ("action not a string", {"Statement": [{"Effect": "Allow", "Action": [1], "Resource": "*"}]}, "a number"),
    (
        "action without service",
        {"Statement": [{"Effect": "Allow", "Action": "ec2", "Resource": "*"}]},
        "service",
    ),
    (
        "principal in identity policy",
        {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]},
        "Principal",
    ),
    (
        "unknown element",
        {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "condition": {}}]},
        "did you mean 'Condition'",
    ),
    (
        "unknown operator",
        {"Statement": [allow(condition={"StringEqualz": {"k": "v"}})]},
        "unknown condition operator",
    ),
    (
        "bad qualifier",
        {"Statement": [allow(condition={"ForSome:StringEquals": {"k": "v"}})]},
        "unknown condition",
    ),
    ("condition not object", {"Statement": [allow(condition=["x"])]}, "field 'Condition'"),
    ("empty condition values", {"Statement": [allow(condition={"StringEquals": {"k": []}})]}, "empty list"),
    ("null condition value", {"Statement": [allow(condition={"StringEquals": {"k": None}})]}, "null"),
    ("numeric not a number", {"Statement": [allow(condition={"NumericLessThan": {"k": "ten"}})]}, "number"),
    ("date not a date", {"Statement": [allow(condition={"DateLessThan": {"k": "yesterday"}})]}, "date"),
    ("ip not an ip", {"Statement": [allow(condition={"IpAddress": {"k": "10.0.0.300"}})]}, "IP address"),
    ("bool not a bool", {"Statement": [allow(condition={"Bool": {"k": "yes"}})]}, '"true" or "false"'),
    ("null not a bool", {"Statement": [allow(condition={"Null": {"k": "maybe"}})]}, '"true" or "false"'),
    ("null if exists", {"Statement": [allow(condition={"NullIfExists": {"k": "true"}})]}, "IfExists"),
    (
        "malformed variable",
        {"Version": "2012-10-17", "Statement": [allow("s3:*", "arn:aws:s3:::${aws:username")]},
        "unterminated policy variable",
    ),
    (
        "duplicate keys",
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Effect": "Deny", "Action": "*", "Resource": "*"}]}',
        "duplicate key 'Effect'",
    ),
]


@pytest.mark.parametrize(("case", "source", "expected"), BAD, ids=[c[0] for c in BAD])
def test_malformed_documents_raise_a_clear_error(case: str, source: Any, expected: str) -> None:
    with pytest.raises(PolicyParseError) as info:
        parse_policy(source, name="my-policy")
    message = str(info.value)
    assert expected in message
    assert "my-policy" in message
    assert isinstance(info.value, ValueError)


def test_error_names_statement_index_sid_and_field() -> None:
    with pytest.raises(PolicyParseError) as info:
        parse_policy(
            {
                "Version": "2012-10-17",
                "Statement": [allow(), {"Sid": "Broken", "Effect": "Allow", "Action": "*", "Resource": 5}],
            },
            name="arn:aws:iam::1:policy/p",
        )
    error = info.value
    assert error.policy == "arn:aws:iam::1:policy/p"
    assert error.statement == 'Statement[1] (Sid "Broken")'
    assert error.field == "Resource"
    assert str(error).startswith(
        "policy arn:aws:iam::1:policy/p, Statement[1] (Sid \"Broken\"), field 'Resource'"
    )


def test_a_malformed_document_is_never_allowed() -> None:
    """The caller cannot get a document out of a parse error, hence nothing can be allowed by it."""
    with pytest.raises(PolicyParseError):
        parse_policy({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": 1}]})
    ok = parse_policy({"Statement": [allow()]})
    assert simulate([ok], Request("s3:GetObject", "arn:aws:s3:::b/k")).allowed


# --- the one decoder --------------------------------------------------------------------------


def test_decode_document_plain_url_encoded_bytes_or_mapping() -> None:
    plain = '{"Version": "2012-10-17"}'
    assert decode_document(plain) == {"Version": "2012-10-17"}
    assert decode_document(quote(plain, safe="")) == {"Version": "2012-10-17"}
    assert decode_document(plain.encode()) == {"Version": "2012-10-17"}
    mapping = {"Version": "2012-10-17"}
    assert decode_document(mapping) is mapping


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("[1]", "it is a JSON list, not an object"),
        ("null", "it is JSON null, not an object"),
        ("", "it is empty"),
        ("   ", "it is empty"),
        ("{", "it is not valid JSON"),
        ("%7Bbroken", "it is not valid JSON"),
        ('{"a": ' + "9" * 5000 + "}", "it is not valid JSON"),  # json raises a plain ValueError here
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        (b"\xff\xfe", "it is not UTF-8 text"),
        ('{"a": 1, "a": 2}', "duplicate key 'a'"),
    ],
)
def test_decode_document_names_what_is_wrong(source: Any, expected: str) -> None:
    with pytest.raises(PolicyParseError) as info:
        decode_document(source, name="p")
    assert expected in str(info.value)
    assert str(info.value).startswith("policy p: ")


def test_duplicate_keys_keep_the_last_value_only_when_asked() -> None:
    assert decode_document('{"a": 1, "a": 2}', unique_keys=False) == {"a": 2}


# --- tolerant mode ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "source", "expected"),
    [c for c in BAD if c[0] != "duplicate keys"],
    ids=[c[0] for c in BAD if c[0] != "duplicate keys"],
)
def test_strict_mode_raises_the_first_problem_the_tolerant_mode_collects(
    case: str, source: Any, expected: str
) -> None:
    with pytest.raises(PolicyParseError) as info:
        parse_policy(source, name="my-policy")
    parsed = parse_policy_tolerant(source, name="my-policy")
    assert parsed.problems, case
    assert str(parsed.problems[0].error("my-policy")) == str(info.value)
    assert expected in parsed.problems[0].detail or expected in str(info.value)


def test_tolerant_mode_collects_every_problem_and_keeps_what_it_can_read() -> None:
    parsed = parse_policy_tolerant(
        {
            "Version": "2012-10-17",
            "Surprise": 1,
            "Statement": [
                {"Sid": "Kept", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Note": "x"},
                {"Sid": "Dropped", "Effect": "allow", "Action": "s3:*", "Resource": "*"},
                {
                    "Effect": "Deny",
                    "Action": "ec2",
                    "Resource": [],
                    "Condition": {"StringEqualz": {"k": "v"}},
                },
                "not a statement",
            ],
        },
        name="p",
    )
    assert parsed.document is not None
    assert [s.sid for s in parsed.document.statements] == ["Kept"]
    summary = [(p.statement, p.field, p.fatal) for p in parsed.problems]
    assert summary == [
        (None, "", False),  # unknown top-level element
        (0, "Note", False),  # unknown element: the statement is kept
        (1, "Effect", True),
        (2, "Action", True),
        (2, "Resource", True),
        (2, "Condition.StringEqualz", True),
        (3, "", True),
    ]
    assert 'Effect must be Allow or Deny (it is "allow")' in parsed.problems[2].detail
    assert parsed.problems[2].where == 'Statement[1] (Sid "Dropped")'


def test_tolerant_mode_reads_valid_documents_exactly_as_strict_mode() -> None:
    for path in sorted(MANAGED.glob("*.json")):
        parsed = parse_policy_tolerant(path.read_text(), name=path.stem)
        assert parsed.problems == ()
        strict = parse_policy(path.read_text(), name=path.stem)
        assert parsed.document == strict
        assert parsed.document is not None and parsed.document.statements == strict.statements


def test_a_document_that_cannot_be_read_at_all_is_one_fatal_problem() -> None:
    for source in ("{", "[]", {"Version": "2012-10-17"}, {"Statement": 3}):
        parsed = parse_policy_tolerant(source)
        assert parsed.document is None
        assert [p.fatal and p.statement is None for p in parsed.problems][-1]


@settings(max_examples=150, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "Version",
                        "Statement",
                        "Effect",
                        "Action",
                        "Resource",
                        "Principal",
                        "Condition",
                        "StringEquals",
                        "k",
                        "Sid",
                    ]
                )
                | st.text(max_size=8),
                children,
                max_size=5,
            )
        ),
        max_leaves=30,
    )
)
def test_tolerant_mode_never_raises(value: Any) -> None:
    for kind in ("identity", "trust"):
        parsed = parse_policy_tolerant(value if isinstance(value, dict) else {"Statement": value}, kind=kind)
        assert parsed.document is not None or parsed.problems


# --- trust policies ---------------------------------------------------------------------------


def test_trust_policies_have_principals_and_no_resources() -> None:
    document = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": ["arn:aws:iam::1:root", "*"]},
                    "Action": "sts:AssumeRole",
                },
                {"Effect": "Deny", "NotPrincipal": "*", "Action": "sts:*", "Resource": "ignored"},
            ],
        },
        kind="trust",
    )
    allow_st, deny_st = document.statements
    assert allow_st.principals == PrincipalSet(
        (Principal("AWS", "arn:aws:iam::1:root"), Principal("AWS", "*")), negated=False
    )
    assert deny_st.principals == PrincipalSet((Principal("AWS", "*"),), negated=True)
    assert allow_st.resources.patterns == () and deny_st.resources.patterns == ()
    with pytest.raises(PolicyParseError, match="exactly one of Principal or NotPrincipal"):
        parse_policy({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}, kind="trust")
    with pytest.raises(PolicyParseError, match="not in an identity policy"):
        parse_policy({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]})
