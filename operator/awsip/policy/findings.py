"""Findings about the policies themselves, measured against the authorization catalog.

A policy can be valid IAM and still not do what its author meant. These findings say where, per
statement, without changing any coverage verdict (the verdict already accounts for what a statement
really grants); all are info-level:

- ``UnknownAction``: an action (or action pattern) that no service defines, e.g. the typo
  ``ec2:RunInstancez``, with the closest known action suggested. Such an entry grants nothing.
- ``ResourceTypeMismatch``: an action listed with resources that none of its resource types can
  name, e.g. ``eks:ListClusters`` (authorized against ``*``) with cluster ARNs: the statement grants
  (or denies) nothing for that action.
- ``UnsupportedConditionKey``: a condition key that is neither global nor listed for the
  statement's actions: requests for them never carry it, so the condition sees it absent.

A *malformed* action (``ec2:``, ``:RunInstances``, spaces) is not a finding but an input error:
:func:`check_action_syntax` raises :class:`PolicyParseError`.

Pure functions of a parsed :class:`PolicyDocument` and a :class:`~awsip.catalog.Catalog`; where
the catalog has no data (an unknown service's condition keys, a ``formal`` action) nothing is
claimed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from typing import Literal

from awsip.catalog import Action, Catalog
from awsip.policy import wildcard
from awsip.policy.model import Pattern, PolicyDocument, PolicyParseError, Statement
from awsip.policy.resource_types import action_resources, pattern_glob
from awsip.policy.samples import resource_samples

FindingCode = Literal["UnknownAction", "ResourceTypeMismatch", "UnsupportedConditionKey"]
FINDING_CODES: tuple[FindingCode, ...] = ("UnknownAction", "ResourceTypeMismatch", "UnsupportedConditionKey")

_SEARCH_BUDGET = 2_000  # product states of one search
_SEARCHES = 16  # automaton searches per statement
_LISTED = 3  # actions named in one message
_MALFORMED_SPACE = re.compile(r"\s")
_WILD = re.compile(r"[*?]")


@dataclass(frozen=True)
class PolicyFinding:
    """One finding about one statement of one policy."""

    code: FindingCode
    action: str  # the action(s) or pattern concerned
    resource: str  # the statement's resource patterns
    policy: str
    statement: str  # 'statement "Sid"' or 'statement #index'
    message: str
    suggestion: str | None = None  # UnknownAction: the closest known action
    severity: str = "Info"

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "action": self.action,
            "resource": self.resource,
            "policy": self.policy,
            "statement": self.statement,
            "message": self.message,
            "suggestion": self.suggestion,
        }

    def __str__(self) -> str:
        return f"{self.code}: {self.policy}, {self.statement}: {self.message}"


def malformed_action(text: str) -> str | None:
    """Why an Action/NotAction entry is not an action (``*`` or ``service:name``), or None."""
    if text == "*":
        return None
    if _MALFORMED_SPACE.search(text):
        return "an action contains no spaces"
    service, sep, name = text.partition(":")
    if not sep:
        return "an action is service:Action"
    if not service:
        return "the service prefix before ':' is empty"
    if not name:
        return "the action name after ':' is empty"
    if ":" in name:
        return "an action has exactly one ':'"
    return None


def check_action_syntax(document: PolicyDocument) -> None:
    """Raise :class:`PolicyParseError` (an input error) for the first malformed action."""
    for statement in document.statements:
        field = "NotAction" if statement.actions.negated else "Action"
        for pattern in statement.actions.patterns:
            problem = malformed_action(pattern.text)
            if problem is not None:
                raise PolicyParseError(
                    f"{pattern.text!r} is not an action: {problem}",
                    policy=document.name,
                    statement=_where(statement),
                    field=field,
                )


def _where(statement: Statement) -> str:
    if statement.sid:
        return f'Statement[{statement.index}] (Sid "{statement.sid}")'
    return f"Statement[{statement.index}]"


def policy_findings(document: PolicyDocument, catalog: Catalog) -> list[PolicyFinding]:
    """The findings of one policy, statement by statement (memoized per document and catalog)."""
    return list(_findings(document, catalog))


def findings_for(documents: Sequence[PolicyDocument], catalog: Catalog) -> list[PolicyFinding]:
    """The findings of several policies, in order."""
    return [finding for document in documents for finding in _findings(document, catalog)]


@lru_cache(maxsize=512)
def _findings(document: PolicyDocument, catalog: Catalog) -> tuple[PolicyFinding, ...]:
    out: list[PolicyFinding] = []
    for statement in document.statements:
        keyed = _KeyedStatement((statement.fingerprint, statement.label, document.version), statement)
        out.extend(replace(finding, policy=document.name) for finding in _statement_findings(keyed, catalog))
    return tuple(out)


@dataclass(frozen=True)
class _KeyedStatement:
    """A statement that hashes and compares by ``key`` alone: (its fingerprint, its label, the
    document's language version), not by the whole parsed statement."""

    key: tuple[str, str, str]
    statement: Statement = field(compare=False, hash=False)


@lru_cache(maxsize=4096)
def _statement_findings(keyed: _KeyedStatement, catalog: Catalog) -> tuple[PolicyFinding, ...]:
    """One statement's findings, without the policy's name (filled in by the caller).

    Memoized by the statement's content (its fingerprint), its label and the document's language
    version (which decides how policy variables read), not by the policy: an organisation's
    accounts each hold a copy of the same policy under a name of their own, and each new copy
    would otherwise cost a whole catalog search again (about 4 ms for capa-minimal).
    """
    return tuple(_StatementCheck("", keyed.statement, catalog).run())


def _resource_text(statement: Statement) -> str:
    texts = ", ".join(p.text for p in statement.resources.patterns)
    return f"NotResource: {texts}" if statement.resources.negated else texts


def _names(actions: Sequence[str]) -> str:
    shown = ", ".join(actions[:_LISTED])
    return shown + (f" and {len(actions) - _LISTED} more" if len(actions) > _LISTED else "")


class _StatementCheck:
    def __init__(self, policy: str, statement: Statement, catalog: Catalog) -> None:
        self.policy = policy
        self.statement = statement
        self.catalog = catalog
        self.resource = _resource_text(statement)
        # The patterns that name known actions; filled by the UnknownAction pass.
        self.known_patterns: list[Pattern] = []
        self.searches = 0  # automaton searches spent on this statement

    @cached_property
    def known(self) -> list[tuple[Pattern, list[Action]]]:
        """Each pattern naming known actions, with those actions (built only when needed)."""
        return [(p, self.catalog.matching(p.text)) for p in self.known_patterns]

    def finding(
        self, code: FindingCode, action: str, message: str, suggestion: str | None = None
    ) -> PolicyFinding:
        return PolicyFinding(
            code=code,
            action=action,
            resource=self.resource,
            policy=self.policy,
            statement=self.statement.label,
            message=message,
            suggestion=suggestion,
        )

    def run(self) -> list[PolicyFinding]:
        out = self._unknown_actions()
        if not self.statement.actions.negated:
            if not self.statement.resources.negated:
                out.extend(self._mismatches())
            out.extend(self._condition_keys())
        return out

    # -- UnknownAction ---------------------------------------------------------------------------

    def _unknown_actions(self) -> list[PolicyFinding]:
        out = []
        # Entries whose service prefix no service has, by prefix: a retired service (AWS-managed
        # policies keep them for a while) or a typo in the prefix. One finding per prefix.
        unknown_services: dict[str, list[str]] = {}
        for pattern in self.statement.actions.patterns:
            text = pattern.text
            if text == "*" or malformed_action(text) is not None:
                continue
            prefix = text.partition(":")[0]
            if not _WILD.search(prefix) and self.catalog.service(prefix) is None:
                unknown_services.setdefault(prefix.lower(), []).append(text)
            elif pattern.has_wildcards:
                if self.catalog.matches_any(text):
                    self.known_patterns.append(pattern)
                else:
                    out.append(
                        self.finding("UnknownAction", text, f"the pattern {text!r} matches no known action")
                    )
            elif self.catalog.knows(text):
                self.known_patterns.append(pattern)
            else:
                suggestion = self.catalog.suggest(text)
                message = f"no action {text!r}: service {prefix} defines no such action"
                if suggestion:
                    message += f" (did you mean {suggestion}?)"
                out.append(self.finding("UnknownAction", text, message + "; it grants nothing", suggestion))
        for prefix, entries in unknown_services.items():
            suggestion = self.catalog.suggest(entries[0]) if len(entries) == 1 else None
            if suggestion is not None:
                message = (
                    f"no service has the prefix {prefix!r} (did you mean {suggestion}?); it grants nothing"
                )
            else:
                verb = "grants" if len(entries) == 1 else "grant"
                message = (
                    f"no service has the prefix {prefix!r} (a retired service, or a typo): "
                    f"{_names(entries)} {verb} nothing"
                )
            out.append(self.finding("UnknownAction", ", ".join(entries), message, suggestion))
        return out

    # -- ResourceTypeMismatch --------------------------------------------------------------------

    def _mismatches(self) -> list[PolicyFinding]:
        patterns = self.statement.resources.patterns
        if any(p.text == "*" for p in patterns):
            return []  # '*' names every resource of every action
        globs = wildcard.Language(tuple(pattern_glob(p) for p in patterns), True)
        verb = "grants" if self.statement.effect == "Allow" else "denies"
        out = []
        for pattern, actions in self.known:
            modelled = [a for a in actions if not a.formal]
            if not modelled or any(self._reaches(globs, a) for a in modelled):
                continue
            if pattern.has_wildcards:
                message = (
                    f"none of the {len(modelled)} actions of {pattern.text} can be requested on "
                    f"{self.resource}: the statement {verb} nothing for them"
                )
            else:
                message = f"{_what(modelled[0])}: the statement {verb} nothing for it with {self.resource}"
            out.append(self.finding("ResourceTypeMismatch", pattern.text, message))
        return out

    def _reaches(self, globs: wildcard.Language, action: Action) -> bool:
        """Whether some resource a request for ``action`` can name matches one of the patterns.

        Readable samples first (they decide most cases at once), then literal prefixes (an S3
        pattern never reaches an EC2 format), then one small automaton search per resource type
        and partition, at most :data:`_SEARCHES` per statement: the documents come from accounts we
        do not control, and a pattern of hundreds of wildcards must not stall a verification.
        Whatever is not decided within those bounds claims nothing."""
        if action.star and globs.contains("*"):
            return True
        for fmt in action.formats:
            if globs.contains(fmt.sample()):
                return True
        for pattern in self.statement.resources.patterns:
            for candidate in resource_samples(pattern.text, action.service):
                if action.matches_resource(candidate) and globs.contains(candidate):
                    return True
        for glob in action_resources(action).globs:
            if all(_prefixes_differ(pattern, glob) for pattern in globs.globs):
                continue
            self.searches += 1
            if self.searches > _SEARCHES:
                return True
            try:
                found = wildcard.find_string([globs, wildcard.Language((glob,), True)], budget=_SEARCH_BUDGET)
            except wildcard.Undecided:
                return True
            if found is not None:
                return True
        return False

    # -- UnsupportedConditionKey -----------------------------------------------------------------

    def _condition_keys(self) -> list[PolicyFinding]:
        out = []
        seen: set[str] = set()
        for clause in self.statement.conditions:
            if clause.key in seen:
                continue
            seen.add(clause.key)
            if self.catalog.global_key(clause.key, include_per_service=False) is not None:
                continue
            unsupported = [
                pattern.text
                for pattern, actions in self.known
                if actions and all(self.catalog.supported_key(a, clause.key_name) is None for a in actions)
            ]
            if not unsupported:
                continue
            documented = self.catalog.condition_key(clause.key_name)
            which = "" if documented is not None else " (no service documents this key)"
            message = (
                f"{clause.key_name} is neither a global key nor listed for {_names(unsupported)}{which}: "
                "their requests never carry it, so the condition sees it absent"
            )
            out.append(self.finding("UnsupportedConditionKey", ", ".join(unsupported), message))
        return out


def _literal_prefix(glob: wildcard.Glob) -> str:
    out = []
    for kind, char in glob.atoms:
        if kind != wildcard.LIT:
            break
        out.append(char)
    return "".join(out)


def _prefixes_differ(first: wildcard.Glob, second: wildcard.Glob) -> bool:
    """Whether two globs share no string because their literal beginnings already differ."""
    if first.ignore_case or second.ignore_case:
        return False
    a, b = _literal_prefix(first), _literal_prefix(second)
    return not (a.startswith(b) or b.startswith(a))


def _what(action: Action) -> str:
    if not action.resource_types:
        return f"{action.full_name} is authorized against * only (it has no resource type)"
    kinds = ", ".join(r.resource_type.name for r in action.resource_types[:_LISTED])
    more = f" and {len(action.resource_types) - _LISTED} more" if len(action.resource_types) > _LISTED else ""
    return f"{action.full_name} acts on {kinds}{more}, and none of the statement's resources is one"
