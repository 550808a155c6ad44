"""Does one statement apply to one request? Compiled matchers, indexed by service for speed.

Actions match case-insensitively, resources case-sensitively. Policy variables are resolved from
the request context. What an unresolved variable means depends on the effect, so that it can never
widen an Allow:

- Allow: a ``Resource`` pattern with an unresolved variable matches nothing; a ``NotResource``
  pattern or a condition with one makes the statement not apply.
- Deny: in a ``Resource`` pattern the unresolved variable matches like ``*``; a ``NotResource``
  pattern with one excludes nothing; a condition with one holds.

A condition whose own key is absent is decided by the absent-key rules first (``IfExists``, set
operators, negation): the variable only matters when there are values to compare.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from awsip.policy.caches import Patterns
from awsip.policy.conditions import AnyPredicate, holds
from awsip.policy.model import Clause, Family, Pattern, PolicyDocument, Statement, StatementRef
from awsip.policy.patterns import Lookup, resolve, static
from awsip.policy.wildcard import Glob, Language

Context = Mapping[str, str | tuple[str, ...]]


def lookup_in(context: Context) -> Lookup:
    """Variable values: single-valued keys only (a multivalued key cannot be a variable)."""

    def lookup(key: str) -> str | None:
        value = context.get(key)
        return value if isinstance(value, str) else None

    return lookup


@dataclass(frozen=True, slots=True)
class CompiledClause:
    clause: Clause
    key: str
    predicate: AnyPredicate | None  # None for Null and for clauses with variables
    patterns: Patterns  # compiles the predicate of a clause with variables, once resolved

    def holds(self, context: Context, deny: bool) -> bool:
        clause = self.clause
        raw = context.get(self.key)
        values = None if raw is None else ((raw,) if isinstance(raw, str) else raw)
        if values is None or clause.family is Family.NULL or self.predicate is not None:
            return holds(clause, values, self.predicate)
        resolved = []
        lookup = lookup_in(context)
        for pattern in clause.values:
            tokens = resolve(pattern, lookup)
            if tokens is None:
                return deny  # an unresolved variable: an Allow does not apply, a Deny does
            resolved.append(tokens)
        return holds(clause, values, self.patterns.predicate(clause.base, tuple(resolved)))


def compile_clause(clause: Clause, patterns: Patterns) -> CompiledClause:
    pred = None
    if clause.family is not Family.NULL and not clause.opaque:
        pred = patterns.clause_predicate(clause)
    return CompiledClause(clause, clause.key, pred, patterns)


def _split_action(pattern: str) -> tuple[str | None, str]:
    """(service, name) of an action pattern; service None when it has wildcards or no ':'."""
    service, colon, name = pattern.lower().partition(":")
    if not colon or "*" in service or "?" in service:
        return None, pattern.lower()
    return service, name


def action_glob(pattern: Pattern, patterns: Patterns) -> Glob:
    return patterns.glob(static(pattern) or (), True)


@dataclass(eq=False, slots=True)
class CompiledStatement:
    """One statement's matchers; ``patterns`` compiles what only a request's context completes."""

    ref: StatementRef
    statement: Statement
    deny: bool
    actions_negated: bool
    #: The action patterns whose service part is literal, as written and sorted: the names of one
    #: service are a range of it (one per spelling of the service), lower-cased and indexed the
    #: first time the service is asked about (a statement such as ReadOnlyAccess's names 300
    #: services in 2,700 patterns; a check asks about a handful).
    named: tuple[str, ...]
    generic: tuple[Glob, ...]  # patterns whose service part has wildcards (e.g. "*"), or no ':'
    resources_negated: bool
    any_resource: bool  # Resource "*"
    static_globs: tuple[Glob, ...]
    variable_patterns: tuple[Pattern, ...]
    clauses: tuple[CompiledClause, ...]
    patterns: Patterns
    key: tuple[str, int, str, bool] = field(init=False)
    opaque: bool = field(init=False)  # depends on other context keys through policy variables
    conditions: tuple[Clause, ...] = field(init=False)
    #: The literal service parts of ``named``, lower case: which services a statement names,
    #: without a search.
    services: frozenset[str] = frozenset()
    #: The same as written, when some are not in lower case (else None: each is its spelling).
    spellings: frozenset[str] | None = None
    #: Per service asked about: its names without wildcards, the prefixes of those whose only
    #: wildcard is a final ``*`` (``describe*``: a plain prefix test), and one regular expression
    #: for the others (None if none).
    _services: dict[str, tuple[frozenset[str], tuple[str, ...], re.Pattern[str] | None]] = field(
        init=False, repr=False
    )

    def __post_init__(self) -> None:
        self.key = (self.ref.policy, self.ref.index, self.statement.fingerprint, self.ref.boundary)
        clauses = self.clauses
        if clauses:
            self.opaque = bool(self.variable_patterns) or any([c.clause.opaque for c in clauses])
            self.conditions = tuple([c.clause for c in clauses])
        else:  # most statements: nothing to make
            self.opaque = bool(self.variable_patterns)
            self.conditions = ()
        self._services = {}

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CompiledStatement) and self.key == other.key

    def _names_of(self, service: str) -> tuple[frozenset[str], tuple[str, ...], re.Pattern[str] | None]:
        found = self._services.get(service)
        if found is None:
            named = self.named
            exact: list[str] = []
            prefixes: list[str] = []
            wild: list[str] = []
            spellings = (
                [service]
                if self.spellings is None
                else [written for written in self.spellings if written.lower() == service]
            )
            for written in spellings:
                # "service:..." sorts between "service:" and "service;" (';' follows ':').
                start, end = bisect_left(named, written + ":"), bisect_left(named, written + ";")
                cut = len(written) + 1
                for text in named[start:end]:
                    name = text[cut:].lower()
                    if "*" not in name and "?" not in name:
                        exact.append(name)
                    elif "?" not in name and name.find("*") == len(name) - 1:
                        prefixes.append(name[:-1])
                    else:
                        wild.append(name)
            regex = _names_regex(tuple(wild)) if wild else None
            found = self._services[service] = (frozenset(exact), tuple(prefixes), regex)
        return found

    def matches_action(self, action: str) -> bool:
        lower = action.lower()
        service, colon, name = lower.partition(":")
        return self.matches_split(lower, service if colon else None, name)

    def matches_split(self, lower: str, service: str | None, name: str) -> bool:
        """matches_action for an action already lower-cased and split at its first ':'."""
        hit = False
        if service is not None and self.named:
            found = self._services.get(service)
            exact, prefixes, regex = found if found is not None else self._names_of(service)
            hit = (
                name in exact
                or (bool(prefixes) and name.startswith(prefixes))
                or (regex is not None and regex.fullmatch(name) is not None)
            )
        if not hit and self.generic:
            hit = any(g.matches(lower) for g in self.generic)
        return hit != self.actions_negated

    def names_matching(self, service: str, names: frozenset[str]) -> frozenset[str]:
        """Which ``names`` (lower case) of actions ``service:name`` the statement's Action or
        NotAction matches: :meth:`matches_split` for many names at once, with set operations."""
        hit: set[str] = set()
        if self.named:
            found = self._services.get(service)
            exact, prefixes, regex = found if found is not None else self._names_of(service)
            hit = set(names & exact)
            if prefixes:
                hit.update([name for name in names if name.startswith(prefixes)])
            if regex is not None:
                fullmatch = regex.fullmatch
                hit.update([name for name in names if fullmatch(name) is not None])
        if self.generic:
            prefix = service + ":"
            generic = self.generic
            hit.update([n for n in names if n not in hit and any(g.matches(prefix + n) for g in generic)])
        return names - hit if self.actions_negated else frozenset(hit)

    def matches_resource(self, resource: str, context: Context) -> bool:
        if self.any_resource:
            return not self.resources_negated
        hit = any(g.matches(resource) for g in self.static_globs)
        if not hit and self.variable_patterns:
            lookup = lookup_in(context)
            for pattern in self.variable_patterns:
                tokens = resolve(pattern, lookup, unresolved_as_star=self.deny and not self.resources_negated)
                if tokens is None:
                    if self.resources_negated and not self.deny:
                        return False  # Allow + NotResource with an unresolved variable: never applies
                    continue
                if self.patterns.glob(tokens).matches(resource):
                    hit = True
                    break
        return hit != self.resources_negated

    def conditions_hold(self, context: Context) -> bool:
        return all(c.holds(context, self.deny) for c in self.clauses)

    def applies(self, action: str, resource: str, context: Context) -> bool:
        return (
            self.matches_action(action)
            and self.matches_resource(resource, context)
            and self.conditions_hold(context)
        )

    def action_language(self, service: str | None = None) -> Language:
        """The statement's action language (restricted to patterns that can match ``service``)."""
        globs = []
        for pattern in self.statement.actions.patterns:
            pattern_service, _ = _split_action(pattern.text)
            if service is None or pattern_service is None or pattern_service == service:
                globs.append(action_glob(pattern, self.patterns))
        return Language(tuple(globs), not self.actions_negated)


def compile_statement(
    statement: Statement, policy: str, boundary: bool, patterns: Patterns | None = None
) -> CompiledStatement:
    """Matchers for one statement (``patterns``: an engine's caches; by default nothing is cached)."""
    patterns = patterns or Patterns()
    # As written: lower-casing ~2,700 patterns (ReadOnlyAccess) waits for the few services asked.
    texts = [pattern.text for pattern in statement.actions.patterns]
    texts.sort()
    written, others = _index_texts(texts)
    services = frozenset(map(str.lower, written))
    generic: list[Glob] = []
    if others:
        # Some pattern has a wildcard in its service part or no ':': sorted out one by one, in
        # document order.
        texts = [text for text in texts if text not in others]
        for pattern in statement.actions.patterns:
            if pattern.text in others:
                generic.append(action_glob(pattern, patterns))
    resources = statement.resources
    static_globs = []
    variable_patterns = []
    any_resource = False
    for pattern in resources.patterns:
        tokens = static(pattern)
        if tokens is None:
            variable_patterns.append(pattern)
            continue
        glob = patterns.glob(tokens)
        if glob.universal:
            any_resource = True
        static_globs.append(glob)
    deny = statement.effect == "Deny"
    return CompiledStatement(
        ref=StatementRef(policy, statement.index, statement.sid, statement.effect, boundary),
        statement=statement,
        deny=deny,
        actions_negated=statement.actions.negated,
        named=tuple(texts),
        services=services,
        spellings=None if services == written else written,
        generic=tuple(generic),
        resources_negated=resources.negated,
        any_resource=any_resource,
        static_globs=tuple(static_globs),
        variable_patterns=tuple(variable_patterns),
        clauses=tuple([compile_clause(c, patterns) for c in statement.conditions])
        if statement.conditions
        else (),
        patterns=patterns,
    )


def _index_texts(texts: list[str]) -> tuple[frozenset[str], frozenset[str]]:
    """The literal service parts of the action patterns (sorted), and the patterns whose
    service part has wildcards or that have no ':' -- found a service at a time rather than
    a pattern at a time: the patterns of a service ``s`` are those from the first one to ``s;``
    (';' follows ':'), one bisection (ReadOnlyAccess names ~300 services in ~2,700 patterns)."""
    services: list[str] = []
    others: list[str] = []
    start, end = 0, len(texts)
    while start < end:
        service, colon, _ = texts[start].partition(":")
        if not colon or "*" in service or "?" in service:
            others.append(texts[start])
            start += 1
        else:
            services.append(service)
            start = bisect_left(texts, service + ";", start + 1)
    return frozenset(services), frozenset(others)


def _names_regex(names: tuple[str, ...]) -> re.Pattern[str]:
    """One regular expression for action names with wildcards.

    Escaped a name at a time, then the wildcards put back in all at once: ``re.escape`` writes
    ``*`` and ``?`` as ``\\*`` and ``\\?`` (ending an odd run of backslashes, so never part of an
    escaped backslash) and escapes ``|`` too.
    """
    escaped = "|".join([re.escape(name) for name in names])
    return re.compile("(?:" + escaped.replace("\\*", ".*").replace("\\?", ".") + ")", re.DOTALL)


class CompiledPolicy:
    """A document's statements, indexed by the service prefix of their actions.

    Remembers, per concrete action, the statements that match it: at most ``actions`` of them,
    beyond which it answers without remembering.
    """

    def __init__(
        self, document: PolicyDocument, statements: tuple[CompiledStatement, ...], *, actions: int = 256
    ) -> None:
        self.document = document
        self.statements = statements
        self.pattern_count = sum(
            len(st.statement.actions.patterns) + len(st.statement.resources.patterns) for st in statements
        )
        self._actions = actions
        #: What it weighs in an engine's cache: patterns, plus room for the remembered actions.
        self.weight = self.pattern_count + actions
        self.last_used = 0  # set by the engine's cache of compiled policies
        self._generic = tuple(st for st in statements if st.actions_negated or st.generic)
        self._candidates: dict[str | None, tuple[CompiledStatement, ...]] = {}
        self._by_action: dict[str, tuple[CompiledStatement, ...]] = {}
        #: match_many's answers by the key it was given, and how many actions they hold.
        self._matched: dict[Hashable, Mapping[str, tuple[CompiledStatement, ...]]] = {}
        self._remembered = 0
        self._allowed: ActionGroups | None = None
        #: What an analysis derives from this policy alone (and its inputs, which it checks),
        #: kept as long as the compiled policy: a coverage check's plan of a required policy.
        self.derived: dict[str, object] = {}

    def allowed_actions(self) -> ActionGroups:
        """The concrete actions of its Allow statements (not NotAction), grouped for
        :meth:`match_many`: what a coverage check with this required policy matches the attached
        policies against, worked out once (the required policy is compiled once, checked often)."""
        found = self._allowed
        if found is None:
            found = self._allowed = group_actions(
                [
                    pattern.text
                    for st in self.statements
                    if not st.deny and not st.actions_negated
                    for pattern in st.statement.actions.patterns
                    if not pattern.has_wildcards
                ]
            )
        return found

    def candidates(self, service: str | None) -> tuple[CompiledStatement, ...]:
        """The statements that may match an action of ``service`` (in document order).

        ``service`` None stands for an action without ``:``: only generic patterns can match it.
        """
        found = self._candidates.get(service)
        if found is None:
            if service is None:
                found = self._generic
            else:  # a set lookup per statement: asked for every service a check asks about
                found = tuple(
                    [
                        st
                        for st in self.statements
                        if st.actions_negated or st.generic or service in st.services
                    ]
                )
            self._candidates[service] = found
        return found

    def statements_for(self, service: str | None) -> tuple[CompiledStatement, ...]:
        """The statements that may match some action of ``service`` (None: of any service)."""
        return self.statements if service is None else self.candidates(service)

    def match_many(
        self, groups: ActionGroups, key: Hashable = None
    ) -> Mapping[str, tuple[CompiledStatement, ...]]:
        """:meth:`matching_action` of many actions (:func:`group_actions`) worked out at once, those
        some statement matches remembered per action (within the bound): one pass per (service,
        statement) with set operations instead of one per (action, statement) -- what a cold
        coverage check spent most on for a policy such as ReadOnlyAccess.

        Returns the statements matching each action that some statement matches, by lower-case
        action (what a coverage check reads, without a lookup per action and policy). ``key``
        names the actions (the required policy): asked again with it, the answer is the one
        remembered (within the bound), and nothing is done.
        """
        if key is not None:
            remembered = self._matched.get(key)
            if remembered is not None:
                return remembered
        by_action = self._by_action
        room = self._actions - len(by_action)
        out: dict[str, tuple[CompiledStatement, ...]] = {}
        for service, group in groups.items():
            candidates = self.candidates(service)
            if not candidates:
                continue  # no statement can match: nothing to remember (matching_action sees it)
            names, actions, by_name = group
            matched: dict[str, tuple[CompiledStatement, ...]]
            if len(candidates) == 1:  # the common case: the candidates are the answer, or none
                matched = dict.fromkeys(candidates[0].names_matching(service, names), candidates)
            else:
                lists: dict[str, list[CompiledStatement]] = {}
                for st in candidates:  # in document order
                    for name in st.names_matching(service, names):
                        lists.setdefault(name, []).append(st)
                matched = {name: tuple(found) for name, found in lists.items()}
            for name, found in matched.items():
                out[actions[name]] = found
            # The matched actions (as written) remembered too, within the bound; the others are
            # answered when asked (a coverage check asks matching_action about its witnesses
            # only, and remembering every required action cost more than those few answers).
            for name, found in matched.items():
                for action in by_name[name]:
                    if room > 0 and action not in by_action:
                        by_action[action] = found
                        room -= 1
        if key is not None and len(out) <= self._actions:
            # A bound: the answers remembered weigh what the actions remembered do.
            if self._remembered + len(out) > self._actions or len(self._matched) >= 64:
                self._matched.clear()
                self._remembered = 0
            self._matched[key] = out
            self._remembered += len(out)
        return out

    def matching_action(self, action: str) -> tuple[CompiledStatement, ...]:
        """The statements whose Action/NotAction matches ``action`` (remembered per action)."""
        found = self._by_action.get(action)
        if found is None:
            lower = action.lower()
            service, colon, name = lower.partition(":")
            found = self._match(action, lower, service if colon else None, name)
        return found

    def _match(
        self, action: str, lower: str, service: str | None, name: str
    ) -> tuple[CompiledStatement, ...]:
        candidates = self._candidates.get(service)
        if candidates is None:
            candidates = self.candidates(service)
        if not candidates:
            found: tuple[CompiledStatement, ...] = ()
        elif len(candidates) == 1:  # the common case: no tuple to build
            found = candidates if candidates[0].matches_split(lower, service, name) else ()
        else:
            found = tuple([st for st in candidates if st.matches_split(lower, service, name)])
        if len(self._by_action) < self._actions:
            self._by_action[action] = found
        return found


def matching_statements(policies: Sequence[CompiledPolicy], action: str) -> list[CompiledStatement]:
    """:meth:`CompiledPolicy.matching_action` of each policy in turn, the action split once (a
    coverage check asks this of every attached policy for every required action)."""
    lower = action.lower()
    service, colon, name = lower.partition(":")
    key = service if colon else None
    out: list[CompiledStatement] = []
    for policy in policies:
        found = policy._by_action.get(action)
        if found is None:
            candidates = policy._candidates.get(key)
            if candidates is not None and not candidates:
                continue  # no statement of the policy can match an action of this service
            found = policy._match(action, lower, key, name)
        if found:
            out.extend(found)
    return out


class ServiceActions(NamedTuple):
    """The actions of one service that :meth:`CompiledPolicy.match_many` is asked about, made once
    for every policy it asks (a check asks each attached policy)."""

    names: frozenset[str]  # lower case
    actions: Mapping[str, str]  # name -> the action in lower case ("service:name")
    written: Mapping[str, Sequence[str]]  # name -> the action as written, each spelling


#: Actions by service (lower case): what match_many takes.
ActionGroups = Mapping[str, ServiceActions]


def group_actions(actions: Iterable[str]) -> ActionGroups:
    """Actions grouped for :meth:`CompiledPolicy.match_many` (those without ':' left out: they are
    answered one by one)."""
    groups: dict[str, dict[str, list[str]]] = {}
    for action in dict.fromkeys(actions):
        service, colon, name = action.lower().partition(":")
        if colon:
            groups.setdefault(service, {}).setdefault(name, []).append(action)
    return {
        service: ServiceActions(frozenset(by_name), {name: f"{service}:{name}" for name in by_name}, by_name)
        for service, by_name in groups.items()
    }


def compile_policy(
    document: PolicyDocument, *, boundary: bool, patterns: Patterns | None = None, actions: int = 256
) -> CompiledPolicy:
    """Matchers for a document as an identity policy, or as a permissions boundary."""
    patterns = patterns or Patterns()
    return CompiledPolicy(
        document,
        tuple(compile_statement(st, document.name, boundary, patterns) for st in document.statements),
        actions=actions,
    )


def service_of(action: str) -> str | None:
    service, colon, _ = action.lower().partition(":")
    return service if colon else None


def is_opaque(st: CompiledStatement) -> bool:
    return st.opaque
