"""Decoding a trust policy and normalising its statements.

IAM stores a role's trust policy as JSON; the raw GetRole API returns it URL-encoded, boto3
decodes it to a dict. This module accepts all three and turns every statement into a
:class:`Statement` -- or into a readable problem when a statement cannot be understood. It never
raises on bad input: problems are data, reported as ``MalformedTrustPolicy`` findings.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from awsip.textcap import cap
from awsip.trust.conditions import Clause, parse_operator
from awsip.trust.principals import Principal, PrincipalKind
from awsip.trust.text import quote

Effect = Literal["Allow", "Deny"]

#: TrustFinding.statement is at most 256 characters.
_MAX_STATEMENT_LABEL = 256
_KNOWN_TOP_LEVEL = frozenset({"Version", "Id", "Statement"})
_KNOWN_ELEMENTS = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)
_PRINCIPAL_KINDS: tuple[PrincipalKind, ...] = ("AWS", "Service", "Federated", "CanonicalUser")
_NOT_ANALYSED = "The statement was not analysed."
_VERSIONS = frozenset({"2012-10-17", "2008-10-17"})


class MalformedDocumentError(ValueError):
    """The document as a whole is not a policy (bad JSON, not an object, no statements)."""


@dataclass(frozen=True)
class Statement:
    """One statement of a trust policy, normalised. Exactly one of each pair is set."""

    index: int
    label: str
    effect: Effect
    principals: tuple[Principal, ...] | None
    not_principals: tuple[Principal, ...] | None
    actions: tuple[str, ...] | None
    not_actions: tuple[str, ...] | None
    clauses: tuple[Clause, ...] = ()


@dataclass(frozen=True)
class Problem:
    """Something that makes a statement (or the document) malformed."""

    label: str | None
    index: int
    message: str


@dataclass
class ParsedDocument:
    statements: list[Statement] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def decode(document: Mapping[str, Any] | str | bytes) -> Mapping[Any, Any]:
    """The policy as a mapping: ``document`` itself, its JSON, or its URL-decoded JSON."""
    if isinstance(document, Mapping):
        return document
    if isinstance(document, bytes | bytearray):
        try:
            document = bytes(document).decode("utf-8")
        except UnicodeDecodeError as error:
            raise MalformedDocumentError(f"it is not UTF-8 text ({error.reason})") from None
    if not isinstance(document, str):
        raise MalformedDocumentError(f"it is a {type(document).__name__}, not a JSON object or JSON text")
    text = document.strip()
    if not text:
        raise MalformedDocumentError("it is empty")
    if not text.startswith("{") and "%" in text:
        text = urllib.parse.unquote(text).strip()
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError) as error:
        detail = str(error) if isinstance(error, json.JSONDecodeError) else "nested too deeply"
        raise MalformedDocumentError(f"it is not valid JSON ({cap(detail, 200)})") from None
    if not isinstance(parsed, Mapping):
        raise MalformedDocumentError(f"it is a JSON {_json_type(parsed)}, not an object")
    return parsed


def parse_document(document: Mapping[Any, Any]) -> ParsedDocument:
    """Normalise every statement of ``document``; collect problems instead of raising."""
    result = ParsedDocument()
    unknown = [key for key in document if key not in _KNOWN_TOP_LEVEL]
    if unknown:
        result.problems.append(
            Problem(
                None,
                -1,
                f"the policy has unknown top-level elements {_names(unknown)} (IAM accepts "
                "Version, Id and Statement).",
            )
        )
    version = document.get("Version")
    if version is not None and not (isinstance(version, str) and version in _VERSIONS):
        shown = quote(version) if isinstance(version, str) else _json_type(version)
        result.problems.append(
            Problem(None, -1, f"Version {shown} is not a policy language version (use 2012-10-17).")
        )
    if "Statement" not in document:
        raise MalformedDocumentError("it has no Statement element")
    raw = document["Statement"]
    statements: Sequence[Any]
    if isinstance(raw, Mapping):
        statements = [raw]
    elif isinstance(raw, list | tuple):
        statements = raw
    else:
        raise MalformedDocumentError(
            f"its Statement is a {_json_type(raw)}, not an object or a list of objects"
        )
    for index, item in enumerate(statements):
        _parse_statement(index, item, result)
    return result


def _parse_statement(index: int, item: Any, result: ParsedDocument) -> None:
    fallback = f"#{index}"
    if not isinstance(item, Mapping):
        result.problems.append(
            Problem(fallback, index, f"the statement is a {_json_type(item)}, not an object. {_NOT_ANALYSED}")
        )
        return
    sid = item.get("Sid")
    label = cap(sid, _MAX_STATEMENT_LABEL) if isinstance(sid, str) and sid else fallback
    problems: list[str] = []
    unknown = [key for key in item if key not in _KNOWN_ELEMENTS]
    if unknown:
        problems.append(f"unknown elements {_names(unknown)}")
    if sid is not None and not isinstance(sid, str):
        problems.append(f"Sid must be a string, not a {_json_type(sid)}")

    fatal: list[str] = []
    effect = item.get("Effect")
    if effect not in ("Allow", "Deny"):
        shown = (
            quote(effect)
            if isinstance(effect, str)
            else ("missing" if effect is None else _json_type(effect))
        )
        fatal.append(f"Effect must be Allow or Deny (it is {shown})")

    principals = not_principals = None
    if ("Principal" in item) == ("NotPrincipal" in item):
        fatal.append("a trust-policy statement needs exactly one of Principal or NotPrincipal")
    elif "Principal" in item:
        principals = _principals("Principal", item["Principal"], fatal)
    else:
        not_principals = _principals("NotPrincipal", item["NotPrincipal"], fatal)

    actions = not_actions = None
    if ("Action" in item) == ("NotAction" in item):
        fatal.append("a statement needs exactly one of Action or NotAction")
    elif "Action" in item:
        actions = _strings("Action", item["Action"], fatal)
    else:
        not_actions = _strings("NotAction", item["NotAction"], fatal)

    clauses = _clauses(item.get("Condition"), fatal) if "Condition" in item else ()

    if problems or fatal:
        consequence = f" {_NOT_ANALYSED}" if fatal else ""
        result.problems.append(Problem(label, index, f"{'; '.join([*fatal, *problems])}.{consequence}"))
    if fatal:
        return
    result.statements.append(
        Statement(
            index=index,
            label=label,
            effect="Allow" if effect == "Allow" else "Deny",
            principals=principals,
            not_principals=not_principals,
            actions=actions,
            not_actions=not_actions,
            clauses=clauses,
        )
    )


def _principals(element: str, raw: Any, fatal: list[str]) -> tuple[Principal, ...] | None:
    if raw == "*":
        return (Principal("AWS", "*"),)
    if not isinstance(raw, Mapping):
        shown = quote(raw) if isinstance(raw, str) else _json_type(raw)
        fatal.append(
            f'{element} must be "*" or an object with AWS, Service, Federated or CanonicalUser keys '
            f"(it is {shown})"
        )
        return None
    found: list[Principal] = []
    for key, value in raw.items():
        if key not in _PRINCIPAL_KINDS:
            shown = quote(key) if isinstance(key, str) else _json_type(key)
            fatal.append(f"{element} has an unknown principal type {shown}")
            continue
        values = _strings(f"{element}.{key}", value, fatal)
        if values is not None:
            found.extend(Principal(key, item) for item in values)
    if not found and not fatal:
        fatal.append(f"{element} names no principal")
    return tuple(found)


def _strings(element: str, raw: Any, fatal: list[str]) -> tuple[str, ...] | None:
    if isinstance(raw, str):
        return (raw,)
    if isinstance(raw, list | tuple):
        odd = next((item for item in raw if not isinstance(item, str)), None)
        if odd is None:
            return tuple(raw)
        fatal.append(f"{element} must list only strings (it lists a {_json_type(odd)})")
        return None
    fatal.append(f"{element} must be a string or a list of strings (it is a {_json_type(raw)})")
    return None


def _clauses(raw: Any, fatal: list[str]) -> tuple[Clause, ...]:
    if not isinstance(raw, Mapping):
        fatal.append(f"Condition must be an object (it is a {_json_type(raw)})")
        return ()
    clauses: list[Clause] = []
    for operator, block in raw.items():
        if not isinstance(operator, str) or not operator:
            fatal.append("Condition has an operator that is not a name")
            continue
        if not isinstance(block, Mapping):
            fatal.append(f"Condition operator {quote(operator)} must map keys to values")
            continue
        qualifier, base, if_exists = parse_operator(operator)
        for key, value in block.items():
            if not isinstance(key, str):
                fatal.append(f"Condition operator {quote(operator)} has a key that is not a string")
                continue
            values = _condition_values(value)
            if values is None:
                fatal.append(
                    f"the values of {quote(key)} under {quote(operator)} must be strings, numbers or "
                    "booleans, or a list of them"
                )
                continue
            clauses.append(Clause(operator, qualifier, base, if_exists, key, values))
    return tuple(clauses)


def _condition_values(raw: Any) -> tuple[str, ...] | None:
    items = raw if isinstance(raw, list | tuple) else [raw]
    values: list[str] = []
    for item in items:
        if isinstance(item, bool):
            values.append("true" if item else "false")
        elif isinstance(item, str):
            values.append(item)
        elif isinstance(item, int | float):
            try:
                values.append(str(item))
            except ValueError:  # an integer longer than Python converts to text
                return None
        else:
            return None
    return tuple(values)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list | tuple):
        return "list"
    return type(value).__name__


def _names(keys: Sequence[Any]) -> str:
    shown = [quote(key) if isinstance(key, str) else _json_type(key) for key in keys[:5]]
    more = f" and {len(keys) - 5} more" if len(keys) > 5 else ""
    return ", ".join(shown) + more
