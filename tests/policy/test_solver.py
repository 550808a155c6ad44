"""The condition solver: implication and disjointness of condition blocks, and witness contexts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from awsip.policy import Request, simulate
from awsip.policy.caches import Patterns
from awsip.policy.conditions import StringPredicate
from awsip.policy.model import Clause
from awsip.policy.operators import MULTIVALUED_KEYS
from awsip.policy.solver import (
    UNSAT,
    Lit,
    Undecidable,
    _implied_by_solving,
    _implied_by_values,
    _string_candidates,
    disjoint,
    find_context,
    find_value,
    implied,
    search_contexts,
    solve_key,
)
from awsip.policy.wildcard import Language, find_string, glob_text

from .helpers import allow, doc
from .test_properties import FAST, conditions

MV = MULTIVALUED_KEYS | {"test:tags"}


def clauses(block: dict[str, Any] | None) -> tuple[Clause, ...]:
    if not block:
        return ()
    return doc(allow(condition=block)).statements[0].conditions


# (required conditions, granted conditions, implied?)
IMPLIED: list[tuple[Any, Any, str]] = [
    (None, None, "yes"),
    ({"StringEquals": {"k": "a"}}, None, "yes"),
    (None, {"StringEquals": {"k": "a"}}, "no"),
    ({"StringEquals": {"k": "a"}}, {"StringEquals": {"k": "a"}}, "yes"),
    ({"StringEquals": {"k": "a"}}, {"StringEquals": {"K": ["a", "b"]}}, "yes"),  # key names ignore case
    ({"StringEquals": {"k": ["a", "b"]}}, {"StringEquals": {"k": "a"}}, "no"),
    (
        {"StringLike": {"k": "autoscaling.amazonaws.com"}},
        {"StringEquals": {"k": "autoscaling.amazonaws.com"}},
        "yes",
    ),
    ({"StringLike": {"k": "a*"}}, {"StringLike": {"k": "*"}}, "yes"),
    ({"StringLike": {"k": "ab*"}}, {"StringLike": {"k": "a*"}}, "yes"),
    ({"StringLike": {"k": "a*"}}, {"StringLike": {"k": "ab*"}}, "no"),
    ({"StringEquals": {"k": "a"}}, {"StringNotEquals": {"k": "b"}}, "yes"),
    ({"StringEquals": {"k": "a"}}, {"StringEqualsIgnoreCase": {"k": "A"}}, "yes"),
    ({"StringEqualsIgnoreCase": {"k": "A"}}, {"StringEquals": {"k": "a"}}, "no"),
    ({"StringEquals": {"k": "a"}}, {"StringEqualsIfExists": {"k": "a"}}, "yes"),
    ({"StringEqualsIfExists": {"k": "a"}}, {"StringEquals": {"k": "a"}}, "no"),  # k may be absent
    ({"StringEqualsIfExists": {"k": "a"}}, {"StringNotEquals": {"k": "b"}}, "yes"),
    ({"Null": {"k": "true"}}, {"StringNotLike": {"k": "*"}}, "yes"),
    ({"Null": {"k": "false"}}, {"StringLike": {"k": "*"}}, "yes"),
    (None, {"StringLike": {"k": "*"}}, "no"),  # k may be absent
    ({"StringEquals": {"k": "a"}}, {"Null": {"k": "false"}}, "yes"),
    ({"NumericLessThan": {"n": "5"}}, {"NumericLessThan": {"n": "10"}}, "yes"),
    ({"NumericLessThan": {"n": "10"}}, {"NumericLessThan": {"n": "5"}}, "no"),
    ({"NumericLessThanEquals": {"n": "5"}}, {"NumericLessThan": {"n": "5"}}, "no"),
    (
        {"NumericGreaterThan": {"n": "1"}, "NumericLessThan": {"n": "3"}},
        {"NumericNotEquals": {"n": "7"}},
        "yes",
    ),
    ({"DateLessThan": {"d": "2020-01-01"}}, {"DateLessThan": {"d": "2021-01-01T00:00:00Z"}}, "yes"),
    ({"IpAddress": {"ip": "10.1.0.0/16"}}, {"IpAddress": {"ip": "10.0.0.0/8"}}, "yes"),
    ({"IpAddress": {"ip": "10.0.0.0/8"}}, {"IpAddress": {"ip": "10.1.0.0/16"}}, "no"),
    ({"IpAddress": {"ip": "10.0.0.0/8"}}, {"NotIpAddress": {"ip": "192.168.0.0/16"}}, "yes"),
    ({"Bool": {"b": "true"}}, {"Bool": {"b": "true"}}, "yes"),
    ({"Bool": {"b": "true"}}, {"BoolIfExists": {"b": "true"}}, "yes"),
    (None, {"BoolIfExists": {"b": "true"}}, "no"),
    ({"ArnLike": {"a": "arn:aws:iam::1:role/x*"}}, {"ArnLike": {"a": "arn:aws:iam::*:role/*"}}, "yes"),
    # Multivalued keys: the set operators.
    ({"ForAnyValue:StringLike": {"test:tags": "a*"}}, {"ForAnyValue:StringLike": {"test:tags": "a*"}}, "yes"),
    (
        {"ForAnyValue:StringLike": {"test:tags": "ab*"}},
        {"ForAnyValue:StringLike": {"test:tags": "a*"}},
        "yes",
    ),
    ({"ForAnyValue:StringLike": {"test:tags": "a*"}}, {"ForAllValues:StringLike": {"test:tags": "a*"}}, "no"),
    ({"ForAllValues:StringLike": {"test:tags": "a*"}}, {"ForAnyValue:StringLike": {"test:tags": "a*"}}, "no"),
    (
        {"ForAllValues:StringLike": {"test:tags": "a*"}, "Null": {"test:tags": "false"}},
        {"ForAnyValue:StringLike": {"test:tags": "a*"}},
        "yes",
    ),
    (
        {"ForAllValues:StringEquals": {"test:tags": "a"}},
        {"ForAllValues:StringEquals": {"test:tags": ["a", "b"]}},
        "yes",
    ),
]


@pytest.mark.parametrize(("required", "granted", "expected"), IMPLIED)
def test_implied(required: Any, granted: Any, expected: str) -> None:
    assert implied(clauses(required), clauses(granted), MV) == expected


DISJOINT: list[tuple[Any, Any, str]] = [
    (None, None, "no"),
    ({"StringEquals": {"k": "a"}}, {"StringEquals": {"k": "b"}}, "yes"),
    ({"StringEquals": {"k": "a"}}, {"StringNotEquals": {"k": "a"}}, "yes"),
    ({"StringEquals": {"k": "a"}}, {"StringLike": {"k": "a*"}}, "no"),
    ({"StringLike": {"k": "a*"}}, {"StringLike": {"k": "*b"}}, "no"),
    ({"StringLike": {"k": "a*"}}, {"StringLike": {"k": "b*"}}, "yes"),
    ({"StringEquals": {"k": "a"}}, {"Null": {"k": "true"}}, "yes"),
    ({"NumericLessThan": {"n": "5"}}, {"NumericGreaterThanEquals": {"n": "5"}}, "yes"),
    ({"NumericLessThan": {"n": "5"}}, {"NumericGreaterThan": {"n": "4"}}, "no"),
    ({"IpAddress": {"ip": "10.0.0.0/8"}}, {"IpAddress": {"ip": "192.168.0.0/16"}}, "yes"),
    ({"StringEquals": {"k": "a"}}, {"StringEquals": {"other": "b"}}, "no"),
    ({"StringEquals": {"k": "a"}}, {"StringEquals": {"k": "${aws:username}"}}, "unknown"),
    ({"StringEquals": {"k": "a"}}, {"StringEquals": {"k": "b", "j": "${aws:username}"}}, "yes"),
]


@pytest.mark.parametrize(("required", "granted", "expected"), DISJOINT)
def test_disjoint(required: Any, granted: Any, expected: str) -> None:
    assert disjoint(clauses(required), clauses(granted), MV) == expected


def test_mixed_operator_families_on_one_key_are_undecidable_unless_a_candidate_works() -> None:
    mixed = clauses({"NumericLessThan": {"k": "5"}, "StringLike": {"k": "x*"}})
    with pytest.raises(Undecidable):
        find_context(mixed, [], MV)
    compatible = clauses({"NumericLessThan": {"k": "5"}, "StringNotEquals": {"k": "zzz"}})
    context = find_context(compatible, [], MV)
    assert context is not None and "k" in context


def test_witness_contexts_satisfy_what_was_asked() -> None:
    required = clauses(
        {"ForAnyValue:StringLike": {"kms:ResourceAliases": "alias/cluster-api-provider-aws-*"}}
    )
    granted = clauses(
        {"ForAllValues:StringLike": {"kms:ResourceAliases": "alias/cluster-api-provider-aws-*"}}
    )
    context = find_context(required, [Lit(granted[0], False)], MV)
    assert context is not None
    values = context["kms:ResourceAliases"]
    assert isinstance(values, tuple) and len(values) == 2
    # Check with the evaluator: the required condition holds, the granted one does not.
    request = Request(
        "kms:CreateGrant", "*", {k: list(v) if isinstance(v, tuple) else v for k, v in context.items()}
    )
    assert simulate(
        [
            doc(
                allow(
                    condition={
                        "ForAnyValue:StringLike": {"kms:ResourceAliases": "alias/cluster-api-provider-aws-*"}
                    }
                )
            )
        ],
        request,
    ).allowed
    assert not simulate(
        [
            doc(
                allow(
                    condition={
                        "ForAllValues:StringLike": {"kms:ResourceAliases": "alias/cluster-api-provider-aws-*"}
                    }
                )
            )
        ],
        request,
    ).allowed


def test_unsatisfiable_required_conditions() -> None:
    assert find_context(clauses({"StringEquals": {"k": "a"}, "StringNotEquals": {"k": "a"}}), [], MV) is None
    assert (
        find_context(clauses({"NumericLessThan": {"n": "1"}, "NumericGreaterThan": {"n": "2"}}), [], MV)
        is None
    )


def test_numeric_and_date_operators_on_one_key_are_kept_apart() -> None:
    block = {"DateGreaterThan": {"k": "2020-01-01T00:00:00Z"}, "NumericNotEquals": {"k": "5"}}
    context = find_context(clauses(block), [], MV)
    assert context is not None
    assert simulate([doc(allow(condition=block))], Request("s3:GetObject", "*", dict(context))).allowed


def test_date_witness_beyond_year_9999() -> None:
    block = clauses({"DateGreaterThan": {"d": "9999-12-31T23:59:59Z"}})
    context = find_context(block, [], MV)
    assert context is not None
    request = Request("s3:GetObject", "*", dict(context))
    assert simulate(
        [doc(allow(condition={"DateGreaterThan": {"d": "9999-12-31T23:59:59Z"}}))], request
    ).allowed


STRING_OPERATORS = [
    "StringEquals",
    "StringLike",
    "StringNotEquals",
    "StringNotLike",
    "StringEqualsIgnoreCase",
]


@FAST
@given(
    st.lists(
        st.tuples(
            st.sampled_from(STRING_OPERATORS),
            st.lists(st.sampled_from(["a", "b", "ab", "a*", "?", "A", "example"]), min_size=1, max_size=3),
            st.booleans(),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_a_string_value_is_found_exactly_when_the_automata_find_one(
    wanted: list[tuple[str, list[str], bool]],
) -> None:
    # Values that must be inside a predicate of exact strings are looked for among them alone;
    # the automaton search over every string is the reference.
    patterns = Patterns()
    items = []
    for operator, values, inside in wanted:
        (clause,) = clauses({operator: {"k": values}})
        predicate = patterns.clause_predicate(clause)
        assert isinstance(predicate, StringPredicate)
        items.append((predicate, inside, clause))
    languages = [Language(pred.globs, inside) for pred, inside, _ in items]
    exists = find_string([*languages, Language((glob_text("?*"),), True)]) is not None
    found = find_value(items, patterns)
    assert (found is not None) is exists
    if found is not None:
        assert all(pred.contains(found) is inside for pred, inside, _ in items)
    # The readable candidates, in their order, come first: the first one that works is the answer.
    works = [c for c in _string_candidates(items) if c and all(p.contains(c) is i for p, i, _ in items)]
    if works:
        assert found == works[0]


REQUIRED_OPERATORS = [
    "StringEquals",
    "StringLike",
    "StringNotEquals",
    "StringEqualsIfExists",
    "StringEqualsIgnoreCase",
]
GRANTED_OPERATORS = [
    *STRING_OPERATORS,
    "StringLikeIfExists",
    "ForAnyValue:StringLike",
    "ForAllValues:StringNotEquals",
]
VALUES = st.lists(st.sampled_from(["a", "b", "ab", "a*", "?", "A", ""]), min_size=1, max_size=3)


@FAST
@given(
    required=st.tuples(st.sampled_from(REQUIRED_OPERATORS), VALUES),
    granted=st.one_of(
        st.tuples(st.sampled_from(GRANTED_OPERATORS), VALUES),
        st.tuples(st.just("Null"), st.sampled_from([["true"], ["false"]])),
    ),
    multivalued=st.booleans(),
)
def test_an_implication_read_from_the_required_values_is_the_solvers(
    required: tuple[str, list[str]], granted: tuple[str, list[str]], multivalued: bool
) -> None:
    # A required clause naming a few exact strings: the granted clause is implied when it holds
    # for each of them, as the solver (looking for a value that fails it) says.
    (named,) = clauses({required[0]: {"k": required[1]}})
    (clause,) = clauses({granted[0]: {"k": granted[1]}})
    keys = frozenset({"k"}) if multivalued else frozenset()
    by_values = _implied_by_values([named], clause, keys, Patterns())
    by_solving = _implied_by_solving([named], clause, keys, Patterns())
    if by_values is not None:
        assert by_values is by_solving
    wildcards = required[0] == "StringLike" and any("*" in v or "?" in v for v in required[1])
    applies = not multivalued and required[0] in ("StringEquals", "StringLike") and not wildcards
    assert (by_values is not None) is applies


def plain_search(
    required: tuple[Clause, ...], choices: list[list[list[Lit]]], multivalued: frozenset[str]
) -> Iterator[tuple[dict[str, Any], tuple[int, ...]]]:
    """search_contexts as it was first written: each key touched solved again at every depth.

    The reference the search is compared with: its walk is written out here on purpose (the same
    shape as the solver's), so that a change to the solver cannot change its reference too."""
    patterns = Patterns()
    undecided = False

    def consistent(lits: list[Lit], keys: Iterable[str]) -> bool:
        nonlocal undecided
        for key in keys:
            try:
                if (
                    solve_key([lit for lit in lits if lit.clause.key == key], key in multivalued, patterns)
                    is UNSAT
                ):
                    return False
            except Undecidable:
                undecided = True
                return False
        return True

    def walk(
        depth: int, lits: list[Lit], chosen: tuple[int, ...]
    ) -> Iterator[tuple[dict[str, Any], tuple[int, ...]]]:
        if depth == len(choices):
            try:
                context = find_context((), lits, multivalued, patterns=patterns)
            except Undecidable:
                return
            if context is not None:
                yield context, chosen
            return
        for index, option in enumerate(choices[depth]):
            extended = lits + list(option)
            if consistent(extended, dict.fromkeys(lit.clause.key for lit in option)):
                yield from walk(depth + 1, extended, (*chosen, index))

    base = [Lit(c) for c in required]
    if not consistent(base, dict.fromkeys(c.key for c in required)):
        return
    yield from walk(0, base, ())
    if undecided:
        raise Undecidable("some combination of conditions could not be decided")


def _everything(search: Iterator[tuple[dict[str, Any], tuple[int, ...]]]) -> tuple[list[Any], bool]:
    found = []
    try:
        for item in search:
            found.append(item)
    except Undecidable:
        return found, True
    return found, False


#: Clauses of several operator families on one key: deciding them can need more than candidates.
MIXED = st.sampled_from(
    [
        {"StringLike": {"test:x": ["1*", "a*"]}},
        {"StringLike": {"test:x": "1?"}},
        {"StringNotEquals": {"test:x": "1"}},
        {"NumericLessThan": {"test:x": "2"}},
        {"NumericGreaterThan": {"test:x": ["10", "1.5"]}},
        {"IpAddress": {"test:x": "10.0.0.0/8"}},
    ]
)


@FAST
@given(
    required=st.one_of(conditions(False), MIXED),
    choices=st.lists(
        st.lists(
            st.lists(st.tuples(st.one_of(conditions(True), MIXED), st.booleans()), min_size=1, max_size=2),
            min_size=1,
            max_size=3,
        ),
        min_size=1,
        max_size=4,
    ),
    multivalued=st.sampled_from([frozenset({"test:m"}), frozenset({"test:m", "test:s"})]),
)
def test_searching_contexts_finds_what_solving_every_key_again_finds(
    required: dict[str, Any],
    choices: list[list[list[tuple[dict[str, Any], bool]]]],
    multivalued: frozenset[str],
) -> None:
    # A key's value that still satisfies the literals added at a depth is not solved again; the
    # contexts found, their order, and whether the search gives up are those of solving again.
    options = [
        [
            [Lit(clause, positive) for block, positive in option for clause in clauses(block)]
            for option in entry
        ]
        for entry in choices
    ]
    found = _everything(iter(search_contexts(clauses(required), options, multivalued)))
    assert found == _everything(plain_search(clauses(required), options, multivalued))
