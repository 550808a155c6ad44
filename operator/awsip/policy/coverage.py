"""Do the policies grant everything the required policy grants? Exactly, or say Unknown.

For every Allow statement R of the required policy and every action of R, the question is whether
*every* request in R is allowed: every action of the action pattern, every resource of R's
resource patterns (the whole language, not a sample), and every context that satisfies R's
conditions. The answer for one (statement, action):

1. The actions of an action pattern are split into *cells*: the actions of one cell are matched by
   the same statements, so they get the same decision for any resource and context. A concrete
   action is one cell. (:func:`awsip.policy.wildcard.cells` finds them with automata.)
2. A Deny matching the cell makes it NotCovered if its resources intersect R's and its conditions
   can hold together with R's. It is harmless if the resource languages are disjoint or the
   conditions are provably disjoint. Otherwise the result is Unknown.
3. The Allow statements (identity policies; then the boundary, if any) whose conditions are implied
   by R's apply to every required request; the resources of R must be included in the *union* of
   their resource languages (decided exactly with automata). Allow statements with other
   conditions may still close the gap in some contexts only; the engine looks for a context in
   which none of them applies.
4. Every NotCovered answer comes with a witness request inside R that :func:`simulate` denies
   (checked by running it). When neither a proof nor a witness is found: Unknown, never Covered.

With the authorization catalog (:mod:`awsip.catalog`), a required concrete action stands for the
requests AWS can make for it: R's resources intersected with the ARNs of the action's resource
types (or ``*`` when it has none). Coverage and witnesses use those requests only. Where the
catalog cannot say (no catalog, an action or service it does not know, resource types without an
ARN format, action patterns and ``NotAction``) or R's resources name none of the action's
resource types, the pair gets the *formal* check above, over every string, and the result says so
(:attr:`ActionResult.requests` and ``note``): a gap is never turned into Covered for want of data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from operator import attrgetter
from typing import NamedTuple

from awsip.catalog import Action as CatalogAction
from awsip.catalog import Catalog, CatalogUnavailable
from awsip.catalog.arn_samples import resource_sample
from awsip.policy.caches import Lru, Patterns
from awsip.policy.interrupt import checkpoint
from awsip.policy.match import (
    ActionGroups,
    CompiledPolicy,
    CompiledStatement,
    action_glob,
    lookup_in,
    matching_statements,
    service_of,
)
from awsip.policy.model import Clause, Pattern, PolicyDocument, Request
from awsip.policy.operators import MULTIVALUED_KEYS
from awsip.policy.patterns import resolve
from awsip.policy.report import ActionResult, CoverageReport, RequestScope, Status
from awsip.policy.resource_types import action_resources
from awsip.policy.samples import resource_samples
from awsip.policy.simulate import decide
from awsip.policy.solver import Lit, Solver, Undecidable, null_clause
from awsip.policy.wildcard import (
    Glob,
    Language,
    Undecided,
    action_shape,
    find_string,
    iter_cells,
)

_CELL_BUDGET = 20_000  # product states when splitting an action pattern into cells
_WELL_FORMED_ACTION = Language((action_shape(),))

#: Outcomes of one (required statement, group of matching statements), remembered by an engine.
Outcomes = Lru[Hashable, "_Outcome"]


def analyze(
    required: CompiledPolicy,
    identity: Sequence[CompiledPolicy],
    boundary: CompiledPolicy | None,
    *,
    solver: Solver,
    outcomes: Outcomes,
    catalog: Catalog | None = None,
    scopes: Scopes | None = None,
    prepared: Mapping[Hashable, _Scope] | None = None,
) -> CoverageReport:
    """Coverage of every required (statement, action) by the compiled identity policies and boundary.

    ``solver``, ``outcomes`` and ``scopes`` are the engine's
    (:meth:`awsip.policy.engine.PolicyEngine.check_coverage`); ``catalog`` shapes the requests (None:
    the formal check everywhere); ``prepared``: scopes worked out ahead (:func:`prepare_scopes`).
    """
    checker = _Checker(required, list(identity), boundary, solver, outcomes, catalog)
    if scopes is not None:
        checker.scopes = scopes
    if prepared is not None:
        checker.prepared = prepared
    return checker.run()


def prepare_scopes(required: CompiledPolicy, *, solver: Solver, catalog: Catalog | None) -> PreparedScopes:
    """The scope of every (statement, action) of a required policy, with what a check reads of it.

    A scope is a property of the required policy and the catalog alone: worked out once (the
    operator does it for the built-in profiles at startup), it answers every later check of that
    policy exactly as the one a check would work out on its way (the same function builds both).
    The readable samples of the statement's resource patterns and the resources' automata are
    made too, as the first check would make them.
    """
    checker = _Checker(required, [], None, solver, Lru(1), catalog)
    found: PreparedScopes = {}
    if catalog is None:
        return found
    for rst in required.statements:
        if rst.deny or rst.actions_negated:
            continue
        for pattern in rst.statement.actions.patterns:
            if pattern.has_wildcards:
                continue  # the formal check: nothing to work out
            key = _scope_key(rst, pattern, catalog)
            if key in found:
                continue
            scope = found[key] = checker._find_scope(rst, pattern.text)
            # What _Cell._resource reads first: samples within the required resource patterns.
            for text in [g.text for g in rst.static_globs] if not rst.resources_negated else ["*"]:
                scope.samples(text, catalog)
            _ = scope.language
    return found


class _Item(NamedTuple):
    """One row of a coverage report: a required action (or action pattern, or NotAction)."""

    label: str
    pattern: Pattern | None  # None for NotAction
    scope: _Scope
    lower: str | None  # a concrete action in lower case (None: a pattern with wildcards)
    service: str | None  # its service part (None without ':')


class _Part(NamedTuple):
    """The rows of one required Allow statement."""

    rst: CompiledStatement
    resource: str  # the statement's resource patterns, as the report shows them
    statement: str  # its label
    items: tuple[_Item, ...]


class _Plan(NamedTuple):
    """A required policy's rows for one catalog (:meth:`_Checker.plan`)."""

    catalog: Catalog | None
    parts: tuple[_Part, ...]


class _Outcome(NamedTuple):
    """What a (required statement, group of matching statements) comes to (a named tuple: a check
    makes one per cell, and a frozen dataclass cost several times more to make)."""

    status: Status
    reason: str
    witness: Request | None = None


@dataclass(frozen=True)
class _Scope:
    """Which requests a required (statement, action) stands for.

    ``language`` (the resources a request for the action can name) is None for the formal check;
    ``note`` says why the formal check applies, or how the catalog approximates.
    """

    requests: RequestScope
    note: str = ""
    known: CatalogAction | None = None
    _samples: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)

    def samples(self, pattern: str, catalog: Catalog | None) -> tuple[str, ...]:
        """Readable resources of the action within ``pattern``, every partition and sample account
        (computed once per scope and pattern: a check tries them in many cells)."""
        found = self._samples.get(pattern)
        if found is None:
            known = self.known
            partitions = catalog.partitions if catalog is not None else ()
            # The partitions and accounts often fill the pattern in alike: each candidate ARN is
            # matched against the action's formats once.
            matches = None if known is None else lru_cache(maxsize=None)(known.matches_resource)
            candidates = (
                (
                    resource_sample(known, pattern, partition=partition, account=account, matches=matches)
                    for partition in partitions
                    for account in _SAMPLE_ACCOUNTS
                )
                if known is not None
                else ()
            )
            found = tuple(dict.fromkeys(c for c in candidates if c is not None))
            self._samples[pattern] = found
        return found

    @cached_property
    def language(self) -> Language | None:
        """The resources a request for the action can name, as automata (built when a search needs
        them: most checks are decided by readable samples and the catalog's regular expressions)."""
        return None if self.known is None else action_resources(self.known)

    @cached_property
    def key(self) -> Hashable:
        if self.known is None:
            return None
        # Actions with the same resource types share outcomes (the witness's action is replaced).
        return (tuple(f.text for f in self.known.formats), self.known.star, self.known.note)


_GET_CALLER_IDENTITY = "sts:getcalleridentity"
#: A statement's key (a C-level getter: a cell's key is made of them for every required action).
_KEY_OF = attrgetter("key")


def _scope_key(rst: CompiledStatement, pattern: Pattern, catalog: Catalog) -> Hashable:
    """A scope's key: by the statement's policy name and content, so a document parsed again
    (the operator parses the required policy for every verification) finds it."""
    return ("scope", rst.key, pattern.text.lower(), id(catalog))


#: Which requests each (required statement, action) stands for: a property of the required policy
#: and the catalog alone, so an engine keeps them like compiled matchers (not with the outcomes).
Scopes = Lru[Hashable, _Scope]
#: The scopes of prepared required policies (:func:`prepare_scopes`), kept whole.
PreparedScopes = dict[Hashable, _Scope]


def multivalued_keys(documents: Sequence[PolicyDocument]) -> frozenset[str]:
    """The keys a check treats as multivalued: the known ones, and those the documents use with a
    set operator."""
    keys = set(MULTIVALUED_KEYS)
    for document in documents:
        for statement in document.statements:
            keys.update(c.key for c in statement.conditions if c.qualifier is not None)
    return frozenset(keys)


def _matching(
    policies: Sequence[CompiledPolicy], groups: ActionGroups, key: Hashable
) -> dict[str, list[CompiledStatement]]:
    """The statements of the policies matching each action of the groups, in policy and document
    order (what :func:`~awsip.policy.match.matching_statements` says of each), by lower-case
    action; an action no statement matches is absent. Not to be modified: lists are shared."""
    table: dict[str, list[CompiledStatement]] = {}
    for policy in policies:
        for action, found in policy.match_many(groups, key).items():
            listed = table.get(action)
            if listed is None:
                table[action] = list(found)
            else:
                listed.extend(found)
    return table


def _absent_variables(st: CompiledStatement) -> list[Lit]:
    """Literals for "the statement's variables have no value" (and the keys they compare are present).

    Then its Resource variables match nothing in an Allow and anything in a Deny, and its conditions
    with variables fail in an Allow and hold in a Deny.
    """
    lits = [Lit(null_clause(name)) for name in _variable_names(st)]
    for compiled in st.clauses:
        if compiled.clause.opaque:
            lits.append(Lit(null_clause(compiled.clause.key_name, absent=False)))
    return lits


def _variable_names(st: CompiledStatement) -> list[str]:
    names: dict[str, str] = {}
    for pattern in st.variable_patterns:
        for variable in pattern.variables:
            names.setdefault(variable.key, variable.name)
    for compiled in st.clauses:
        for variable in compiled.clause.variables:
            names.setdefault(variable.key, variable.name)
    return list(names.values())


def _clauses(st: CompiledStatement) -> tuple[Clause, ...]:
    return st.conditions


def _star(pattern: Pattern, patterns: Patterns) -> Glob:
    return patterns.glob(resolve(pattern, None, unresolved_as_star=True) or ())


class _Checker:
    def __init__(
        self,
        required: CompiledPolicy,
        identity: list[CompiledPolicy],
        bound: CompiledPolicy | None,
        solver: Solver,
        outcomes: Outcomes,
        catalog: Catalog | None = None,
    ) -> None:
        self.catalog = catalog
        self.scopes: Scopes = Lru(256)
        self.prepared: Mapping[Hashable, _Scope] = {}
        self.required = required
        self.identity = identity
        self.bound = bound
        self.solver = solver
        self.patterns = solver.patterns
        self.outcomes = outcomes
        documents = [required.document, *(p.document for p in identity)]
        if bound is not None:
            documents.append(bound.document)
        self.multivalued = multivalued_keys(documents)
        self.required_denies = [st for st in required.statements if st.deny]
        self._documented: dict[str, bool] = {}
        #: The statements matching each required concrete action, by lower-case action (run()).
        self.matched: dict[str, list[CompiledStatement]] = {}
        self.bound_matched: dict[str, list[CompiledStatement]] = {}

    def documented_multivalued(self, key: str) -> bool:
        """Whether the catalog documents the condition key as multivalued (asked once per key and
        check: every cell asks it of every clause involved)."""
        found = self._documented.get(key)
        if found is None:
            found = False
            if self.catalog is not None:
                try:
                    documented = self.catalog.condition_key(key)
                except CatalogUnavailable:
                    documented = None
                found = documented is not None and documented.multivalued
            self._documented[key] = found
        return found

    def plan(self) -> tuple[_Part, ...]:
        """What the report's rows are, with the requests each stands for: a property of the
        required policy and the catalog alone, worked out on the first check and kept with the
        compiled policy (a prepared policy's is kept across checks: it was a quarter of a
        check's time with every outcome already known)."""
        derived = self.required.derived.get("coverage")
        if isinstance(derived, _Plan) and derived.catalog is self.catalog:
            return derived.parts
        parts = []
        for rst in self.required.statements:
            if rst.deny:
                continue
            resource = str(rst.statement.resources)
            if rst.resources_negated:
                resource = "NotResource: " + ", ".join(p.text for p in rst.statement.resources.patterns)
            items = []
            if rst.actions_negated:
                label = "NotAction: " + ", ".join(p.text for p in rst.statement.actions.patterns)
                items.append(_Item(label, None, self._scope(rst, None), None, None))
            else:
                for pattern in rst.statement.actions.patterns:
                    lower = service = None
                    if not pattern.has_wildcards:
                        lower = pattern.text.lower()
                        prefix, colon, _ = lower.partition(":")
                        service = prefix if colon else None
                    items.append(_Item(pattern.text, pattern, self._scope(rst, pattern), lower, service))
            parts.append(_Part(rst, resource, rst.ref.label, tuple(items)))
        found = tuple(parts)
        self.required.derived["coverage"] = _Plan(self.catalog, found)
        return found

    def run(self) -> CoverageReport:
        # The statements matching each required action, worked out for all of them at once.
        groups = self.required.allowed_actions()
        key = self.required.document.key
        self.matched = _matching(self.identity, groups, key)
        if self.bound is not None:
            self.bound_matched = _matching([self.bound], groups, key)
        report = CoverageReport(
            required=self.required.document.name,
            policies=tuple(p.document.name for p in self.identity),
            boundary=None if self.bound is None else self.bound.document.name,
            catalog=None if self.catalog is None else self.catalog.source,
        )
        results = report.results
        for rst, resource, statement, items in self.plan():
            checkpoint()  # and before each cell analysed (_cell): a known outcome is quick
            for item in items:
                scope = item.scope
                outcome = self._action(rst, item)
                results.append(
                    ActionResult(
                        item.label,
                        resource,
                        outcome.status,
                        outcome.reason,
                        outcome.witness,
                        statement,
                        scope.requests,
                        scope.note,
                    )
                )
        return report

    # -- which requests ---------------------------------------------------------------------------

    def _scope(self, rst: CompiledStatement, pattern: Pattern | None) -> _Scope:
        """The requests a required (statement, action) stands for (remembered by the engine)."""
        if self.catalog is None:
            return _Scope("formal", "no authorization catalog: every string is a possible resource")
        if pattern is None or pattern.has_wildcards:
            return _Scope("formal", "an action pattern is checked over every action name and resource")
        key = _scope_key(rst, pattern, self.catalog)
        found = self.prepared.get(key)
        if found is None:
            found = self.scopes.get(key)
        if found is None:
            found = self._find_scope(rst, pattern.text)
            self.scopes.put(key, found)
        return found

    def _find_scope(self, rst: CompiledStatement, action: str) -> _Scope:
        assert self.catalog is not None
        try:
            known = self.catalog.action(action)
            service_known = known is not None or self.catalog.service(action.partition(":")[0]) is not None
        except CatalogUnavailable as exc:
            return _Scope("formal", f"the authorization catalog cannot be read ({exc})")
        if known is None:
            what = f"the action {action}" if service_known else f"the service of {action}"
            return _Scope("formal", f"the catalog ({self.catalog.source}) does not know {what}: formal check")
        if known.formal:
            return _Scope("formal", known.note)
        if rst.opaque:  # variables in its resources or conditions
            return _Scope("catalog", known.note, known)  # Unknown anyway
        required = Language(rst.static_globs, not rst.resources_negated)
        names = self._names_a_resource(rst, known, required)
        if names is None:
            return _Scope(
                "formal", f"cannot compare the required resources with {known.full_name}'s resource types"
            )
        if not names:
            kinds = ", ".join(r.resource_type.name for r in known.resource_types[:3]) or "* only"
            return _Scope(
                "formal",
                f"the required resources name none of {known.full_name}'s resource types ({kinds}): formal check",
            )
        return _Scope("catalog", known.note, known)

    def _names_a_resource(
        self, rst: CompiledStatement, known: CatalogAction, required: Language
    ) -> bool | None:
        if required.positive:
            for glob in required.globs:
                sample = resource_sample(known, glob.text)
                if sample is not None and required.contains(sample):
                    return True
        try:
            found = find_string(
                [required, action_resources(known)], budget=_CELL_BUDGET, automata_of=self.patterns.automaton
            )
        except Undecided:
            return None
        return found is not None

    # -- actions ---------------------------------------------------------------------------------

    def _action(self, rst: CompiledStatement, item: _Item) -> _Outcome:
        pattern, scope, lower = item.pattern, item.scope, item.lower
        if pattern is not None and lower is not None:  # a concrete action
            action = pattern.text
            if lower == _GET_CALLER_IDENTITY:
                return _Outcome("Covered", GET_CALLER_IDENTITY_REASON)
            service = item.service
            if service is not None:  # worked out with every required action (an absent one matches nothing)
                identity = self.matched.get(lower, [])
                bound = [] if self.bound is None else self.bound_matched.get(lower, [])
            else:
                identity = matching_statements(self.identity, action)
                bound = [] if self.bound is None else list(self.bound.matching_action(action))
            denies = (
                [d for d in self.required_denies if d.matches_action(action)] if self.required_denies else []
            )
            return self._cell(rst, action, identity, bound, denies, scope, service)
        service = service_of(pattern.text) if pattern is not None else None
        if service is not None and ("*" in service or "?" in service):
            service = None
        required = (
            rst.action_language()
            if pattern is None
            else Language((action_glob(pattern, self.patterns),), True)
        )
        # Each candidate with its role: "identity", "boundary" or "required" (a required Deny).
        # With a literal service only that service's statements (and generic ones) can match;
        # otherwise ("*", "*:Get*", NotAction) every statement can.
        identity = [st for policy in self.identity for st in policy.statements_for(service)]
        candidates: list[tuple[str, CompiledStatement]] = [
            ("identity", st) for st in self._relevant(rst, required, service, identity)
        ]
        if self.bound is not None:
            bound = self._relevant(rst, required, service, list(self.bound.statements_for(service)))
            candidates += [("boundary", st) for st in bound]
        candidates += [("required", st) for st in self.required_denies]
        unknown: list[str] = []
        count = 0
        try:
            # Actions are "service:name": the witness actions must look like one.
            for action, vector in iter_cells(
                [required, _WELL_FORMED_ACTION],
                [st.action_language(service) for _, st in candidates],
                budget=_CELL_BUDGET,
                prefer=(pattern.text if pattern is not None else "") + "abcdefghijklmnopqrstuvwxyz:",
                automata_of=self.patterns.automaton,
            ):
                count += 1
                matched = [pair for pair, hit in zip(candidates, vector, strict=True) if hit]
                identity = [st for role, st in matched if role == "identity"]
                bound = [st for role, st in matched if role == "boundary"]
                denies = [st for role, st in matched if role == "required"]
                outcome = self._cell(rst, action, identity, bound, denies, scope, service_of(action))
                if outcome.status == "NotCovered":
                    return outcome
                if outcome.status == "Unknown":
                    unknown.append(f"{action}: {outcome.reason}")
        except Undecided as exc:
            unknown.append(f"cannot enumerate the actions of the pattern: {exc}")
        if unknown:
            return _Outcome("Unknown", "; ".join(unknown))
        if not count:
            return _Outcome("Covered", "the action pattern matches no action")
        return _Outcome("Covered", f"allowed ({count} groups of actions checked)")

    def _relevant(
        self,
        rst: CompiledStatement,
        required: Language,
        service: str | None,
        statements: list[CompiledStatement],
    ) -> list[CompiledStatement]:
        """The statements worth tracking when splitting an action pattern into cells.

        Every Deny is. If some Allow statements that apply to all of the required statement's
        resources and contexts together match every required action, the other Allows cannot change
        the answer and are left out: splitting by thousands of patterns (ReadOnlyAccess) is costly.
        """
        denies = [st for st in statements if st.deny]
        strong = sorted(
            (st for st in statements if not st.deny and self._applies_fully(rst, st)),
            key=lambda st: len(st.statement.actions.patterns),
        )
        chosen: list[CompiledStatement] = []
        try:
            for st in strong:
                chosen.append(st)
                outside = [
                    Language(lang.globs, not lang.positive)
                    for lang in (c.action_language(service) for c in chosen)
                ]
                languages = [required, _WELL_FORMED_ACTION, *outside]
                if self._empty(languages):
                    return chosen + denies
        except Undecided:
            pass
        return statements

    def _applies_fully(self, rst: CompiledStatement, st: CompiledStatement) -> bool:
        """Whether an Allow applies to every resource and context of the required statement."""
        if st.opaque or self.solver.implied(rst.conditions, st.conditions, self.multivalued) != "yes":
            return False
        if st.any_resource and not st.resources_negated:
            return True
        required = Language(rst.static_globs, not rst.resources_negated)
        outside = Language(st.static_globs, st.resources_negated)
        try:
            return not rst.variable_patterns and self._empty([required, outside])
        except Undecided:
            return False

    def _empty(self, languages: list[Language]) -> bool:
        """Whether the languages share no string (raises Undecided beyond the cell budget)."""
        found = find_string(languages, budget=_CELL_BUDGET, automata_of=self.patterns.automaton)
        return found is None

    def _cell(
        self,
        rst: CompiledStatement,
        action: str,
        identity: list[CompiledStatement],
        bound: list[CompiledStatement],
        denies: list[CompiledStatement],
        scope: _Scope,
        service: str | None,
    ) -> _Outcome:
        """The outcome of a cell (``service``: the action's, None without one), remembered."""
        key = (
            rst.key,
            service,
            tuple(map(_KEY_OF, identity)) if identity else (),
            tuple(map(_KEY_OF, bound)) if bound else (),
            self.bound is not None,
            tuple(map(_KEY_OF, denies)) if denies else (),
            self.multivalued,
            scope.key,
        )
        outcome = self.outcomes.get(key)
        if outcome is None:
            checkpoint()
            if _allowed_outright(rst, identity, bound, denies, self.bound):
                outcome = _ALLOWED
            else:
                outcome = _Cell(self, rst, action, identity, bound, denies, scope).analyze()
            if outcome.status == "Unknown" and scope.known is not None:
                outcome = self._formal_retry(rst, action, identity, bound, denies, scope, outcome)
            self.outcomes.put(key, outcome)
        if outcome.witness is not None and outcome.witness.action != action:
            # Same statements match: the same decision holds for this action.
            outcome = outcome._replace(witness=dataclasses.replace(outcome.witness, action=action))
        return outcome

    def _formal_retry(
        self,
        rst: CompiledStatement,
        action: str,
        identity: list[CompiledStatement],
        bound: list[CompiledStatement],
        denies: list[CompiledStatement],
        scope: _Scope,
        undecided: _Outcome,
    ) -> _Outcome:
        """When the requests AWS can make are too complex to search (many resource types, names
        with ':'), the formal check over every string may still decide: its Covered holds for the
        smaller set too, and its witness counts if it is a request AWS could make."""
        formal = _Cell(self, rst, action, identity, bound, denies, _Scope("formal")).analyze()
        known = scope.known
        assert known is not None
        if formal.status == "Covered":
            return formal._replace(reason=formal.reason + " (decided over every string)")
        if formal.witness is not None and known.matches_resource(formal.witness.resource):
            return formal
        return undecided


class _Cell:
    """The analysis of one required statement for one group of equivalent actions."""

    # A check makes one per cell analysed (~80 for capa-minimal): no instance dictionaries.
    __slots__ = (
        "_lowered_context",
        "action",
        "bound",
        "checker",
        "conditions",
        "context",
        "identity",
        "mv",
        "req",
        "required_denies",
        "rst",
        "scope",
        "solver",
        "unknown",
    )
    req: list[Language]
    context: dict[str, str | tuple[str, ...]]

    def __init__(
        self,
        checker: _Checker,
        rst: CompiledStatement,
        action: str,
        identity: list[CompiledStatement],
        bound: list[CompiledStatement],
        denies: list[CompiledStatement],
        scope: _Scope,
    ) -> None:
        self.checker = checker
        self.scope = scope
        self.rst = rst
        self.action = action
        self.identity = identity
        self.bound = bound
        self.required_denies = denies
        self.mv = checker.multivalued
        self.solver = checker.solver
        self.conditions = _clauses(rst)
        self.unknown: list[str] = []
        self._lowered_context: dict[str, str | tuple[str, ...]] | None = None

    def analyze(self) -> _Outcome:
        return self._undisputed(self._analyze())

    def _undisputed(self, outcome: _Outcome) -> _Outcome:
        """Never Covered on a reading AWS does not document (docs/policy-engine.md, "Disputed
        semantics"); a witness stands only if it gives a disputed multivalued key one value."""
        if outcome.status == "Unknown":
            return outcome
        for clause in self._clauses_involved():
            multivalued = clause.qualifier is None and clause.base != "Null" and self._multivalued(clause.key)
            if outcome.status == "NotCovered":
                witness = outcome.witness
                value = None if witness is None else witness.normalized_context().get(clause.key)
                if multivalued and isinstance(value, tuple) and len(value) > 1:
                    return _Outcome("Unknown", _single_on_multivalued(clause))
                continue
            if multivalued:
                return _Outcome("Unknown", _single_on_multivalued(clause))
            if clause.base in ("ArnLike", "ArnEquals") and any(p.text.count(":") < 5 for p in clause.values):
                return _Outcome(
                    "Unknown",
                    f"AWS does not document how {clause.operator} compares a value with fewer than six "
                    f"ARN components ({clause}): not decided",
                )
        return outcome

    def _clauses_involved(self) -> list[Clause]:
        clauses = list(self.conditions)
        for statements in (self.identity, self.bound, self.required_denies):
            for st in statements:
                if st.conditions:
                    clauses.extend(st.conditions)
        return clauses

    def _multivalued(self, key: str) -> bool:
        return key in self.mv or self.checker.documented_multivalued(key)

    def _analyze(self) -> _Outcome:
        rst = self.rst
        if rst.opaque:  # variables in its resources or conditions
            return _Outcome("Unknown", "the required statement uses policy variables")
        self.req = [Language(rst.static_globs, not rst.resources_negated)]
        # Only the requests AWS can make for the action: _resource adds the scope's constraint.
        for deny in self.required_denies:
            if deny.clauses or deny.variable_patterns:
                return _Outcome("Unknown", f"the required policy's {deny.ref.label} is a conditional Deny")
            self.req.append(Language(deny.static_globs, deny.resources_negated))
        try:
            context = self.solver.required_context(self.conditions, self.mv)
        except Undecidable as exc:
            return _Outcome("Unknown", f"cannot decide the required conditions: {exc}")
        if context is None:
            return _Outcome("Covered", "the required conditions never hold")
        self.context = context
        try:
            if not self._nonempty(self.req):
                return _Outcome("Covered", "the required statement matches no resource")
            for st in self.identity + self.bound:
                if st.deny:
                    found = self._deny(st)
                    if found is not None:
                        return found
            found = self._allows([st for st in self.identity if not st.deny], "identity policies")
            if found is not None:
                return found
            if self.checker.bound is not None:
                found = self._allows([st for st in self.bound if not st.deny], "permissions boundary")
                if found is not None:
                    return found
        except Undecided as exc:
            return _Outcome("Unknown", f"resource patterns too complex to compare: {exc}")
        if self.unknown:
            return _Outcome("Unknown", "; ".join(self.unknown))
        return _Outcome("Covered", "allowed")

    # -- helpers ---------------------------------------------------------------------------------

    def _holds_in_context(self, st: CompiledStatement) -> bool:
        """Whether the conditions of an Allow without variables hold in the required context
        found first (a context the required conditions allow).

        Most often they do not, which shows at once that they are not implied by the required
        ones, without a question to the solver (which would look for such a context, one key at
        a time); and the Allow does not apply in that context.
        """
        context = self._lowered_context
        if context is None:
            context = self._lowered_context = {k.lower(): v for k, v in self.context.items()}
        return all(compiled.holds(context, False) for compiled in st.clauses)

    def _nonempty(self, languages: list[Language]) -> bool:
        if len(languages) == 1 and languages[0].positive:
            # With a catalog scope, chosen because the required resources name some of the
            # action's resources.
            return bool(languages[0].globs)

        return self._resource(languages) is not None

    def _resource(self, languages: list[Language]) -> str | None:
        """A readable resource in the intersection of the languages (None if empty).

        Readable candidates are tried first (cheap); the automaton search decides the rest.
        """
        if _plainly_disjoint(languages):
            return None
        first = languages[0]
        patterns = [g.text for g in first.globs] if first.positive else ["*"]
        known = self.scope.known
        if known is not None:
            # The samples are ARNs of the action's formats by construction: the languages decide.
            for pattern in patterns:
                for candidate in self.scope.samples(pattern, self.checker.catalog):
                    if all(lang.contains(candidate) for lang in languages):
                        return candidate
        service = service_of(self.action)
        for pattern in patterns:
            for candidate in resource_samples(pattern, service):
                if (known is None or known.matches_resource(candidate)) and all(
                    lang.contains(candidate) for lang in languages
                ):
                    return candidate
        prefer = "".join(g.text for g in first.globs)
        scoped = self.scope.language
        searched = languages if scoped is None else [*languages, scoped]
        return find_string(searched, prefer=prefer, automata_of=self.checker.patterns.automaton)

    def _verify(
        self, resource: str, context: dict[str, str | tuple[str, ...]], note: str = ""
    ) -> _Outcome | None:
        ctx = {k: (v if isinstance(v, str) else list(v)) for k, v in context.items()}
        request = Request(self.action, resource, ctx)
        checker = self.checker
        decision = decide(checker.identity, request, boundary=checker.bound)
        if decision.allowed:
            return None  # not a witness after all: keep looking, else Unknown
        return _Outcome("NotCovered", decision.reason + note, request)

    # -- denies ----------------------------------------------------------------------------------

    def _deny_language(
        self, st: CompiledStatement, context: dict[str, str | tuple[str, ...]] | None
    ) -> Language:
        """The resources a Deny may apply to (variables as '*', or resolved from ``context``)."""
        if st.resources_negated:
            return Language(st.static_globs, False)
        globs = list(st.static_globs)
        lookup = None if context is None else lookup_in({k.lower(): v for k, v in context.items()})
        for pattern in st.variable_patterns:
            tokens = resolve(pattern, lookup, unresolved_as_star=True) or ()
            globs.append(self.checker.patterns.glob(tokens))
        return Language(tuple(globs), True)

    def _deny(self, st: CompiledStatement) -> _Outcome | None:
        overlap = [*self.req, self._deny_language(st, None)]
        if self._resource(overlap) is None:
            return None  # never the same resources
        clauses = _clauses(st)
        if self.solver.disjoint(self.conditions, clauses, self.mv) == "yes":
            return None  # never in the same contexts
        plain = [Lit(c) for c in clauses if not c.opaque]
        absent = _absent_variables(st)
        attempts = [plain + absent] + ([plain] if absent else [])
        for lits in attempts:
            try:
                context = self.solver.find_context(self.conditions, lits, self.mv)
            except Undecidable:
                continue
            if context is None:
                continue
            languages = [*self.req, self._deny_language(st, context)]
            resource = self._resource(languages)
            if resource is not None:
                found = self._verify(resource, context)
                if found is not None:
                    return found
        self.unknown.append(f"cannot decide whether Deny {st.ref} applies to these requests")
        return None

    # -- allows ----------------------------------------------------------------------------------

    def _allows(self, allows: list[CompiledStatement], side: str) -> _Outcome | None:
        unconditional: list[CompiledStatement] = []
        conditional: list[CompiledStatement] = []
        #: Whether every conditional Allow fails in the required context found first.
        refuted = True
        for st in allows:
            # An Allow without conditions (nor variables) applies in every context: nothing to ask.
            if st.opaque:
                implied = refuted = False
            elif not st.clauses:
                implied = True
            elif not self._holds_in_context(st):
                implied = False  # nor does it apply in the required context found first
            else:
                implied = self.solver.implied(self.conditions, st.conditions, self.mv) == "yes"
                refuted = refuted and implied
            if implied:
                if st.any_resource and not st.resources_negated:
                    return None  # an Allow of every resource in every required context
                unconditional.append(st)
            else:
                conditional.append(st)
        outside = _outside(unconditional)
        gap = list(self.req) + outside
        if self.scope.language is not None and outside:
            # Without the catalog's scope first: it only narrows the required requests, so a gap
            # empty without it is empty with it -- the common case of an Allow that names the
            # required resources, decided on small automata instead of the product with the
            # ARN formats of every resource type of the action.
            plain = [language for language in self.req if language is not self.scope.language]
            if self._resource(plain + outside) is None:
                return None
        first_gap = self._resource(gap)
        if first_gap is None:
            return None  # the union of the unconditional Allows includes every required resource
        note = ""
        if conditional:
            names = ", ".join(str(st.ref) for st in conditional[:3])
            more = f" and {len(conditional) - 3} more" if len(conditional) > 3 else ""
            note = f" (conditions of {names}{more} do not hold in this context)"
        # a. A resource outside every Allow that matches the action, conditional or not.
        avoid_all = gap + [_outside_over(st, self.checker.patterns) for st in conditional]
        resource = self._resource(avoid_all) if conditional else first_gap
        if resource is not None:
            found = self._verify(resource, self.context)
            if found is not None:
                return found
        if conditional and refuted:
            # b. The required context found first is one in which no conditional Allow applies
            # (a clause of each fails there): a resource outside the unconditional ones is a
            # witness as it is, without a search of contexts (the service-linked-role
            # statements of AWS-managed policies, each for other services, are this case).
            found = self._verify(first_gap, self.context, note)
            if found is not None:
                return found
        # c. A context in which no conditional Allow applies, and a resource outside the rest.
        falsifiers = [_falsifiers(st) for st in conditional]
        choices = [[lits for _, lits in options] for options in falsifiers]
        try:
            for tries, (context, chosen) in enumerate(
                self.solver.search_contexts(self.conditions, choices, self.mv)
            ):
                if tries >= 16:
                    break
                languages = list(gap)
                for st, options, index in zip(conditional, falsifiers, chosen, strict=True):
                    absent_variables = options[index][0]
                    if absent_variables and not st.resources_negated and st.static_globs:
                        # Variables absent: the statement's static resource patterns still apply.
                        languages.append(Language(st.static_globs, False))
                resource = self._resource(languages)
                if resource is None:
                    continue
                found = self._verify(resource, context, note)
                if found is not None:
                    return found
        except Undecidable as exc:
            self.unknown.append(f"cannot decide whether the conditional Allows of the {side} cover: {exc}")
            return None
        if conditional:
            names = ", ".join(str(st.ref) for st in conditional[:3])
            self.unknown.append(
                f"cannot decide whether the conditional Allow statements ({names}) of the {side} together "
                "allow every required request"
            )
        else:  # pragma: no cover - a gap without conditional Allows always has a witness
            self.unknown.append(f"no witness found for a gap in the {side}")
        return None


_SAMPLE_ACCOUNTS = ("123456789012", "111122223333")
_ALLOWED = _Outcome("Covered", "allowed")


def _allowed_outright(
    rst: CompiledStatement,
    identity: Sequence[CompiledStatement],
    bound: Sequence[CompiledStatement],
    denies: Sequence[CompiledStatement],
    boundary: CompiledPolicy | None,
) -> bool:
    """Whether a cell is plainly covered: an Allow of every resource without conditions among the
    matching statements, and no Deny, condition, policy variable or permissions boundary anywhere
    in the cell (nor a required statement without resources). The analysis of such a cell ends
    "allowed" at its first Allow, and nothing can make it Unknown; most cells of a check are such
    (59 of 79 for capa-minimal against the benchmark's ten AWS-managed policies), so they are not
    built step by step."""
    if boundary is not None or bound or denies:
        return False
    if rst.clauses or rst.opaque or rst.resources_negated or not rst.static_globs:
        return False
    found = False
    for st in identity:
        if st.deny or st.clauses or st.opaque:
            return False
        found = found or (st.any_resource and not st.resources_negated)
    return found


def _plainly_disjoint(languages: Sequence[Language]) -> bool:
    """Whether the languages share no string, seen without automata: every glob of a positive one
    is also a glob of a complemented one (the same atoms) -- the common case of an Allow that
    names exactly the resources the required statement names, which the automaton search would
    take milliseconds to prove -- or a complemented language holds a glob of every string (an
    Allow on ``*``): its complement is empty."""
    excluded = {g.shape for language in languages if not language.positive for g in language.globs}
    if not excluded:
        return False
    if any(g.universal for language in languages if not language.positive for g in language.globs):
        return True
    return any(
        language.positive and language.globs and all(g.shape in excluded for g in language.globs)
        for language in languages
    )


def _single_on_multivalued(clause: Clause) -> str:
    return (
        f"AWS does not document a single-valued operator on the multivalued key {clause.key_name} "
        f"({clause}); set operators (ForAnyValue:/ForAllValues:) are required: not decided"
    )


#: Why a required sts:GetCallerIdentity is always covered.
GET_CALLER_IDENTITY_REASON = (
    "allowed whatever the policies say: sts:GetCallerIdentity needs no permission and an explicit "
    "Deny does not stop it (AWS STS API reference)"
)


def _outside(allows: list[CompiledStatement]) -> list[Language]:
    """Languages for 'not allowed by any of these (variable-free) Allow statements'."""
    positive = [g for st in allows if not st.resources_negated for g in st.static_globs]
    languages = [Language(tuple(positive), False)] if positive else []
    for st in allows:
        if st.resources_negated:
            languages.append(Language(st.static_globs, True))
    return languages


def _outside_over(st: CompiledStatement, patterns: Patterns) -> Language:
    """Resources certainly outside an Allow, whatever its variables resolve to."""
    if st.resources_negated:
        return Language(st.static_globs, True)
    globs = st.static_globs + tuple(_star(p, patterns) for p in st.variable_patterns)
    return Language(globs, False)


def _falsifiers(st: CompiledStatement) -> list[tuple[bool, list[Lit]]]:
    """Ways to make an Allow not apply: one of its clauses fails, or its variables have no value.

    Each option is (whether it is the "variables absent" option, the literals it needs).
    """
    options: list[tuple[bool, list[Lit]]] = [
        (False, [Lit(c.clause, False)]) for c in st.clauses if not c.clause.opaque
    ]
    if st.opaque:  # it has variables (in its resources or conditions)
        options.append((True, _absent_variables(st)))
    return options
