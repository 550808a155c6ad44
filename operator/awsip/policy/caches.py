"""The policy engine's memory: every cache it keeps, each with an explicit bound.

A :class:`~awsip.policy.engine.PolicyEngine` owns one :class:`PatternCaches` (compiled globs,
predicates and automata, shared by matching, the solver and coverage) besides its own caches
(compiled policies, solver answers, coverage results). No module of the engine (parsing,
matching, simulation, coverage) keeps state of its own, and :class:`EngineLimits` is the one place
that bounds them all; docs/policy-engine.md says what each bound costs in memory. (The catalog
findings beside the engine, ``findings.py`` and ``resource_types.py``, still memoize at module
level.)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Generic, TypeVar

from awsip.policy.conditions import AnyPredicate, predicate
from awsip.policy.model import Clause, Family
from awsip.policy.patterns import static
from awsip.policy.wildcard import Glob, Nfa, Resolved, StepBudget, compile_glob

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True)
class EngineLimits:
    """The bound of every cache of one engine (entries unless said otherwise).

    The defaults keep the engine's worst case well under the operator's memory request (see
    docs/policy-engine.md for the measured size of an entry); a smaller bound costs time, never
    correctness: whatever is dropped is recomputed.
    """

    #: Compiled policies (each with its parsed document), weighed in patterns: its action and
    #: resource patterns plus ``actions_per_policy``, the room it keeps for remembering, per
    #: concrete action, which of its statements match. ~400 bytes per pattern: ~32 MB at most.
    compiled_patterns: int = 80_000
    actions_per_policy: int = 256
    #: Compiled globs (resolved tokens -> matcher); ~1.7 KB each, ~2.8 KB once its regular
    #: expression is compiled (on first use): ~23 MB at most.
    globs: int = 8_192
    #: Condition predicates (operator and resolved values -> predicate; they share the globs
    #: above), and the same per parsed clause: well under 1 KB each.
    predicates: int = 4_096
    clause_predicates: int = 4_096
    #: Automata of the coverage searches, weighed by their states (~380 bytes each: ~19 MB at
    #: most) ...
    automaton_states: int = 50_000
    #: ... and the step results and acceptances they memoize, all together (~150 bytes each).
    automaton_steps: int = 100_000
    #: Condition-solver answers, per question (implied, disjoint, a context of the required
    #: clauses); a few hundred bytes each.
    solver_answers: int = 8_192
    #: Coverage: outcomes per (required statement, group of matching statements), ~500 bytes
    #: each; whole reports, ~17 KB each for the seed policy's 114 results.
    outcomes: int = 16_384
    reports: int = 1_024


class Lru(Generic[K, V]):
    """A map that drops its least recently used entries beyond ``capacity`` (thread-safe).

    Entries weigh ``weigh(value)`` (1 by default); a value heavier than the whole capacity is not
    kept. ``on_evict`` is told about every value dropped (not about :meth:`clear`).
    """

    def __init__(
        self,
        capacity: int,
        *,
        weigh: Callable[[V], int] | None = None,
        on_evict: Callable[[V], None] | None = None,
    ) -> None:
        self.capacity = capacity
        self._weigh = weigh
        self._on_evict = on_evict
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0]

    def put(self, key: K, value: V) -> None:
        weight = 1 if self._weigh is None else self._weigh(value)
        evicted: list[V] | None = None  # made only when something is dropped (a check puts ~80)
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._weight -= previous[1]
            if weight <= self.capacity:
                self._entries[key] = (value, weight)
                self._weight += weight
            while self._weight > self.capacity:
                _, (old, old_weight) = self._entries.popitem(last=False)
                self._weight -= old_weight
                if evicted is None:
                    evicted = []
                evicted.append(old)
        if evicted is not None and self._on_evict is not None:
            for old in evicted:
                self._on_evict(old)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._weight = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def weight(self) -> int:
        return self._weight


class Patterns:
    """Compiles globs, predicates and automata afresh on every call: nothing is remembered.

    What the pure functions of the engine use when nobody hands them an engine's
    :class:`PatternCaches` (tests, one-off questions).
    """

    def glob(self, tokens: Resolved, ignore_case: bool = False, arn: bool = False) -> Glob:
        return compile_glob(tokens, ignore_case, arn)

    def predicate(self, base: str, values: tuple[Resolved, ...]) -> AnyPredicate:
        return predicate(base, values, self.glob)

    def clause_predicate(self, clause: Clause) -> AnyPredicate:
        """The predicate of a clause without policy variables."""
        return self.predicate(clause.base, tuple(static(p) or () for p in clause.values))

    def automaton(self, globs: tuple[Glob, ...]) -> Nfa:
        return Nfa(globs)

    def pin(self, clauses: Iterable[Clause]) -> None:
        """Keep the predicates of these clauses until ``clear(prepared=True)`` (nothing, here)."""

    def clear(self, prepared: bool = False) -> None:
        """Forget everything remembered (nothing, here)."""

    def usage(self) -> dict[str, int]:
        """How full each cache is (entries, or weight for the weighed ones)."""
        return {}


class PatternCaches(Patterns):
    """:class:`Patterns` that remembers its answers within an engine's :class:`EngineLimits`."""

    def __init__(self, limits: EngineLimits) -> None:
        self._globs = lru_cache(maxsize=limits.globs)(compile_glob)
        self._predicates = lru_cache(maxsize=limits.predicates)(super().predicate)
        self._clause_predicates = lru_cache(maxsize=limits.clause_predicates)(super().clause_predicate)
        self._steps = StepBudget(limits.automaton_steps)
        self._automata: Lru[tuple[Glob, ...], Nfa] = Lru(
            limits.automaton_states, weigh=lambda automaton: automaton.states, on_evict=Nfa.release
        )
        #: The predicates of prepared policies' clauses (PolicyEngine.prepare), outside the bound:
        #: the condition solver asks them of every check of that policy.
        self._pinned: dict[Clause, AnyPredicate] = {}

    def glob(self, tokens: Resolved, ignore_case: bool = False, arn: bool = False) -> Glob:
        return self._globs(tokens, ignore_case, arn)

    def predicate(self, base: str, values: tuple[Resolved, ...]) -> AnyPredicate:
        return self._predicates(base, values)

    def clause_predicate(self, clause: Clause) -> AnyPredicate:
        if self._pinned:
            found = self._pinned.get(clause)
            if found is not None:
                return found
        return self._clause_predicates(clause)

    def pin(self, clauses: Iterable[Clause]) -> None:
        """Keep the predicates of these clauses (a prepared policy's, without policy variables)
        through :meth:`clear`, until ``clear(prepared=True)``."""
        pinned = dict(self._pinned)
        for clause in clauses:
            if clause.family is not Family.NULL and not clause.opaque:
                pinned[clause] = self._clause_predicates(clause)
        self._pinned = pinned  # replaced whole: other threads read it without a lock

    def automaton(self, globs: tuple[Glob, ...]) -> Nfa:
        found = self._automata.get(globs)
        if found is None:
            found = Nfa(globs, self._steps)
            self._automata.put(globs, found)
        return found

    def clear(self, prepared: bool = False) -> None:
        if prepared:
            self._pinned = {}
        self._globs.cache_clear()
        self._predicates.cache_clear()
        self._clause_predicates.cache_clear()
        self._automata.clear()
        self._steps = StepBudget(self._steps.capacity)  # automata still in use keep the old budget

    def usage(self) -> dict[str, int]:
        return {
            "globs": self._globs.cache_info().currsize,
            "predicates": self._predicates.cache_info().currsize,
            "clause_predicates": self._clause_predicates.cache_info().currsize,
            "automata": len(self._automata),
            "automaton_states": self._automata.weight,
            "automaton_steps": self._steps.capacity - self._steps.remaining,
        }
