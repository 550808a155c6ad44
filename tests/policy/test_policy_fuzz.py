"""Hostile and malformed IAM policy documents: the parser refuses them with PolicyParseError only, and
check_coverage never fails on what the parser accepted (huge, unicode, deeply nested, thousands of
statements) -- the role policies AWS returns for a provider are such input."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from awsip.policy import PolicyDocument, PolicyParseError, check_coverage, parse_policy
from awsip.profiles import load_profile

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW_FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

REQUIRED = parse_policy(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["ec2:RunInstances", "ec2:DescribeVpcs"], "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::bucket/*",
                "Condition": {"StringEquals": {"aws:RequestTag/team": "a"}},
            },
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::*:role/capa-*"},
        ],
    },
    name="required",
)


def parse_or_refuse(source: Any) -> PolicyDocument | None:
    """The parser's only way to refuse is PolicyParseError, with a message."""
    try:
        return parse_policy(source, name="fuzzed")
    except PolicyParseError as error:
        assert str(error)
        return None


def check_report(document: PolicyDocument, required: PolicyDocument = REQUIRED) -> None:
    report = check_coverage(required, [document])
    assert report.results, "every required (statement, action) gets a result"
    assert report.covered is all(r.status == "Covered" for r in report.results)
    assert 0 <= report.missing_actions + report.unknown_actions <= report.required_actions
    for result in report.results:
        assert result.status in ("Covered", "NotCovered", "Unknown")
        assert isinstance(result.reason, str) and result.reason
    json.dumps(report.to_json())  # the CLI's output is always JSON-serializable


# --- arbitrary input ---------------------------------------------------------------------------

texts = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | texts
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=40,
)


@FUZZ
@given(text=texts)
@example(text="%7B%22Statement%22%3A%5B%5D%7D")
@example(text="[" * 50_000)
@example(text='{"Statement": ' + "[" * 5_000 + "]" * 5_000 + "}")
@example(text="\ud800")  # a lone surrogate
@example(text='{"Statement": [], "Statement": []}')
def test_arbitrary_text_is_parsed_or_refused(text: str) -> None:
    for source in (
        text,
        urllib.parse.quote(text, errors="surrogatepass"),
        text.encode("utf-8", "surrogatepass"),
    ):
        document = parse_or_refuse(source)
        if document is not None:
            check_report(document)


@FUZZ
@given(value=json_values)
@example(value={"Statement": {"Effect": "Allow", "Action": [[]], "Resource": "*"}})
@example(value={"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"": {}}}})
def test_arbitrary_values_are_parsed_or_refused(value: Any) -> None:
    document = parse_or_refuse(value)
    if document is not None:
        check_report(document)


# --- policy-shaped documents from IAM's vocabulary, with hostile values ------------------------

hostile_strings = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    st.sampled_from(["", " ", "*", "?", "${aws:username}", "${", "$", "\u202e", "🙂" * 3, "a" * 10_000]),
    st.builds(lambda c, n: c * n, st.sampled_from(["*", "?", "é", "🙂", "a*"]), st.integers(20, 300)),
)
vocabulary_actions = st.sampled_from(
    [
        "*",
        "ec2:*",
        "ec2:RunInstances",
        "EC2:runinstances",
        "ec2:Describe*",
        "s3:Get*",
        "iam:PassRole",
        "s3:?etObject",
    ]
)
actions = st.one_of(
    vocabulary_actions,
    vocabulary_actions,
    st.builds(lambda s, a: f"{s}:{a}", st.sampled_from(["ec2", "s3", "iam", "x"]), hostile_strings),
)
resources = st.one_of(
    st.sampled_from(["*", "arn:aws:s3:::bucket/*", "arn:aws:iam::*:role/capa-*", "arn:aws:ec2:*:*:vpc/*"]),
    st.builds(lambda r: f"arn:aws:s3:::{r}", hostile_strings),
    hostile_strings,
)
operators = st.sampled_from(
    [
        "StringEquals",
        "StringLike",
        "StringNotEquals",
        "StringNotLike",
        "ForAnyValue:StringLike",
        "ForAllValues:StringEquals",
        "StringEqualsIfExists",
        "ArnLike",
        "Null",
    ]
)
keys = st.sampled_from(
    ["aws:RequestTag/team", "aws:PrincipalTag/team", "s3:prefix", "ec2:Vpc", "iam:PassedToService"]
)
condition_values = st.one_of(hostile_strings, st.lists(hostile_strings, min_size=1, max_size=4))
conditions = st.dictionaries(
    operators, st.dictionaries(keys, condition_values, min_size=1, max_size=3), max_size=3
)
one_or_many = lambda values: values | st.lists(values, min_size=1, max_size=6)  # noqa: E731
#: Now and then something IAM would refuse, so that refusals are exercised too.
malformed = st.sampled_from(["Maybe", "", None, 7, [], {"Allow": True}]) | json_values


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"]))}
    statement["NotAction" if draw(st.integers(0, 5)) == 0 else "Action"] = draw(one_or_many(actions))
    statement["NotResource" if draw(st.integers(0, 5)) == 0 else "Resource"] = draw(one_or_many(resources))
    if draw(st.booleans()):
        statement["Condition"] = draw(conditions)
    if draw(st.integers(0, 4)) == 0:
        statement["Sid"] = draw(st.text(alphabet="abcXYZ019", min_size=1, max_size=20))
    if draw(st.integers(0, 9)) == 0:
        field = draw(
            st.sampled_from(["Effect", "Action", "Resource", "Condition", "Sid", "Principal", "Other"])
        )
        statement[field] = draw(malformed)
    return statement


documents = st.builds(
    lambda version, body: {"Version": version, "Statement": body},
    st.sampled_from(["2012-10-17", "2008-10-17"]),
    st.lists(statements(), min_size=1, max_size=12) | statements(),
)


@SLOW_FUZZ
@given(document=documents)
def test_policy_shaped_documents_are_parsed_or_refused_and_checked(document: dict[str, Any]) -> None:
    for source in (document, json.dumps(document), urllib.parse.quote(json.dumps(document))):
        parsed = parse_or_refuse(source)
        if parsed is not None:
            check_report(parsed)


# --- sizes and depths that no real policy has ---------------------------------------------------


@pytest.mark.parametrize("depth", [100, 1_000, 100_000])
def test_deeply_nested_conditions_are_refused(depth: int) -> None:
    nested: Any = "x"
    for _ in range(min(depth, 5_000)):  # a Python mapping this deep is the caller's doing
        nested = {"k": nested}
    mapping = {
        "Statement": {
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*",
            "Condition": {"StringEquals": {"k": nested}},
        }
    }
    assert parse_or_refuse(mapping) is None
    text = '{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"k": '
    text += "[" * depth + "]" * depth + "}}}}"
    assert parse_or_refuse(text) is None


def test_thousands_of_statements_are_checked_in_reasonable_time() -> None:
    required = parse_policy(load_profile("capa-minimal"), name="capa-minimal")
    required_actions = sorted({a for s in load_profile("capa-minimal")["Statement"] for a in s["Action"]})
    body = [
        {
            "Sid": f"S{index}",
            "Effect": "Deny" if index % 7 == 0 else "Allow",
            "Action": [required_actions[index % len(required_actions)], "ec2:Describe*"],
            "Resource": f"arn:aws:s3:::bucket-{index}/*" if index % 2 else "*",
            **({"Condition": {"StringLike": {"aws:RequestTag/t": f"v{index}*"}}} if index % 3 == 0 else {}),
        }
        for index in range(4_000)
    ]
    # No timed assertion (figures belong in benchmarks/); pytest-timeout catches a hang.
    document = parse_policy({"Version": "2012-10-17", "Statement": body})
    check_report(document, required)


def test_huge_values_are_parsed_and_checked() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["ec2:" + "Run" * 3_000 + "*", "ec2:*"],
                "Resource": "arn:aws:s3:::" + "é" * 10_000,
            },
            {
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": "*",
                "Condition": {"StringLike": {"iam:PassedToService": ["*" * 5_000, "🙂" * 2_000]}},
            },
            {"Effect": "Deny", "NotAction": "s3:*", "NotResource": "?" * 10_000},
        ],
    }
    for source in (document, json.dumps(document), urllib.parse.quote(json.dumps(document))):
        parsed = parse_or_refuse(source)
        assert parsed is not None
        check_report(parsed)


# --- the pattern matcher never backtracks ------------------------------------------------------

pattern_texts = st.text(alphabet="ab:*?", max_size=12)
values = st.text(alphabet="ab:c", max_size=14)


@FUZZ
@given(pattern=pattern_texts, value=values, arn=st.booleans(), ignore_case=st.booleans())
@example(pattern="a*a*", value="aaab", arn=False, ignore_case=False)
@example(pattern="*:a*:*:*:*:a*b", value="x:aa:y:z:w:ab", arn=True, ignore_case=False)
def test_the_automaton_matches_like_the_regular_expression(
    pattern: str, value: str, arn: bool, ignore_case: bool
) -> None:
    from awsip.policy.model import Wild
    from awsip.policy.wildcard import compile_glob

    tokens: list[str | Wild] = []
    for char in pattern:
        if char in "*?":
            tokens.append(Wild.STAR if char == "*" else Wild.QMARK)
        elif tokens and isinstance(tokens[-1], str):
            tokens[-1] += char
        else:
            tokens.append(char)
    glob = compile_glob(tuple(tokens), ignore_case, arn)
    subject = value.lower() if ignore_case else value
    assert glob.automaton_matches(subject) is (glob.regex.fullmatch(subject) is not None)
    assert glob.matches(value) is (glob.regex.fullmatch(subject) is not None)


@pytest.mark.parametrize("arn", [False, True])
def test_matching_many_wildcards_takes_linear_time(arn: bool) -> None:
    from awsip.policy.model import Wild
    from awsip.policy.wildcard import compile_glob

    # In ARN mode, the stars of the first five parts do not cross ':' (the automaton's case).
    tokens: tuple[str | Wild, ...] = ("arn:", Wild.STAR, ":s3:", Wild.STAR, "::") + ("a", Wild.STAR) * 300
    glob = compile_glob(tokens, False, arn)
    cases = {
        "arn:aws:s3:x::" + "a" * 299 + "b": False,
        "arn:aws:s3:x::" + "a" * 400: True,
        "a" * 5_000: False,
    }
    for value, expected in cases.items():
        assert glob.matches(value) is expected


@pytest.mark.parametrize("field", ["Resource", "NotResource"])
def test_many_wildcards_do_not_backtrack(field: str) -> None:
    document = parse_policy({"Statement": {"Effect": "Allow", "Action": "*", field: "a*" * 200 + "b"}})
    check_report(document)  # exponential before: a*a*...a* (30 times) took minutes (pytest-timeout)
