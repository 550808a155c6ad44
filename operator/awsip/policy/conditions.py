"""Condition operators: when one clause holds for a request context.

The semantics, shared by :func:`simulate` and the coverage solver (which must agree exactly):

- Each clause has a *base predicate*: the set of single values that match one of the policy values
  under the base operator (``StringLike`` for ``StringNotLike`` ...). A value that does not parse as
  a number / date / IP address is in no numeric / date / address predicate.
- Key absent (or an empty value): ``...IfExists`` holds; ``ForAllValues:`` holds; ``ForAnyValue:``
  does not; otherwise a negated operator holds and a positive one does not. ``Null`` holds when its
  value is ``true`` and the key is absent, or ``false`` and the key is present.
- Key present with values V (one value for a single-valued key):
  positive operator: some v in V is in the predicate; negated: no v in V is.
  ``ForAnyValue:`` positive: some v is in it; negated: some v is not.
  ``ForAllValues:`` positive: every v is in it; negated: no v is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from awsip.policy.model import Clause, Family, Qualifier
from awsip.policy.operators import spec_for
from awsip.policy.values import Intervals, Ranges, parse_address, parse_date, parse_network, parse_number
from awsip.policy.wildcard import Glob, Resolved, compile_glob


class Predicate(Protocol):
    def contains(self, value: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class StringPredicate:
    globs: tuple[Glob, ...]
    #: The strings of the globs without wildcards (lower case for those ignoring case) and the
    #: other globs: a set lookup for the values most conditions list (service names, tags).
    _exact: frozenset[str] = field(init=False, repr=False, compare=False)
    _folded: frozenset[str] = field(init=False, repr=False, compare=False)
    _others: tuple[Glob, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        exact: list[str] = []
        folded: list[str] = []
        others: list[Glob] = []
        for glob in self.globs:
            if glob.literal is None:
                others.append(glob)
            else:
                (folded if glob.ignore_case else exact).append(glob.literal)
        object.__setattr__(self, "_exact", frozenset(exact))
        object.__setattr__(self, "_folded", frozenset(folded))
        object.__setattr__(self, "_others", tuple(others))

    def contains(self, value: str) -> bool:
        """Whether some glob matches ``value`` (a literal glob ignoring case matches its lower case)."""
        if value in self._exact or (self._folded and value.lower() in self._folded):
            return True
        for glob in self._others:  # noqa: SIM110 - a loop: the solver asks this thousands of times
            if glob.matches(value):
                return True
        return False


@dataclass(frozen=True, slots=True)
class NumberPredicate:
    family: Family  # NUMERIC or DATE
    intervals: Intervals

    def contains(self, value: str) -> bool:
        number = parse_number(value) if self.family is Family.NUMERIC else parse_date(value)
        return number is not None and self.intervals.contains(number)


@dataclass(frozen=True, slots=True)
class AddressPredicate:
    ranges: Ranges

    def contains(self, value: str) -> bool:
        address = parse_address(value)
        return address is not None and self.ranges.contains(address)


AnyPredicate = StringPredicate | NumberPredicate | AddressPredicate


#: Compiles resolved tokens into a glob (``compile_glob``, or an engine's cache of it).
GlobCompiler = Callable[[Resolved, bool, bool], Glob]


def predicate(base: str, values: tuple[Resolved, ...], glob: GlobCompiler = compile_glob) -> AnyPredicate:
    """The base predicate of an operator over resolved policy values."""
    spec = spec_for(base)
    if spec.family is Family.STRING:
        return StringPredicate(tuple(glob(v, spec.ignore_case, spec.arn) for v in values))
    texts = ["".join(t for t in v if isinstance(t, str)) for v in values]
    if spec.family is Family.IP:
        ranges = [parse_network(t) for t in texts]
        return AddressPredicate(Ranges(tuple(r for r in ranges if r is not None)))
    if spec.family in (Family.NUMERIC, Family.DATE):
        parse = parse_number if spec.family is Family.NUMERIC else parse_date
        comparison = base[len("Numeric") :] if spec.family is Family.NUMERIC else base[len("Date") :]
        intervals = Intervals(())
        for text in texts:
            number = parse(text)
            if number is not None:
                intervals = intervals.union(Intervals.compare(comparison, number))
        return NumberPredicate(spec.family, intervals)
    raise ValueError(f"{base} has no value predicate")  # pragma: no cover - Null is handled apart


def null_holds(clause: Clause, present: bool) -> bool:
    wanted = {p.text.lower() for p in clause.values}
    return ("false" if present else "true") in wanted


def holds(clause: Clause, values: tuple[str, ...] | None, pred: Predicate | None) -> bool:
    """Whether the clause holds for the context values of its key (None: the key is absent)."""
    if clause.family is Family.NULL:
        return null_holds(clause, values is not None)
    if values is None:
        if clause.if_exists or clause.qualifier is Qualifier.FOR_ALL_VALUES:
            return True
        if clause.qualifier is Qualifier.FOR_ANY_VALUE:
            return False
        return clause.negated
    assert pred is not None
    if clause.qualifier is Qualifier.FOR_ANY_VALUE:
        if clause.negated:
            return any(not pred.contains(v) for v in values)
        return any(pred.contains(v) for v in values)
    if clause.qualifier is Qualifier.FOR_ALL_VALUES:
        if clause.negated:
            return not any(pred.contains(v) for v in values)
        return all(pred.contains(v) for v in values)
    matched = any(pred.contains(v) for v in values)
    return not matched if clause.negated else matched
