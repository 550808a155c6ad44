"""The parsed form of IAM policy documents, and the requests and decisions of the engine.

Everything here is immutable. Parsing (:mod:`awsip.policy.parse`) builds these objects; matching,
simulation and coverage only read them (an engine keeps what it derives from them:
:mod:`awsip.policy.engine`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Effect = Literal["Allow", "Deny"]
DecisionName = Literal["Allowed", "ImplicitDeny", "ExplicitDeny"]

#: Policy language versions. Policy variables (``${...}``) only exist in 2012-10-17.
VERSION_2012 = "2012-10-17"
VERSION_2008 = "2008-10-17"


class PolicyParseError(ValueError):
    """A policy document that cannot be evaluated: names the policy, the statement and the field."""

    def __init__(self, message: str, *, policy: str = "", statement: str = "", field: str = "") -> None:
        where = []
        if policy:
            where.append(f"policy {policy}")
        if statement:
            where.append(statement)
        if field:
            where.append(f"field {field!r}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)
        self.policy = policy
        self.statement = statement
        self.field = field
        self.detail = message


class Wild(enum.Enum):
    """Wildcards of a pattern: ``*`` is any sequence of characters, ``?`` exactly one."""

    STAR = "*"
    QMARK = "?"

    # Each member is its only instance: hashed by identity in C (Enum's own __hash__ is Python
    # code, and compiled patterns are keyed by tuples of tokens).
    __hash__ = object.__hash__


@dataclass(frozen=True, slots=True)
class Variable:
    """A policy variable ``${key}`` or ``${key, 'default'}``."""

    name: str  # as written, e.g. "aws:username"
    default: str | None = None

    @property
    def key(self) -> str:
        return self.name.lower()

    def __str__(self) -> str:
        if self.default is None:
            return "${" + self.name + "}"
        return "${" + self.name + ", '" + self.default.replace("'", "''") + "'}"


#: One token of a pattern: a literal run of characters, a wildcard, or a policy variable.
Token = str | Wild | Variable


@dataclass(frozen=True, slots=True)
class Pattern:
    """A string of the policy language, split into literal text, wildcards and variables.

    What is derived from the tokens is worked out on first use and remembered (a coverage check
    asks it of the same patterns thousands of times; parsing, which makes thousands of patterns
    for a policy such as ReadOnlyAccess, does not pay for it).
    """

    text: str
    tokens: tuple[Token, ...]
    _variables: tuple[Variable, ...] | None = field(default=None, init=False, repr=False, compare=False)
    _wildcards: bool | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def variables(self) -> tuple[Variable, ...]:
        found = self._variables
        if found is None:
            found = tuple(t for t in self.tokens if isinstance(t, Variable))
            object.__setattr__(self, "_variables", found)
        return found

    @property
    def has_wildcards(self) -> bool:
        found = self._wildcards
        if found is None:
            found = any(isinstance(t, Wild) for t in self.tokens)
            object.__setattr__(self, "_wildcards", found)
        return found

    def __str__(self) -> str:
        return self.text


class Qualifier(enum.Enum):
    FOR_ANY_VALUE = "ForAnyValue"
    FOR_ALL_VALUES = "ForAllValues"


class Family(enum.Enum):
    """How the values of a condition operator are compared."""

    STRING = "String"  # StringEquals, StringLike, StringEqualsIgnoreCase, Bool, BinaryEquals, Arn*
    NUMERIC = "Numeric"
    DATE = "Date"
    IP = "IpAddress"
    NULL = "Null"


@dataclass(frozen=True, slots=True)
class Clause:
    """One (operator, key, values) of a Condition block; all clauses of a statement must hold.

    ``base`` is the positive operator (``StringNotLike`` has base ``StringLike`` and ``negated``);
    a negated operator holds when the context value matches *none* of the policy values.
    """

    operator: str  # canonical full operator as written, e.g. "ForAnyValue:StringLikeIfExists"
    base: str  # e.g. "StringLike"
    family: Family
    negated: bool
    qualifier: Qualifier | None
    if_exists: bool
    key_name: str  # as written
    values: tuple[Pattern, ...]
    #: Remembered on first use: the key, whether the clause is opaque, the hash (clauses are the
    #: keys of the condition solver's memoized answers, asked for thousands of times per check).
    _key: str | None = field(default=None, init=False, repr=False, compare=False)
    _opaque: bool | None = field(default=None, init=False, repr=False, compare=False)
    _hash: int | None = field(default=None, init=False, repr=False, compare=False)

    def __hash__(self) -> int:
        found = self._hash
        if found is None:
            found = hash(
                (
                    self.operator,
                    self.base,
                    self.family,
                    self.negated,
                    self.qualifier,
                    self.if_exists,
                    self.key_name,
                    self.values,
                )
            )
            object.__setattr__(self, "_hash", found)
        return found

    @property
    def key(self) -> str:
        found = self._key
        if found is None:
            found = self.key_name.lower()
            object.__setattr__(self, "_key", found)
        return found

    @property
    def variables(self) -> tuple[Variable, ...]:
        return tuple(v for p in self.values for v in p.variables)

    @property
    def opaque(self) -> bool:
        """Whether the clause depends on other context keys through policy variables."""
        found = self._opaque
        if found is None:
            found = any(p.variables for p in self.values)
            object.__setattr__(self, "_opaque", found)
        return found

    def __str__(self) -> str:
        values = [p.text for p in self.values]
        shown = values[0] if len(values) == 1 else "[" + ", ".join(values) + "]"
        return f"{self.operator} {self.key_name} {shown}"


@dataclass(frozen=True, slots=True)
class ResourceSet:
    """The ``Action``/``NotAction`` or ``Resource``/``NotResource`` element of a statement."""

    patterns: tuple[Pattern, ...]
    negated: bool  # NotAction / NotResource

    def __str__(self) -> str:
        texts = ", ".join(p.text for p in self.patterns)
        return f"Not[{texts}]" if self.negated else texts


PrincipalKind = Literal["AWS", "Service", "Federated", "CanonicalUser"]
PRINCIPAL_KINDS: tuple[PrincipalKind, ...] = ("AWS", "Service", "Federated", "CanonicalUser")


@dataclass(frozen=True, slots=True)
class Principal:
    """One entry of a ``Principal`` or ``NotPrincipal`` element (``"*"`` is ``AWS`` ``"*"``)."""

    kind: PrincipalKind
    value: str


@dataclass(frozen=True, slots=True)
class PrincipalSet:
    """The ``Principal`` or ``NotPrincipal`` element of a resource-based (here: trust) policy."""

    principals: tuple[Principal, ...]
    negated: bool  # NotPrincipal


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement. A trust policy's statements have ``principals`` and no resources (the
    resource is the role); an identity policy's have resources and no principals."""

    index: int  # position in the document, from 0
    sid: str | None
    effect: Effect
    actions: ResourceSet
    resources: ResourceSet
    conditions: tuple[Clause, ...]
    fingerprint: str  # digest of the statement's canonical JSON
    principals: PrincipalSet | None = None

    @property
    def label(self) -> str:
        return f'statement "{self.sid}"' if self.sid else f"statement #{self.index}"


@dataclass(frozen=True, eq=False)
class PolicyDocument:
    """A parsed policy. ``name`` (an ARN, a file name ...) appears in reasons and errors."""

    name: str
    version: str
    statements: tuple[Statement, ...]
    fingerprint: str  # digest of the canonical JSON of the whole document
    id: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        """Identity for caches: same name and same content give the same key."""
        return (self.name, self.fingerprint)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PolicyDocument) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)


@dataclass(frozen=True, slots=True)
class StatementRef:
    """Which statement of which policy (for reasons and deciding statements)."""

    policy: str
    index: int
    sid: str | None
    effect: Effect
    boundary: bool = False

    @property
    def label(self) -> str:
        return f'statement "{self.sid}"' if self.sid else f"statement #{self.index}"

    def __str__(self) -> str:
        kind = "permissions boundary" if self.boundary else "policy"
        return f"{self.label} of {kind} {self.policy or '(unnamed)'}"

    def to_json(self) -> dict[str, object]:
        return {
            "policy": self.policy,
            "index": self.index,
            "sid": self.sid,
            "effect": self.effect,
            "boundary": self.boundary,
        }


ContextValue = str | list[str] | tuple[str, ...]


def _text(value: object) -> str:
    """A context value as IAM sees it: booleans as "true"/"false", numbers as their text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


@dataclass(frozen=True)
class Request:
    """One request: an action on a resource ARN with context keys (a list for a multivalued key).

    Context key names are case-insensitive. A key whose value is an empty string or an empty list
    counts as absent.
    """

    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash((self.action, self.resource, tuple(sorted(self.normalized_context().items()))))

    def normalized_context(self) -> dict[str, str | tuple[str, ...]]:
        """Lower-cased keys; lists as tuples; empty values dropped (an absent key)."""
        out: dict[str, str | tuple[str, ...]] = {}
        for name, value in self.context.items():
            if isinstance(value, list | tuple):
                items = tuple(_text(v) for v in value if v != "")
                if items:
                    out[name.lower()] = items
            elif value != "":
                out[name.lower()] = _text(value)
        return out

    def to_json(self) -> dict[str, object]:
        return {
            "action": self.action,
            "resource": self.resource,
            "context": {k: (v if isinstance(v, str) else list(v)) for k, v in self.context.items()},
        }

    def __str__(self) -> str:
        text = f"{self.action} on {self.resource}"
        if self.context:
            pairs = ", ".join(
                f"{k}={v if isinstance(v, str) else '[' + ', '.join(v) + ']'}"
                for k, v in self.context.items()
            )
            text += f" with {pairs}"
        return text


@dataclass(frozen=True)
class Decision:
    """The outcome of :func:`awsip.policy.simulate`.

    ``statements`` are the deciding statements: the matching Deny statements for an explicit deny,
    the matching Allow statements (identity, then boundary) when allowed, and for an implicit deny
    the Allow statements of whichever side did allow (if any).
    """

    decision: DecisionName
    request: Request
    statements: tuple[StatementRef, ...]
    identity_allowed: bool
    boundary_allowed: bool | None  # None: no permissions boundary
    reason: str

    @property
    def allowed(self) -> bool:
        return self.decision == "Allowed"

    def to_json(self) -> dict[str, object]:
        return {
            "decision": self.decision,
            "allowed": self.allowed,
            "request": self.request.to_json(),
            "reason": self.reason,
            "identity_allowed": self.identity_allowed,
            "boundary_allowed": self.boundary_allowed,
            "statements": [s.to_json() for s in self.statements],
        }
