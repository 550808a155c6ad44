"""The action index of a compiled statement (sorted names, one service's range indexed when asked)
matches actions exactly as the reference evaluator does, whatever the patterns look like."""

from __future__ import annotations

import re

from hypothesis import assume, example, given
from hypothesis import strategies as st

from awsip.policy import PolicyDocument, PolicyParseError, parse_policy
from awsip.policy.match import (
    _index_texts,
    _names_regex,
    compile_policy,
    group_actions,
    matching_statements,
)

from . import reference
from .test_properties import FAST

#: Services that are prefixes of one another, wildcards and ':' in odd places, case, line breaks.
PIECES = ["ec2", "ec2messages", "EC2", "s3", "e", ":", "*", "?", "Get", "get", "Describe", "x", "\n"]
parts = st.lists(st.sampled_from(PIECES), max_size=4).map("".join)
patterns = st.one_of(st.just("*"), st.tuples(parts, parts).map(":".join))
actions = st.lists(st.sampled_from([p for p in PIECES if p not in ("*", "?")]), max_size=5).map("".join)


def _near(pattern: str, fill: str, shift: int) -> list[str]:
    """Actions close to a pattern: its wildcards filled in, and the same with its first ':' moved
    (so that one service's names are asked about under a service that is a prefix of it)."""
    filled = pattern.replace("*", fill).replace("?", "x")
    head, _, tail = filled.partition(":")
    joined = head + tail
    cut = max(0, min(len(joined), len(head) + shift))
    return [filled, filled.swapcase(), joined[:cut] + ":" + joined[cut:]]


#: What the properties about statements and asked actions draw (a fill and a shift, or a room, besides).
_DRAWN = {
    "action_patterns": st.lists(patterns, min_size=1, max_size=8, unique=True),
    "asked": st.lists(actions, min_size=1, max_size=12),
    "negated": st.booleans(),
    "fill": st.sampled_from(["", "x", "essages", ":"]),
}


@FAST
@given(**_DRAWN, shift=st.integers(-3, 8))
@example(action_patterns=["ec2messages:Get*"], asked=["ec2:essages:get"], negated=False, fill="", shift=0)
def test_compiled_statements_match_actions_as_the_reference_does(
    action_patterns: list[str], asked: list[str], negated: bool, fill: str, shift: int
) -> None:
    statement = {"Effect": "Allow", "NotAction" if negated else "Action": action_patterns, "Resource": "*"}
    try:
        document = parse_policy({"Statement": [statement]})
    except PolicyParseError:
        assume(False)  # e.g. an empty service part
    compiled = compile_policy(document, boundary=False)
    for action in asked + [a for p in action_patterns for a in _near(p, fill, shift)]:
        expected = reference.statement_applies(statement, action, "r", {})
        assert compiled.statements[0].matches_action(action) is expected, action
        assert (compiled.matching_action(action) == compiled.statements) is expected, action


def _three_statements(action_patterns: list[str], negated: bool) -> PolicyDocument:
    """An Allow (or NotAction Allow) of the drawn patterns, a Deny of the first, and an Allow of
    two generic patterns; a drawing that is no policy is discarded."""
    key = "NotAction" if negated else "Action"
    statements = [
        {"Effect": "Allow", key: action_patterns, "Resource": "*"},
        {"Effect": "Deny", "Action": action_patterns[:1], "Resource": "*"},
        {"Effect": "Allow", "Action": ["s3:*", "ec2:Get*"], "Resource": "*"},
    ]
    try:
        return parse_policy({"Statement": statements})
    except PolicyParseError:
        assume(False)
        raise


@FAST
@given(**_DRAWN, shift=st.integers(-3, 8))
def test_matching_many_actions_at_once_is_matching_them_one_by_one(
    action_patterns: list[str], asked: list[str], negated: bool, fill: str, shift: int
) -> None:
    document = _three_statements(action_patterns, negated)
    every = asked + [a for p in action_patterns for a in _near(p, fill, shift)]
    one_by_one = compile_policy(document, boundary=False)
    at_once = compile_policy(document, boundary=False)
    at_once.match_many(group_actions(every), key="required")
    for action in every:
        expected = tuple(st for st in one_by_one.statements if st.matches_action(action))
        assert one_by_one.matching_action(action) == expected
        assert at_once.matching_action(action) == expected, action
        assert [s.key for s in at_once.matching_action(action)] == [s.key for s in expected]
        fresh = compile_policy(document, boundary=False)  # nothing remembered yet
        assert matching_statements([at_once, fresh, one_by_one], action) == [*expected] * 3


def test_matching_many_actions_stays_within_the_bound_and_is_done_once() -> None:
    document = parse_policy({"Statement": [{"Effect": "Allow", "Action": "ec2:Get*", "Resource": "*"}]})
    compiled = compile_policy(document, boundary=False, actions=3)
    compiled.match_many(group_actions([f"ec2:GetThing{i}" for i in range(10)]), key="k")
    assert len(compiled._by_action) == 3
    compiled.match_many(group_actions(["ec2:Other"]), key="k")  # the same key: nothing more
    assert "ec2:Other" not in compiled._by_action
    assert compiled.matching_action("ec2:GetThing9") == compiled.statements  # answered all the same


def _generic_one_by_one(texts: list[str]) -> frozenset[str]:
    """The plain definition: no ':', or a wildcard before the first one."""
    return frozenset(t for t in texts if ":" not in t or any(c in t.partition(":")[0] for c in "*?"))


def _names_regex_char_by_char(names: tuple[str, ...]) -> str:
    """The plain construction: each character escaped, or a wildcard."""
    sources = ["".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in n) for n in names]
    return "(?:" + "|".join(sources) + ")"


@FAST
@given(st.lists(st.text(alphabet="ab*?\\|.\n:", max_size=6), min_size=1, max_size=4).map(tuple))
@example(("a\\*", "\\\\?", "x|y*", "*"))
def test_the_names_regex_is_the_plain_construction(names: tuple[str, ...]) -> None:
    assert _names_regex(names).pattern == _names_regex_char_by_char(names)


@FAST
@given(st.lists(st.one_of(patterns, parts), max_size=12))
@example(["ec2:get*", "ec2*:x", "ec2;:y", "ec:z", "ec2messages:a", "*", ":get", "a?:b"])
def test_the_literal_services_are_found_with_the_generic_patterns(texts: list[str]) -> None:
    """A service at a time, as compile_statement indexes them (sorted as written), and lower-cased."""
    for sorted_texts in (sorted(texts), sorted(t.lower() for t in texts)):
        services, generic = _index_texts(sorted_texts)
        assert generic == _generic_one_by_one(sorted_texts)
        assert services == frozenset(t.partition(":")[0] for t in sorted_texts if t not in generic)


@FAST
@given(**_DRAWN, room=st.sampled_from([2, 256]))
def test_the_answer_of_matching_many_actions_is_each_ones_statements(
    action_patterns: list[str], asked: list[str], negated: bool, fill: str, room: int
) -> None:
    document = _three_statements(action_patterns, negated)
    every = asked + [a for p in action_patterns for a in _near(p, fill, 0)]
    one_by_one = compile_policy(document, boundary=False)
    at_once = compile_policy(document, boundary=False, actions=room)
    answer = at_once.match_many(group_actions(every), key="required")
    assert at_once.match_many(group_actions(every), key="required") == answer  # asked again
    assert len(at_once._by_action) <= room
    for action in every:
        expected = one_by_one.matching_action(action)
        if ":" in action:  # actions without one are left to matching_action
            assert answer.get(action.lower(), ()) == expected, action
        assert at_once._by_action.get(action, expected) == expected, action  # what it remembered


def test_a_service_spelt_in_several_cases_is_one_service() -> None:
    patterns = ["EC2:Describe*", "ec2:RunInstances", "Ec2:Get?tem", "s3:GetObject"]
    statement = {"Effect": "Allow", "Action": patterns, "Resource": "*"}
    compiled = compile_policy(parse_policy({"Statement": [statement]}), boundary=False)
    for action in [
        "ec2:describevpcs",
        "EC2:RUNINSTANCES",
        "eC2:getitem",
        "ec2:GetXtem",
        "ec2:Run",
        "s3:getobject",
    ]:
        expected = reference.statement_applies(statement, action, "r", {})
        assert compiled.statements[0].matches_action(action) is expected, action
    answer = compiled.match_many(group_actions(["ec2:DescribeVpcs", "ec2:getItem", "ec2:Run"]))
    assert set(answer) == {"ec2:describevpcs", "ec2:getitem"}
