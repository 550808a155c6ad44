"""The policy engine: simulate requests and check coverage, owning everything it remembers.

A :class:`PolicyEngine` compiles documents into matchers, answers :meth:`~PolicyEngine.simulate`
and :meth:`~PolicyEngine.check_coverage`, and keeps every cache of the engine -- compiled policies,
compiled patterns and automata, condition-solver answers, coverage outcomes and reports -- within
the bounds of its :class:`~awsip.policy.caches.EngineLimits`. Documents stay immutable and hold no
derived state; the functions :func:`simulate` and :func:`check_coverage` use one default engine
(the operator needs no other), which :func:`default_engine` returns.

Thread-safe: the operator checks roles from a pool of threads. Two threads may compile the same
document at once; both results are correct, one is kept.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Sequence

from awsip.catalog import Catalog, optional_catalog
from awsip.policy.caches import EngineLimits, Lru, PatternCaches
from awsip.policy.coverage import Outcomes, PreparedScopes, Scopes, analyze, multivalued_keys, prepare_scopes
from awsip.policy.match import CompiledPolicy, compile_policy
from awsip.policy.model import Decision, PolicyDocument, Request
from awsip.policy.report import CoverageReport
from awsip.policy.simulate import decide
from awsip.policy.solver import Solver


class CompiledPolicies:
    """Compiled policies by document object, as identity policy or as permissions boundary.

    Weighed as :attr:`CompiledPolicy.weight` says; beyond ``limits.compiled_patterns`` the least
    recently used are dropped (recency counted in compilations). Looked up by the document's
    identity, ``id``, which is safe because an entry holds its document (no other object can have
    that id meanwhile) and cheap: :meth:`PolicyEngine.simulate` looks up every attached document
    on every call. Equal documents parsed twice are compiled twice (their coverage results are
    still shared: those are keyed by name and content).
    """

    def __init__(self, patterns: PatternCaches, limits: EngineLimits) -> None:
        self._patterns = patterns
        self._capacity = limits.compiled_patterns
        self._actions = limits.actions_per_policy
        self.identity: dict[int, CompiledPolicy] = {}
        self.boundary: dict[int, CompiledPolicy] = {}
        #: Identity policies compiled ahead (PolicyEngine.prepare), by name and content: outside
        #: the bound and kept by clear(); a document parsed again finds its entry here.
        self.prepared: dict[tuple[str, str], CompiledPolicy] = {}
        self.tick = 0  # advanced on every compilation; a hit stamps the entry with it
        self._weight = 0
        self._lock = threading.Lock()

    def get(self, document: PolicyDocument, boundary: bool = False) -> CompiledPolicy:
        found = (self.boundary if boundary else self.identity).get(id(document))
        if found is None:
            return self.compile(document, boundary)
        found.last_used = self.tick
        return found

    def all(self, documents: Sequence[PolicyDocument]) -> list[CompiledPolicy]:
        """:meth:`get` for identity policies, inlined: simulate calls it for every request."""
        table = self.identity
        tick = self.tick
        out = []
        for document in documents:
            found = table.get(id(document))
            if found is None:
                found = self.compile(document, False)
            found.last_used = tick
            out.append(found)
        return out

    def compile(self, document: PolicyDocument, boundary: bool) -> CompiledPolicy:
        if not boundary and self.prepared:
            prepared = self.prepared.get(document.key)
            if prepared is not None:
                return prepared
        compiled = compile_policy(document, boundary=boundary, patterns=self._patterns, actions=self._actions)
        table = self.boundary if boundary else self.identity
        with self._lock:
            self.tick += 1
            compiled.last_used = self.tick
            previous = table.get(id(document))
            if previous is not None:
                self._weight -= previous.weight
            table[id(document)] = compiled
            self._weight += compiled.weight
            if self._weight > self._capacity:
                self._evict()
        return compiled

    def _evict(self) -> None:
        entries = [
            (c.last_used, flag, key, c)
            for flag, t in ((False, self.identity), (True, self.boundary))
            for key, c in t.items()
        ]
        entries.sort(key=lambda entry: entry[0])
        for _, flag, key, compiled in entries:
            if self._weight <= self._capacity:
                break
            del (self.boundary if flag else self.identity)[key]
            self._weight -= compiled.weight

    def clear(self, prepared: bool = False) -> None:
        with self._lock:
            self.identity.clear()
            self.boundary.clear()
            self._weight = 0
            if prepared:
                self.prepared.clear()

    @property
    def weight(self) -> int:
        return self._weight

    def __len__(self) -> int:
        return len(self.identity) + len(self.boundary)


class PolicyEngine:
    """Simulate requests and check coverage, remembering what it derives within ``limits``."""

    def __init__(
        self, limits: EngineLimits | None = None, *, catalog: Catalog | str | None = "default"
    ) -> None:
        """``catalog``: the authorization catalog that shapes coverage's requests; "default" opens
        the installed one on first use (None where it cannot be read: the formal check)."""
        self._catalog = catalog
        self.limits = limits or EngineLimits()
        self.patterns = PatternCaches(self.limits)
        self.solver = Solver(self.patterns, self.limits.solver_answers)
        self.compiled = CompiledPolicies(self.patterns, self.limits)
        self._outcomes: Outcomes = Lru(self.limits.outcomes)
        self._scopes: Scopes = Lru(self.limits.outcomes)
        self._prepared_scopes: PreparedScopes = {}
        self._prepare_lock = threading.Lock()
        self._reports: Lru[Hashable, CoverageReport] = Lru(self.limits.reports)

    def simulate(
        self, policies: Sequence[PolicyDocument], request: Request, *, boundary: PolicyDocument | None = None
    ) -> Decision:
        """The decision for one request, with the statements that decided it."""
        compiled = self.compiled
        return decide(
            compiled.all(policies),
            request,
            boundary=None if boundary is None else compiled.get(boundary, True),
        )

    def check_coverage(
        self,
        required: PolicyDocument,
        policies: Sequence[PolicyDocument],
        *,
        boundary: PolicyDocument | None = None,
    ) -> CoverageReport:
        """Coverage of every required (statement, action) by the identity policies and boundary.

        Reports are remembered by the documents' names and contents, so a document parsed again
        still finds them.
        """
        key = (required.key, tuple(p.key for p in policies), None if boundary is None else boundary.key)
        cached = self._reports.get(key)
        if cached is not None:
            return cached.copy()
        compiled = self.compiled
        report = analyze(
            compiled.get(required),
            compiled.all(policies),
            None if boundary is None else compiled.get(boundary, True),
            solver=self.solver,
            outcomes=self._outcomes,
            catalog=self.catalog,
            scopes=self._scopes,
            prepared=self._prepared_scopes,
        )
        self._reports.put(key, report)
        return report.copy()

    def prepare(self, required: PolicyDocument) -> None:
        """Compile a required policy ahead of its checks, with the requests each of its actions
        stands for (opening the catalog if need be) and the contexts its conditions allow: what
        depends on that policy and the catalog alone, so that a check spends its time on the
        role's policies.

        For a policy known before any role is checked: ``awsip run`` prepares the built-in
        profiles at startup. Found by the document's name and content (a document parsed again
        finds it); kept outside the caches' bounds and by :meth:`clear`, until
        ``clear(prepared=True)``. Verdicts are the same as without (tests compare them).
        """
        compiled = compile_policy(
            required, boundary=False, patterns=self.patterns, actions=self.limits.actions_per_policy
        )
        scopes = prepare_scopes(compiled, solver=self.solver, catalog=self.catalog)
        multivalued = multivalued_keys([required])  # those of the required policy alone
        for statement in compiled.statements:
            if not statement.deny:
                self.solver.prepare_required_context(statement.conditions, multivalued)
        self.patterns.pin(clause for statement in compiled.statements for clause in statement.conditions)
        with self._prepare_lock:
            self._prepared_scopes.update(scopes)
            self.compiled.prepared[required.key] = compiled

    @property
    def catalog(self) -> Catalog | None:
        """The authorization catalog (opened on first use), or None: the formal check only."""
        if isinstance(self._catalog, str):
            self._catalog = optional_catalog()
        return self._catalog

    def clear(self, *, results_only: bool = False, prepared: bool = False) -> None:
        """Forget what the engine remembers (the benchmark measures cold checks this way).

        ``results_only``: forget coverage reports and outcomes, keep compiled policies, patterns,
        automata, solver answers and the requests each required action stands for (its scope).
        What :meth:`prepare` made is kept unless ``prepared`` (the operator makes it once, at
        startup).
        """
        self._reports.clear()
        self._outcomes.clear()
        if results_only:
            return
        self.compiled.clear(prepared)
        self.patterns.clear(prepared)
        self.solver.clear(prepared)
        self._scopes.clear()
        if prepared:
            with self._prepare_lock:
                self._prepared_scopes.clear()

    def usage(self) -> dict[str, int]:
        """How full each cache is: entries, or weight for the weighed ones (see EngineLimits)."""
        return {
            "compiled_policies": len(self.compiled),
            "compiled_patterns": self.compiled.weight,
            **self.patterns.usage(),
            **self.solver.usage(),
            "outcomes": len(self._outcomes),
            "scopes": len(self._scopes),
            "prepared_policies": len(self.compiled.prepared),
            "prepared_scopes": len(self._prepared_scopes),
            "reports": len(self._reports),
        }


_DEFAULT = PolicyEngine()


def default_engine() -> PolicyEngine:
    """The engine behind :func:`simulate` and :func:`check_coverage`: its ``usage()`` says what it
    holds, its ``clear()`` empties it (the benchmark measures cold checks that way)."""
    return _DEFAULT


def simulate(
    policies: Sequence[PolicyDocument], request: Request, *, boundary: PolicyDocument | None = None
) -> Decision:
    """:meth:`PolicyEngine.simulate` of the default engine."""
    return _DEFAULT.simulate(policies, request, boundary=boundary)


def check_coverage(
    required: PolicyDocument, policies: Sequence[PolicyDocument], *, boundary: PolicyDocument | None = None
) -> CoverageReport:
    """:meth:`PolicyEngine.check_coverage` of the default engine."""
    return _DEFAULT.check_coverage(required, policies, boundary=boundary)
