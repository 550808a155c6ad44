"""Reasoning about condition blocks: is there a context where these clauses hold (or fail)?

Coverage needs three questions about condition blocks, each over *all* request contexts:

- ``implied(C_R, C_S)``: does every context satisfying the required conditions satisfy C_S?
- ``disjoint(C_R, C_S)``: is there no context satisfying both?
- ``find_context(...)``: a concrete context satisfying some clauses and falsifying others.

Keys are independent of each other, so everything reduces to one key at a time: is there a value
for this key (absent, one string, or a set of strings for a multivalued key) that makes each given
clause true or false as wanted? For one key, each wanted clause becomes a constraint "some value
is (not) in the predicate" or "every value is (not) in the predicate", and the question reduces to
whether intersections of predicates and their complements are empty. Those are decided exactly
with automata (string, ARN and Bool operators: :mod:`awsip.policy.wildcard`) or interval sets
(numbers, dates, IP addresses: :mod:`awsip.policy.values`). Mixing families on one key (a numeric
and a string operator on the same key) is only decided when a candidate value happens to work;
otherwise :class:`Undecidable` is raised and the caller reports Unknown. So are clauses whose
values contain policy variables (they tie two keys together).

An empty string or list counts as an absent key, so present values are non-empty strings.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache, partial

from awsip.policy.caches import Patterns
from awsip.policy.conditions import (
    AddressPredicate,
    AnyPredicate,
    NumberPredicate,
    StringPredicate,
    holds,
    null_holds,
)
from awsip.policy.interrupt import checkpoint
from awsip.policy.model import Clause, Family, Pattern, Qualifier
from awsip.policy.values import Interval, Intervals, Ranges, format_address, format_date
from awsip.policy.wildcard import Language, Undecided, find_string, glob_text

#: A key's value in a context: absent (None), one string, or a tuple for a multivalued key.
Value = str | tuple[str, ...] | None

ABSENT: Value = None


class Undecidable(Exception):
    """The solver cannot decide (mixed operator families, policy variables, a huge automaton)."""


class _Unsat:
    def __repr__(self) -> str:
        return "UNSAT"


UNSAT = _Unsat()


@dataclass(frozen=True, slots=True)
class Lit:
    """A clause that must hold (``positive``) or must fail."""

    clause: Clause
    positive: bool = True


def null_clause(key_name: str, absent: bool = True) -> Clause:
    """A synthetic ``Null`` clause: the key is absent (or present)."""
    text = "true" if absent else "false"
    return Clause(
        operator="Null",
        base="Null",
        family=Family.NULL,
        negated=False,
        qualifier=None,
        if_exists=False,
        key_name=key_name,
        values=(Pattern(text, (text,)),),
    )


#: Present values are non-empty strings.
_NON_EMPTY = Language((glob_text("?*"),), True)


# (all-or-some, in-or-not-in) for a positive literal; a negative literal is the dual.
_FORALL, _EXISTS = "forall", "exists"


def _constraint(lit: Lit) -> tuple[str, bool]:
    clause = lit.clause
    if clause.qualifier is Qualifier.FOR_ANY_VALUE:
        quant, inside = _EXISTS, not clause.negated
    elif clause.qualifier is Qualifier.FOR_ALL_VALUES:
        quant, inside = _FORALL, not clause.negated
    else:
        quant, inside = (_FORALL, False) if clause.negated else (_EXISTS, True)
    if not lit.positive:
        quant = _EXISTS if quant == _FORALL else _FORALL
        inside = not inside
    return quant, inside


Item = tuple[AnyPredicate, bool, Clause]  # value must be (not) in the predicate


def _number_text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _string_candidates(items: Sequence[Item]) -> Iterable[str]:
    """Readable values to try: those of the patterns a value must match, then plain ones, then
    those of the patterns it must avoid (rarely right: each lies inside the pattern it came from).

    The order keeps a search over many conditions linear per step: when every condition is one a
    value must avoid (``StringNotLike``, or the falsified ``StringLike`` of an Allow), "example"
    is tried second, not after two candidates per condition that each fail on its own condition.
    """
    wanted = [item for item in items if item[1]]
    avoided = [item for item in items if not item[1]]
    yield from _pattern_candidates(wanted)
    yield from ("example", "other-value")
    yield from _pattern_candidates(avoided)


def _pattern_candidates(items: Sequence[Item]) -> Iterable[str]:
    for pred, _inside, clause in items:
        if clause.base == "Bool":
            yield from ("true", "false")
        if isinstance(pred, StringPredicate):
            for glob in pred.globs:
                if glob.literal is not None:
                    yield glob.literal
                else:
                    yield glob.text.replace("*", "example").replace("?", "x")
                    yield glob.text.replace("*", "").replace("?", "x")


def _finite(pred: AnyPredicate) -> bool:
    """Whether the predicate holds exactly its literal strings (case-sensitive, no wildcards), each
    of which :func:`_string_candidates` yields when a value must be inside it."""
    return isinstance(pred, StringPredicate) and all(
        glob.literal is not None and not glob.ignore_case for glob in pred.globs
    )


def _kind(pred: AnyPredicate) -> Family:
    if isinstance(pred, StringPredicate):
        return Family.STRING
    if isinstance(pred, NumberPredicate):
        return pred.family
    return Family.IP


def find_value(items: Sequence[Item], patterns: Patterns) -> str | None:
    """A non-empty string inside/outside each predicate as wanted; None if there is none."""
    if not items:
        return "example"
    families = {_kind(pred) for pred, _, _ in items}
    if len(families) == 1:
        family = families.pop()
        if family is Family.STRING:
            return _find_string_value(items, patterns)
        if family in (Family.NUMERIC, Family.DATE):
            return _find_number_value(items)
        return _find_address_value(items)
    # Mixed families on one key: each family alone must be satisfiable, then try candidates.
    candidates: list[str] = []
    for family in families:
        part = [item for item in items if _kind(item[0]) is family]
        found = find_value(part, patterns)
        if found is None:
            return None
        candidates.append(found)
    candidates += list(_string_candidates(items))
    for candidate in candidates:
        if all(pred.contains(candidate) == inside for pred, inside, _ in items):
            return candidate
    raise Undecidable("operators of different kinds (string, numeric, date, address) on one key")


def _find_string_value(items: Sequence[Item], patterns: Patterns) -> str | None:
    # When the value must be one of a few exact strings, each of them is a candidate among the
    # first ones (those of the patterns it must match): the first that works is found there, and
    # if none does there is none (what the automaton search below would prove, building automata).
    finite = any(inside and _finite(pred) for pred, inside, _ in items)
    candidates = (
        _pattern_candidates([item for item in items if item[1]]) if finite else _string_candidates(items)
    )
    for candidate in candidates:
        if candidate and all(pred.contains(candidate) == inside for pred, inside, _ in items):
            return candidate
    if finite:
        return None
    languages = [
        Language(pred.globs, inside) for pred, inside, _ in items if isinstance(pred, StringPredicate)
    ]
    languages.append(_NON_EMPTY)
    prefer = "".join(g.text for lang in languages if lang.positive for g in lang.globs)
    try:
        return find_string(languages, prefer=prefer, automata_of=patterns.automaton)
    except Undecided as exc:
        raise Undecidable(str(exc)) from None


def _find_number_value(items: Sequence[Item]) -> str | None:
    first = items[0][0]
    assert isinstance(first, NumberPredicate)
    family = first.family
    space = Intervals((Interval(None, None),))
    any_inside = False
    for pred, inside, _ in items:
        assert isinstance(pred, NumberPredicate)
        space = space.intersect(pred.intervals if inside else pred.intervals.complement())
        any_inside = any_inside or inside
    sample = space.sample()
    if sample is not None:
        return _number_text(sample) if family is Family.NUMERIC else format_date(sample)
    if not any_inside:
        return "not-a-number" if family is Family.NUMERIC else "not-a-date"
    return None


def _find_address_value(items: Sequence[Item]) -> str | None:
    space = Ranges(((0, 2**32 + 2**128 - 1),))
    any_inside = False
    for pred, inside, _ in items:
        assert isinstance(pred, AddressPredicate)
        space = space.intersect(pred.ranges if inside else pred.ranges.complement())
        any_inside = any_inside or inside
    sample = space.sample()
    if sample is not None:
        return format_address(sample)
    return None if any_inside else "not-an-address"


def solve_key(lits: Sequence[Lit], multivalued: bool, patterns: Patterns) -> Value | _Unsat:
    """A value of one key making every literal come out as wanted, or UNSAT.

    Prefers a present value (a clearer witness) and falls back to the key being absent.
    """
    if any(lit.clause.opaque for lit in lits):
        raise Undecidable("a condition uses policy variables")
    undecided: Undecidable | None = None
    try:
        present = _solve_present(lits, multivalued, patterns)
    except Undecidable as exc:
        present, undecided = UNSAT, exc
    if present is not UNSAT:
        return present
    if all(holds(lit.clause, None, None) == lit.positive for lit in lits):
        return ABSENT
    if undecided is not None:
        raise undecided
    return UNSAT


def _solve_present(lits: Sequence[Lit], multivalued: bool, patterns: Patterns) -> Value | _Unsat:
    forall: list[Item] = []
    exists: list[Item] = []
    for lit in lits:
        clause = lit.clause
        if clause.family is Family.NULL:
            if null_holds(clause, True) != lit.positive:
                return UNSAT
            continue
        quant, inside = _constraint(lit)
        item = (patterns.clause_predicate(clause), inside, clause)
        (forall if quant == _FORALL else exists).append(item)
    if not multivalued:
        value = find_value(forall + exists, patterns)
        return UNSAT if value is None else value
    if not exists:
        value = find_value(forall, patterns)
        return UNSAT if value is None else (value,)
    values: list[str] = []
    for item in exists:
        value = find_value([*forall, item], patterns)
        if value is None:
            return UNSAT
        if value not in values:
            values.append(value)
    return tuple(values)


Context = dict[str, str | tuple[str, ...]]


def _group(lits: Iterable[Lit]) -> dict[str, list[Lit]]:
    groups: dict[str, list[Lit]] = {}
    for lit in lits:
        groups.setdefault(lit.clause.key, []).append(lit)
    return groups


def find_context(
    required: Sequence[Clause],
    extra: Sequence[Lit],
    multivalued: frozenset[str],
    *,
    patterns: Patterns | None = None,
) -> Context | None:
    """A context where all ``required`` clauses hold and every ``extra`` literal is as wanted.

    None when there is none; raises :class:`Undecidable`.
    """
    patterns = patterns or Patterns()
    groups = _group([*(Lit(c) for c in required), *extra])
    context: Context = {}
    for key, lits in groups.items():
        value = solve_key(lits, key in multivalued, patterns)
        if value is UNSAT:
            return None
        if value is not None:
            assert not isinstance(value, _Unsat)
            context[lits[0].clause.key_name] = value
    return context


def required_context(
    required: tuple[Clause, ...], multivalued: frozenset[str], *, patterns: Patterns | None = None
) -> Context | None:
    """A context satisfying ``required`` (None if there is none)."""
    return find_context(required, (), multivalued, patterns=patterns)


Relation = str  # "yes", "no", "unknown"


def implied(
    required: tuple[Clause, ...],
    clauses: tuple[Clause, ...],
    multivalued: frozenset[str],
    *,
    patterns: Patterns | None = None,
) -> Relation:
    """Whether every context satisfying ``required`` satisfies all ``clauses``."""
    patterns = patterns or Patterns()
    answer = "yes"
    for clause in clauses:
        if clause.opaque:
            answer = "unknown"
            continue
        on_key = [r for r in required if r.key == clause.key]
        holds_always = _implied_by_values(on_key, clause, multivalued, patterns)
        if holds_always is None:
            holds_always = _implied_by_solving(on_key, clause, multivalued, patterns)
        if holds_always is None:
            answer = "unknown"
        elif not holds_always:
            return "no"
    return answer


def _implied_by_solving(
    on_key: Sequence[Clause], clause: Clause, multivalued: frozenset[str], patterns: Patterns
) -> bool | None:
    """Whether the clause holds in every context the required clauses on its key allow: no value
    of the key satisfies them and fails the clause (None: undecidable)."""
    lits = [Lit(r) for r in on_key]
    lits.append(Lit(clause, False))
    try:
        return solve_key(lits, clause.key in multivalued, patterns) is UNSAT
    except Undecidable:
        return None


def _implied_by_values(
    on_key: Sequence[Clause], clause: Clause, multivalued: frozenset[str], patterns: Patterns
) -> bool | None:
    """:func:`_implied_by_solving` where the required clause lists the key's only values: a
    single-valued key that one positive string clause of exact strings names (``StringLike
    iam:AWSServiceName eks.amazonaws.com``, the common shape). The clause (string or Null) is then
    implied when it holds for each of them. None when the shape is another."""
    if len(on_key) != 1 or clause.key in multivalued or clause.family not in (Family.STRING, Family.NULL):
        return None
    (named,) = on_key
    if (
        named.family is not Family.STRING
        or named.negated
        or named.qualifier is not None
        or named.if_exists
        or named.opaque
    ):
        return None
    allowed = patterns.clause_predicate(named)
    if not _finite(allowed):
        return None
    assert isinstance(allowed, StringPredicate)
    predicate = None if clause.family is Family.NULL else patterns.clause_predicate(clause)
    # Present values are non-empty strings; the key absent fails the required clause.
    values = {glob.literal for glob in allowed.globs if glob.literal}
    return all(holds(clause, (value,), predicate) for value in values)


def disjoint(
    required: tuple[Clause, ...],
    clauses: tuple[Clause, ...],
    multivalued: frozenset[str],
    *,
    patterns: Patterns | None = None,
) -> Relation:
    """Whether no context satisfies both ``required`` and ``clauses``."""
    patterns = patterns or Patterns()
    answer = "no"
    groups = _group([*(Lit(c) for c in required), *(Lit(c) for c in clauses if not c.opaque)])
    if any(c.opaque for c in clauses):
        answer = "unknown"
    for key, lits in groups.items():
        try:
            if solve_key(lits, key in multivalued, patterns) is UNSAT:
                return "yes"
        except Undecidable:
            answer = "unknown"
    return answer


#: The values known to satisfy each key's literals on a branch of :func:`search_contexts`.
Known = dict[str, Value]


def _reusable(value: Value, lits: Sequence[Lit], multivalued: bool, patterns: Patterns) -> bool:
    """Whether a key's solved value is one that solving the same literals and more would also
    find, as long as it satisfies the added ones: the key absent (a present value is preferred,
    so none satisfies them), or a readable candidate of string conditions on a single-valued key
    (the search tries every candidate, and the added literals only add candidates)."""
    if value is None:
        return True
    if multivalued or not isinstance(value, str) or not _plain(lits):
        return False
    items = [
        (patterns.clause_predicate(lit.clause), _constraint(lit)[1], lit.clause)
        for lit in lits
        if lit.clause.family is not Family.NULL
    ]
    return value in set(_string_candidates(items))


def _plain(lits: Iterable[Lit]) -> bool:
    """String or Null conditions without policy variables: solved by readable candidates first."""
    return all(lit.clause.family in (Family.STRING, Family.NULL) and not lit.clause.opaque for lit in lits)


def _still_satisfied(value: Value, added: Sequence[Lit], patterns: Patterns) -> bool:
    """Whether a reusable value (:func:`_reusable`) satisfies the added literals, and stays
    reusable with them (a present value: only string or Null conditions)."""
    if any(lit.clause.opaque for lit in added):
        return False  # solving raises Undecidable: let it
    if value is not None and not _plain(added):
        return False
    values = None if value is None else (value,) if isinstance(value, str) else value
    for lit in added:
        clause = lit.clause
        predicate = (
            None if clause.family is Family.NULL or values is None else patterns.clause_predicate(clause)
        )
        if holds(clause, values, predicate) != lit.positive:
            return False
    return True


def search_contexts(
    required: Sequence[Clause],
    choices: Sequence[Sequence[Sequence[Lit]]],
    multivalued: frozenset[str],
    *,
    budget: int = 512,
    patterns: Patterns | None = None,
) -> Iterable[tuple[Context, tuple[int, ...]]]:
    """Contexts satisfying ``required`` and, for each entry of ``choices``, one of its options.

    Yields (context, chosen option per entry), depth first, at most ``budget`` partial choices.
    Raises :class:`Undecidable` if the search was cut short or a branch could not be decided.
    """
    patterns = patterns or Patterns()
    base = [Lit(c) for c in required]
    expanded = 0
    undecided = False

    def consistent(lits: list[Lit], added: Sequence[Lit], known: Known) -> Known | None:
        """Whether the keys the ``added`` literals touch still have a value; the values known
        then (None: inconsistent).

        A key's known value satisfies its literals so far and is one that solving them again
        would find too (the key absent, or a readable candidate, which stays one as literals are
        added): when it satisfies the added literals as well, the key is consistent without
        solving its growing list again at every depth. Otherwise it is solved.
        """
        nonlocal undecided
        groups = _group(lits)
        found = dict(known)
        for key in dict.fromkeys(lit.clause.key for lit in added):
            if key in found and _still_satisfied(
                found[key], [lit for lit in added if lit.clause.key == key], patterns
            ):
                continue
            group = groups[key]
            try:
                solved = solve_key(group, key in multivalued, patterns)
            except Undecidable:
                undecided = True
                return None
            if isinstance(solved, _Unsat):
                return None
            if _reusable(solved, group, key in multivalued, patterns):
                found[key] = solved
            else:
                found.pop(key, None)
        return found

    def walk(
        depth: int, lits: list[Lit], chosen: tuple[int, ...], known: Known
    ) -> Iterable[tuple[Context, tuple[int, ...]]]:
        nonlocal expanded
        if depth == len(choices):
            try:
                context = find_context((), lits, multivalued, patterns=patterns)
            except Undecidable:
                return
            if context is not None:
                yield context, chosen
            return
        for index, option in enumerate(choices[depth]):
            checkpoint()
            expanded += 1
            if expanded > budget:
                raise Undecidable("too many combinations of conditions to try")
            extended = lits + list(option)
            values = consistent(extended, option, known)
            if values is not None:
                yield from walk(depth + 1, extended, (*chosen, index), values)

    start = consistent(base, base, {})
    if start is None:
        return
    yield from walk(0, base, (), start)
    if undecided:
        raise Undecidable("some combination of conditions could not be decided")


class Solver:
    """The solver as an engine uses it: its pattern caches, and its answers remembered.

    ``answers`` bounds each remembered question (implied, disjoint, a context of the required
    clauses). A context from :meth:`required_context` is shared: do not modify it.
    """

    def __init__(self, patterns: Patterns, answers: int) -> None:
        self.patterns = patterns
        self.implied = lru_cache(maxsize=answers)(partial(implied, patterns=patterns))
        self.disjoint = lru_cache(maxsize=answers)(partial(disjoint, patterns=patterns))
        self._required_context = lru_cache(maxsize=answers)(partial(required_context, patterns=patterns))
        #: Contexts of prepared required statements (PolicyEngine.prepare), kept by clear().
        self._prepared: dict[tuple[tuple[Clause, ...], frozenset[str]], Context | None] = {}

    def required_context(self, required: tuple[Clause, ...], multivalued: frozenset[str]) -> Context | None:
        """:func:`required_context`, remembered. Its answer depends on which keys of ``required``
        are multivalued, not on the others: it is remembered by those (the attached policies
        add keys to ``multivalued`` that the required clauses seldom use)."""
        narrowed = multivalued.intersection([clause.key for clause in required])
        key = (required, narrowed)
        prepared = self._prepared
        if prepared and key in prepared:
            return prepared[key]
        return self._required_context(required, narrowed)

    def prepare_required_context(self, required: tuple[Clause, ...], multivalued: frozenset[str]) -> None:
        """Work out the context of a required statement ahead (kept until ``clear(prepared=True)``);
        one that cannot be decided is left to the check, which says so."""
        narrowed = multivalued.intersection([clause.key for clause in required])
        with contextlib.suppress(Undecidable):
            self._prepared[(required, narrowed)] = required_context(
                required, narrowed, patterns=self.patterns
            )

    def find_context(
        self, required: Sequence[Clause], extra: Sequence[Lit], multivalued: frozenset[str]
    ) -> Context | None:
        return find_context(required, extra, multivalued, patterns=self.patterns)

    def search_contexts(
        self,
        required: Sequence[Clause],
        choices: Sequence[Sequence[Sequence[Lit]]],
        multivalued: frozenset[str],
    ) -> Iterable[tuple[Context, tuple[int, ...]]]:
        return search_contexts(required, choices, multivalued, patterns=self.patterns)

    def clear(self, prepared: bool = False) -> None:
        self.implied.cache_clear()
        self.disjoint.cache_clear()
        self._required_context.cache_clear()
        if prepared:
            self._prepared.clear()

    def usage(self) -> dict[str, int]:
        return {
            "implied": self.implied.cache_info().currsize,
            "disjoint": self.disjoint.cache_info().currsize,
            "required_context": self._required_context.cache_info().currsize,
        }
