"""Wildcard matching and the automata that compare whole pattern languages."""

from __future__ import annotations

import fnmatch
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awsip.policy import Request, simulate
from awsip.policy.model import Wild
from awsip.policy.patterns import tokenize
from awsip.policy.wildcard import (
    Language,
    Undecided,
    cells,
    compile_glob,
    find_string,
    glob_text,
    matches,
)

from .helpers import allow, doc

# (pattern, value, matches) for resources: case-sensitive, '*' crosses ':' and '/', '?' is one char.
RESOURCES = [
    ("*", "", True),
    ("*", "arn:aws:s3:::b/k", True),
    ("arn:aws:s3:::b/*", "arn:aws:s3:::b/", True),
    ("arn:aws:s3:::b/*", "arn:aws:s3:::b/a/b/c", True),
    ("arn:aws:s3:::b/*", "arn:aws:s3:::B/a", False),
    ("arn:aws:s3:::b/*", "arn:aws:s3:::b", False),
    ("arn:*:s3:::b", "arn:aws-cn:s3:::b", True),
    ("arn:*:s3:::b", "arn:a:b:c:s3:::b", True),  # '*' crosses ':' in Resource
    ("arn:aws:iam::*:role/*", "arn:aws:iam::123:role/a/b", True),
    ("arn:aws:s3:::b?", "arn:aws:s3:::bx", True),
    ("arn:aws:s3:::b?", "arn:aws:s3:::b", False),
    ("arn:aws:s3:::b?", "arn:aws:s3:::bxy", False),
    ("arn:aws:s3:::b?", "arn:aws:s3:::b/", True),
    ("a*b*c", "abc", True),
    ("a*b*c", "aXbYbZc", True),
    ("a*b*c", "acb", False),
    ("a.b", "aXb", False),  # regex metacharacters are literal
    ("a+b", "a+b", True),
    ("a[b]", "a[b]", True),
    ("ARN:AWS:S3:::B", "arn:aws:s3:::b", False),
]


@pytest.mark.parametrize(("pattern", "value", "expected"), RESOURCES)
def test_resource_matching(pattern: str, value: str, expected: bool) -> None:
    glob = compile_glob(tokenize(pattern, wildcards=True, variables=False).tokens)
    assert glob.matches(value) is expected
    # The automaton agrees with the regex.
    assert (
        find_string([Language((glob,)), Language((glob_text(value, wildcards=False),))]) is not None
    ) is expected


ACTIONS = [
    ("ec2:RunInstances", "ec2:runinstances", True),
    ("EC2:RUNINSTANCES", "ec2:RunInstances", True),
    ("ec2:Describe*", "ec2:describeInstances", True),
    ("ec2:Describe*", "ec2:Describe", True),
    ("ec2:*", "ec2:RunInstances", True),
    ("ec2:*", "ec22:RunInstances", False),
    ("*", "anything:Goes", True),
    ("ec2:?escribeVpcs", "ec2:DescribeVpcs", True),
    ("ec2:?escribeVpcs", "ec2:escribeVpcs", False),
    ("*:Get*", "s3:GetObject", True),
    ("s3:Get*", "s3:PutObject", False),
]


@pytest.mark.parametrize(("pattern", "action", "expected"), ACTIONS)
def test_action_matching_is_case_insensitive(pattern: str, action: str, expected: bool) -> None:
    document = doc(allow(pattern, "*"))
    assert simulate([document], Request(action, "*")).allowed is expected


def test_arn_like_wildcards_stay_within_one_arn_part() -> None:
    arn = compile_glob(tokenize("arn:aws:iam::*:role/*", wildcards=True, variables=False).tokens, arn=True)
    assert arn.matches("arn:aws:iam::123456789012:role/a/b:c")  # the resource part may hold ':'
    assert not arn.matches("arn:aws:iam::12:34:role/x")  # the account part may not
    plain = compile_glob(tokenize("arn:aws:iam::*:role/*", wildcards=True, variables=False).tokens)
    assert plain.matches("arn:aws:iam::12:34:role/x")


# Inclusion of languages: inner ⊆ union(outer)?
INCLUSION = [
    ("arn:*:autoscaling:*", ["arn:aws:autoscaling:*"], False),
    ("arn:aws:autoscaling:*", ["arn:*:autoscaling:*"], True),
    ("arn:*:s3:::x", ["arn:aws:s3:::x", "arn:aws-cn:s3:::x", "arn:aws-us-gov:s3:::x"], False),
    ("arn:*:s3:::a*", ["arn:*:s3:::a?*", "arn:*:s3:::a"], True),
    ("a*", ["a", "a?", "a??*"], True),
    ("a*", ["a", "a?", "a???*"], False),
    ("*", ["?*"], False),  # misses the empty string
    ("*", ["?*", ""], True),
    ("*", ["*"], True),
    ("x?y", ["x*y"], True),
    ("x*y", ["x?y"], False),
    ("ab*", ["a*", "b*"], True),
    ("*ab", ["*b"], True),
    ("*ab*", ["*a*"], True),
    ("*a*", ["*ab*"], False),
    ("arn:aws:iam::*:role/*", ["arn:aws:iam::*:role/a*", "arn:aws:iam::*:role/[!a]*"], False),
]


@pytest.mark.parametrize(("inner", "outer", "expected"), INCLUSION)
def test_pattern_inclusion_is_exact(inner: str, outer: list[str], expected: bool) -> None:
    outer_globs = [glob_text(p) for p in outer if p]
    if "" in outer:
        outer_globs.append(glob_text("", wildcards=False))
    witness = find_string([Language((glob_text(inner),)), Language(tuple(outer_globs), False)])
    assert (witness is None) is expected  # no string of inner that outer misses: included
    if witness is not None:
        assert glob_text(inner).matches(witness)
        assert not any(g.matches(witness) for g in outer_globs)


def _brute_language(pattern: str, alphabet: str, length: int) -> set[str]:
    glob = glob_text(pattern)
    return {
        "".join(chars)
        for n in range(length + 1)
        for chars in itertools.product(alphabet, repeat=n)
        if glob.matches("".join(chars))
    }


@pytest.mark.parametrize(
    ("inner", "outer"),
    [
        ("a*b", ["a*", "*b"]),
        ("?a*", ["*a"]),
        ("a?b*", ["a*b", "ab*"]),
        ("*a*b*", ["*ab*", "*a?b*"]),
        ("*a*b*", ["*ab*", "*a?b*", "*a??*"]),
        ("a*", ["a", "a?", "a?b*", "a?a*"]),
        ("a*", ["a", "a?", "a??*"]),
    ],
)
def test_automaton_agrees_with_brute_force_on_short_strings(inner: str, outer: list[str]) -> None:
    """The automaton's shortest witness is as short as the shortest brute-force counterexample.

    The patterns only use 'a' and 'b', so 'x' stands for every other character: enumerating all
    strings over "abx" up to length 5 finds every counterexample of that length.
    """
    alphabet = "abx"
    inner_strings = _brute_language(inner, alphabet, 5)
    outer_strings = set().union(*(_brute_language(p, alphabet, 5) for p in outer))
    brute_gap = inner_strings - outer_strings
    witness = find_string(
        [Language((glob_text(inner),)), Language(tuple(glob_text(p) for p in outer), False)]
    )
    if brute_gap:
        assert witness is not None
        assert len(witness) == min(len(s) for s in brute_gap)
        assert glob_text(inner).matches(witness)
        assert not any(glob_text(p).matches(witness) for p in outer)
    else:
        # No counterexample up to length 5; for these patterns a longer one would imply a shorter one.
        assert witness is None


def test_negative_literal_and_intersection() -> None:
    # Strings of arn:*:x that are not arn:aws:* : e.g. another partition.
    witness = find_string([Language((glob_text("arn:*:x"),)), Language((glob_text("arn:aws:*"),), False)])
    assert witness is not None and witness.startswith("arn:") and not witness.startswith("arn:aws:")
    # Two disjoint literals.
    assert find_string([Language((glob_text("a*"),)), Language((glob_text("b*"),))]) is None


def test_cells_split_an_action_pattern_by_the_statements_that_match() -> None:
    required = [Language((glob_text("ec2:describe*", ignore_case=True),))]
    tracked = [
        Language((glob_text("ec2:describeinstances", ignore_case=True),)),
        Language((glob_text("ec2:describe*", ignore_case=True),)),
        Language((glob_text("s3:*", ignore_case=True),)),
    ]
    found = dict((vector, witness) for witness, vector in cells(required, tracked))
    assert set(found) == {(True, True, False), (False, True, False)}
    assert found[(True, True, False)].lower() == "ec2:describeinstances"


def test_search_budget_raises_undecided() -> None:
    many = tuple(glob_text(f"*a{'?' * n}b*") for n in range(6))
    with pytest.raises(Undecided):
        find_string(
            [Language((glob_text("*"),)), Language(many, False), Language((glob_text("*c*"),))], budget=5
        )


def test_stars_collapse_and_wild_tokens() -> None:
    pattern = tokenize("a**b?", wildcards=True, variables=False)
    assert pattern.tokens == ("a", Wild.STAR, "b", Wild.QMARK)
    literal = tokenize("a*b?", wildcards=False, variables=False)
    assert literal.tokens == ("a*b?",)


# --- plain-text globs (trust principals, tenancy rules) ---------------------------------------


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("sts:AssumeRole", "sts:AssumeRole", True),
        ("sts:*", "sts:AssumeRole", True),
        ("sts:Assume?ole", "sts:AssumeRole", True),
        ("sts:Assume", "sts:AssumeRole", False),
        ("*", "", True),
        ("", "", True),
        ("?", "", False),
        ("a*b*c", "aXXbYYc", True),
        ("a*b*c", "aXXbYY", False),
        ("[ab]", "a", False),  # brackets are literal in IAM
        ("[ab]", "[ab]", True),
    ],
)
def test_matches_plain_text_globs(pattern: str, text: str, expected: bool) -> None:
    assert matches(pattern, text) is expected


def test_matches_ignore_case() -> None:
    assert matches("STS:assume*", "sts:AssumeRole", ignore_case=True)
    assert not matches("STS:assume*", "sts:AssumeRole")


_GLOB_TEXT = st.text(alphabet="ab*?", max_size=12)


@settings(max_examples=300, deadline=None)
@given(pattern=_GLOB_TEXT, text=st.text(alphabet="ab", max_size=12))
def test_matches_agrees_with_fnmatch(pattern: str, text: str) -> None:
    # Without brackets, fnmatch's "*" and "?" mean exactly what IAM's do.
    assert matches(pattern, text) is fnmatch.fnmatchcase(text, pattern)


def test_matches_is_not_exponential() -> None:
    pattern = "a*" * 5000 + "b"
    text = "a" * 10_000
    # Exponential matching would not finish before pytest-timeout; no timed assertion here.
    assert not matches(pattern, text[:200])
    assert not matches("*a" * 2000 + "b", "a" * 2000)


@settings(max_examples=300, deadline=None)
@given(
    pattern=st.text(alphabet="aA:.*?\\|(\n", max_size=16),
    text=st.text(alphabet="aA:.\\|(\n", max_size=14),
    arn=st.booleans(),
    ignore_case=st.booleans(),
)
def test_the_regular_expression_written_from_the_atoms_agrees_with_the_automaton(
    pattern: str, text: str, arn: bool, ignore_case: bool
) -> None:
    # The regular expression is written from the atoms when first needed: metacharacters escaped,
    # ARN-mode wildcards kept within one part, collapsed stars.
    glob = compile_glob(tokenize(pattern, wildcards=True, variables=False).tokens, ignore_case, arn)
    value = text.lower() if ignore_case else text
    assert (glob.regex.fullmatch(value) is not None) is glob.automaton_matches(value)


@settings(max_examples=200, deadline=None)
@given(first=_GLOB_TEXT, second=_GLOB_TEXT, ignore_case=st.booleans())
def test_glob_shapes_are_equal_when_atoms_and_case_are(first: str, second: str, ignore_case: bool) -> None:
    one, other = glob_text(first), glob_text(second, ignore_case=ignore_case)
    same = one.atoms == other.atoms and one.ignore_case == other.ignore_case
    assert (one.shape == other.shape) is same
    assert len({one.shape, other.shape}) == (1 if same else 2)
