"""Parse IAM policy documents: the one reader of the policy language in awsip.

One grammar, two modes:

- strict (:func:`parse_policy`): the first problem raises :class:`PolicyParseError` naming the
  policy, the statement and the field. Nothing is guessed: an unknown element, operator or effect
  is an error, never silently ignored (an ignored condition could turn a narrow Allow into a broad
  one). The policy engine only sees documents read this way.
- tolerant (:func:`parse_policy_tolerant`): every problem is collected and what can be read is
  returned, as Cedar's error-recovering parser does. A statement with a *fatal* problem (its
  effect, principals, actions, resources or conditions cannot be read) is left out; one with only
  minor problems (an unknown element, a Sid that is not a string) is kept. Trust analysis reads
  roles' trust policies this way: it reports every problem and still analyses the rest.

and two kinds of document: an ``identity`` policy (or permissions boundary) has Resource and no
Principal; a ``trust`` policy (a role's AssumeRolePolicyDocument) has Principal or NotPrincipal and
no resource of its own (the role is the resource; a Resource element is accepted and not read).

Sources are decoded by :func:`awsip.policy.decoding.decode_document` (JSON text, bytes, URL-encoded
JSON, or a mapping).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from awsip.policy.decoding import Source, decode_document, json_type
from awsip.policy.model import (
    PRINCIPAL_KINDS,
    VERSION_2008,
    VERSION_2012,
    Clause,
    Effect,
    Family,
    Pattern,
    PolicyDocument,
    PolicyParseError,
    Principal,
    PrincipalSet,
    Qualifier,
    ResourceSet,
    Statement,
)
from awsip.policy.operators import OPERATORS, OperatorSpec
from awsip.policy.patterns import tokenize
from awsip.policy.quoting import quote
from awsip.policy.values import parse_date, parse_network, parse_number

PolicyKind = Literal["identity", "trust"]

_TOP_LEVEL = ("Version", "Id", "Statement")
_ELEMENTS: dict[PolicyKind, tuple[str, ...]] = {
    "identity": ("Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"),
    "trust": (
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    ),
}
_NO_RESOURCES = ResourceSet(patterns=(), negated=False)


@dataclass(frozen=True)
class ParseProblem:
    """Why (part of) a document cannot be read."""

    detail: str
    statement: int | None = None  # the statement's index; None: the document as a whole
    sid: str | None = None
    field: str = ""
    fatal: bool = True  # the statement is left out (without a statement: the whole document)

    @property
    def where(self) -> str:
        """``Statement[1] (Sid "Broken")``, or empty for the document."""
        if self.statement is None:
            return ""
        return (
            f'Statement[{self.statement}] (Sid "{self.sid}")'
            if self.sid is not None
            else f"Statement[{self.statement}]"
        )

    def error(self, policy: str) -> PolicyParseError:
        return PolicyParseError(self.detail, policy=policy, statement=self.where, field=self.field)


@dataclass(frozen=True)
class TolerantParse:
    """What :func:`parse_policy_tolerant` could read, and every problem it met."""

    document: PolicyDocument | None  # None: the document as a whole could not be read
    problems: tuple[ParseProblem, ...]


def parse_policy(source: Source, *, name: str = "", kind: PolicyKind = "identity") -> PolicyDocument:
    """Parse one document; the first problem raises :class:`PolicyParseError`."""
    document = _Reader(name, kind, strict=True).read(source)
    assert document is not None  # strict: a problem raised
    return document


def parse_policy_tolerant(source: Source, *, name: str = "", kind: PolicyKind = "identity") -> TolerantParse:
    """Parse one document, collecting every problem instead of raising; never raises."""
    reader = _Reader(name, kind, strict=False)
    document = reader.read(source)
    return TolerantParse(document, tuple(reader.problems))


class _Statement:
    """Problems of one statement being read: whether one was fatal."""

    def __init__(self, reader: _Reader, index: int, sid: str | None) -> None:
        self.reader = reader
        self.index = index
        self.sid = sid
        self.failed = False

    def problem(self, detail: str, field: str = "", *, fatal: bool = True) -> None:
        self.failed = self.failed or fatal
        self.reader.report(ParseProblem(detail, self.index, self.sid, field, fatal))


class _Reader:
    def __init__(self, name: str, kind: PolicyKind, *, strict: bool) -> None:
        self.name = name
        self.kind = kind
        self.strict = strict
        self.elements = _ELEMENTS[kind]
        self.problems: list[ParseProblem] = []

    def report(self, problem: ParseProblem) -> None:
        if self.strict:
            raise problem.error(self.name)
        self.problems.append(problem)

    def read(self, source: Source) -> PolicyDocument | None:
        try:
            raw = decode_document(source, name=self.name, unique_keys=self.strict)
        except PolicyParseError as error:
            if self.strict:
                raise
            self.problems.append(ParseProblem(error.detail))
            return None
        unknown = [key for key in raw if key not in _TOP_LEVEL]
        if unknown:
            self.report(
                ParseProblem(
                    f"unknown top-level element{'s' if len(unknown) > 1 else ''} {_names(unknown)}"
                    + (_hint(unknown[0], _TOP_LEVEL) or " (a policy has only Version, Id and Statement)"),
                    fatal=False,
                )
            )
        version = raw.get("Version", VERSION_2008)
        if version not in (VERSION_2012, VERSION_2008):
            shown = quote(version) if isinstance(version, str) else json_type(version)
            self.report(
                ParseProblem(
                    f'Version {shown} is not a policy language version (use "{VERSION_2012}")',
                    field="Version",
                    fatal=False,
                )
            )
            version = VERSION_2008  # read as if absent
        policy_id = raw.get("Id")
        if policy_id is not None and not isinstance(policy_id, str):
            self.report(
                ParseProblem(
                    f"Id must be a string, not {json_type(policy_id, article=True)}", field="Id", fatal=False
                )
            )
            policy_id = None
        if "Statement" not in raw:
            self.report(ParseProblem("it has no Statement element", field="Statement"))
            return None
        body = raw["Statement"]
        if isinstance(body, Mapping):
            body = [body]
        elif not isinstance(body, list | tuple):
            self.report(
                ParseProblem(
                    f"its Statement is {json_type(body, article=True)}, not an object or a list of objects",
                    field="Statement",
                )
            )
            return None
        variables = version == VERSION_2012
        statements = []
        for index, item in enumerate(body):
            statement = self.statement(index, item, variables=variables)
            if statement is not None:
                statements.append(statement)
        fingerprint = _digest(raw) or _digest([version, policy_id, [s.fingerprint for s in statements]])
        assert fingerprint is not None
        return PolicyDocument(
            name=self.name,
            version=version,
            statements=tuple(statements),
            fingerprint=fingerprint,
            id=policy_id,
        )

    # -- one statement ---------------------------------------------------------------------------

    def statement(self, index: int, item: Any, *, variables: bool) -> Statement | None:
        if not isinstance(item, Mapping):
            self.report(
                ParseProblem(
                    f"the statement is {json_type(item, article=True)}, not an object", statement=index
                )
            )
            return None
        sid = item.get("Sid")
        at = _Statement(self, index, sid if isinstance(sid, str) else None)
        if sid is not None and not isinstance(sid, str):
            at.problem(f"Sid must be a string, not {json_type(sid, article=True)}", "Sid", fatal=False)
            sid = None
        unknown = [key for key in item if key not in self.elements]
        if self.kind == "identity":
            for key in ("Principal", "NotPrincipal"):
                if key in item:
                    at.problem(
                        "a Principal belongs in resource-based or trust policies, not in an identity policy",
                        key,
                    )
            unknown = [key for key in unknown if key not in ("Principal", "NotPrincipal")]
        if unknown:
            at.problem(
                f"unknown element{'s' if len(unknown) > 1 else ''} {_names(unknown)}{_hint(unknown[0], self.elements)}",
                str(unknown[0]),
                fatal=False,
            )
        effect = item.get("Effect")
        if effect not in ("Allow", "Deny"):
            shown = (
                quote(effect)
                if isinstance(effect, str)
                else "missing"
                if effect is None
                else json_type(effect, article=True)
            )
            at.problem(f"Effect must be Allow or Deny (it is {shown})", "Effect")
        checked_effect: Effect = "Allow" if effect == "Allow" else "Deny"
        principals = self.principal_element(at, item) if self.kind == "trust" else None
        actions = self.element(at, item, "Action", "NotAction", variables=False)
        if actions is not None:
            for pattern in actions.patterns:
                if pattern.text != "*" and ":" not in pattern.text:
                    at.problem(
                        f"{quote(pattern.text)} is not an action (service:Action)",
                        "NotAction" if actions.negated else "Action",
                    )
                    break
        resources: ResourceSet | None = _NO_RESOURCES
        if self.kind == "identity":
            resources = self.element(at, item, "Resource", "NotResource", variables=variables)
        conditions = (
            self.conditions(at, item["Condition"], variables=variables) if "Condition" in item else ()
        )
        if at.failed or actions is None or resources is None:
            return None
        return Statement(
            index=index,
            sid=sid,
            effect=checked_effect,
            actions=actions,
            resources=resources,
            conditions=conditions,
            fingerprint=_digest(item)
            or _digest(
                [sid, effect, str(actions), str(resources), [str(c) for c in conditions], repr(principals)]
            )
            or "",
            principals=principals,
        )

    def principal_element(self, at: _Statement, item: Mapping[str, Any]) -> PrincipalSet | None:
        has, has_not = "Principal" in item, "NotPrincipal" in item
        if has == has_not:
            at.problem(
                "a trust-policy statement needs exactly one of Principal or NotPrincipal",
                "NotPrincipal" if has else "Principal",
            )
            return None
        element = "Principal" if has else "NotPrincipal"
        raw = item[element]
        if raw == "*":
            return PrincipalSet((Principal("AWS", "*"),), negated=has_not)
        if not isinstance(raw, Mapping):
            shown = quote(raw) if isinstance(raw, str) else json_type(raw, article=True)
            at.problem(
                f'{element} must be "*" or an object with AWS, Service, Federated or CanonicalUser keys '
                f"(it is {shown})",
                element,
            )
            return None
        found: list[Principal] = []
        for key, value in raw.items():
            if key not in PRINCIPAL_KINDS:
                shown = quote(key) if isinstance(key, str) else json_type(key)
                at.problem(f"{element} has an unknown principal type {shown}", element)
                continue
            values = _strings(at, f"{element}.{key}", element, value, allow_empty=True)
            if values is not None:
                found.extend(Principal(key, entry) for entry in values)
        if not found and not at.failed:
            at.problem(f"{element} names no principal", element)
        return PrincipalSet(tuple(found), negated=has_not)

    def element(
        self, at: _Statement, item: Mapping[str, Any], positive: str, negative: str, *, variables: bool
    ) -> ResourceSet | None:
        """The Action/NotAction or Resource/NotResource element."""
        if (positive in item) == (negative in item):
            at.problem(
                f"a statement needs exactly one of {positive} or {negative}",
                negative if positive in item else positive,
            )
            return None
        field = positive if positive in item else negative
        values = _strings(at, field, field, item[field], allow_empty=False)
        if values is None:
            return None
        patterns = []
        for value in values:
            try:
                patterns.append(tokenize(value, wildcards=True, variables=variables))
            except ValueError as exc:
                at.problem(str(exc), field)
                return None
        return ResourceSet(patterns=tuple(patterns), negated=field == negative)

    def conditions(self, at: _Statement, block: Any, *, variables: bool) -> tuple[Clause, ...]:
        if not isinstance(block, Mapping):
            at.problem(
                f"Condition must be an object of operators (it is {json_type(block, article=True)})",
                "Condition",
            )
            return ()
        clauses: list[Clause] = []
        for operator, keys in block.items():
            field = f"Condition.{operator}"
            shown = quote(operator) if isinstance(operator, str) else json_type(operator)
            qualifier, base_name, if_exists = _split_operator(str(operator))
            spec = OPERATORS.get(base_name.lower())
            if spec is None:
                at.problem(f"unknown condition operator {shown}", field)
                continue
            if if_exists and spec.family is Family.NULL:
                at.problem("Null has no IfExists form", field)
                continue
            if not isinstance(keys, Mapping) or not keys:
                what = "an empty object" if isinstance(keys, Mapping) else json_type(keys, article=True)
                at.problem(f"Condition operator {shown} must map keys to values (it is {what})", field)
                continue
            canonical = (
                (f"{qualifier.value}:" if qualifier else "") + spec.name + ("IfExists" if if_exists else "")
            )
            for key, raw_values in keys.items():
                if not isinstance(key, str) or not key:
                    at.problem("condition keys are non-empty strings", field)
                    continue
                patterns = self.condition_values(at, spec, raw_values, key, shown, variables=variables)
                if patterns is not None:
                    clauses.append(
                        Clause(
                            operator=canonical,
                            base=spec.base,
                            family=spec.family,
                            negated=spec.negated,
                            qualifier=qualifier,
                            if_exists=if_exists,
                            key_name=key,
                            values=patterns,
                        )
                    )
        return tuple(clauses)

    def condition_values(
        self, at: _Statement, spec: OperatorSpec, raw: Any, key: str, operator: str, *, variables: bool
    ) -> tuple[Pattern, ...] | None:
        field = f"Condition.{spec.name}.{key}"
        items = list(raw) if isinstance(raw, list | tuple) else [raw]
        if not items:
            at.problem(f"the values of {quote(key)} under {operator} must not be an empty list", field)
            return None
        patterns: list[Pattern] = []
        for entry in items:
            text = _condition_text(entry)
            if text is None:
                verb = "lists" if isinstance(raw, list | tuple) else "is"
                at.problem(
                    f"the values of {quote(key)} under {operator} must be strings, numbers or booleans, or a "
                    f"list of them (it {verb} {json_type(entry, article=True)})",
                    field,
                )
                return None
            problem = _value_problem(spec, text)
            if problem is not None:
                at.problem(problem, field)
                return None
            try:
                patterns.append(
                    tokenize(text, wildcards=spec.wildcards, variables=variables and spec.variables)
                )
            except ValueError as exc:
                at.problem(str(exc), field)
                return None
        return tuple(patterns)


def _strings(at: _Statement, element: str, field: str, raw: Any, *, allow_empty: bool) -> list[str] | None:
    """A string or a list of strings (non-empty ones, in a non-empty list, unless ``allow_empty``)."""
    items: list[Any]
    if isinstance(raw, str):
        items = [raw]
    elif isinstance(raw, list | tuple):
        items = list(raw)
    else:
        at.problem(
            f"{element} must be a string or a list of strings (it is {json_type(raw, article=True)})", field
        )
        return None
    for entry in items:  # one pass: ReadOnlyAccess lists thousands of actions
        if not entry or not isinstance(entry, str):
            if isinstance(entry, str) and allow_empty:
                continue
            if isinstance(entry, str):
                at.problem(f"{element} must not be an empty string", field)
            else:
                at.problem(
                    f"{element} must list only strings (it lists {json_type(entry, article=True)})", field
                )
            return None
    if not items and not allow_empty:
        at.problem(f"{element} must not be an empty list", field)
        return None
    return items


def _condition_text(entry: Any) -> str | None:
    """A condition value as IAM compares it: booleans as "true"/"false", numbers as JSON."""
    if isinstance(entry, bool):
        return "true" if entry else "false"
    if isinstance(entry, str):
        return entry
    if isinstance(entry, int | float):
        try:
            return json.dumps(entry)
        except ValueError:  # an integer longer than Python converts to text
            return None
    return None


def _value_problem(spec: OperatorSpec, value: str) -> str | None:
    family, operator = spec.family, spec.name
    if family is Family.NUMERIC and parse_number(value) is None:
        return f"{operator} needs a number, got {quote(value)}"
    if family is Family.DATE and parse_date(value) is None:
        return f"{operator} needs a date (ISO 8601 or epoch seconds), got {quote(value)}"
    if family is Family.IP and parse_network(value) is None:
        return f"{operator} needs an IP address or CIDR block, got {quote(value)}"
    if (operator == "Bool" or family is Family.NULL) and value.lower() not in ("true", "false"):
        return f'{operator} needs "true" or "false", got {quote(value)}'
    return None


def _split_operator(operator: str) -> tuple[Qualifier | None, str, bool]:
    qualifier = None
    name = operator
    if ":" in operator:
        prefix, _, name = operator.partition(":")
        for candidate in Qualifier:
            if candidate.value.lower() == prefix.lower():
                qualifier = candidate
                break
        else:
            return None, operator, False  # reported as an unknown operator
    if_exists = name.lower().endswith("ifexists") and name.lower() != "ifexists"
    if if_exists:
        name = name[: -len("IfExists")]
    return qualifier, name, if_exists


def _digest(value: Any) -> str | None:
    """A digest of the canonical JSON of ``value``; None when it has none (a tolerant parse may
    hold keys of mixed types, or nesting too deep to encode)."""
    try:
        canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    except (TypeError, ValueError, RecursionError):
        return None
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _names(keys: list[Any]) -> str:
    shown = [quote(key) if isinstance(key, str) else json_type(key) for key in keys[:5]]
    more = f" and {len(keys) - 5} more" if len(keys) > 5 else ""
    return ", ".join(shown) + more


def _hint(key: Any, known: tuple[str, ...]) -> str:
    for candidate in known:
        if candidate.lower() == str(key).lower():
            return f" (did you mean {candidate!r}?)"
    return ""
