"""The action index of a compiled statement (sorted names, one service's range indexed when asked)
matches actions exactly as the reference evaluator does, whatever the patterns look like."""

from __future__ import annotations

from hypothesis import assume, example, given
from hypothesis import strategies as st

from awsip.policy import PolicyParseError, parse_policy
from awsip.policy.match import compile_policy

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


@FAST
@given(
    action_patterns=st.lists(patterns, min_size=1, max_size=8, unique=True),
    asked=st.lists(actions, min_size=1, max_size=12),
    negated=st.booleans(),
    fill=st.sampled_from(["", "x", "essages", ":"]),
    shift=st.integers(-3, 8),
)
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
