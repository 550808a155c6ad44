"""Parse IAM policy documents: JSON text, URL-encoded JSON (as IAM's API returns it), or a mapping.

A document that cannot be evaluated faithfully raises :class:`PolicyParseError` naming the policy,
the statement and the field. Nothing is guessed: an unknown element, operator or effect is an error,
never silently ignored (an ignored condition could turn a narrow Allow into a broad one).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from awsip.policy.model import (
    VERSION_2008,
    VERSION_2012,
    Clause,
    Effect,
    Family,
    Pattern,
    PolicyDocument,
    PolicyParseError,
    Qualifier,
    ResourceSet,
    Statement,
)
from awsip.policy.operators import OPERATORS
from awsip.policy.patterns import tokenize
from awsip.policy.values import parse_date, parse_network, parse_number

_TOP_LEVEL = ("Version", "Id", "Statement")
_STATEMENT_FIELDS = ("Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition")


def parse_policy(source: str | bytes | Mapping[str, Any], *, name: str = "") -> PolicyDocument:
    """Parse one identity policy (or permissions boundary) document."""
    raw = _load(source, name)
    if not isinstance(raw, Mapping):
        raise PolicyParseError(f"a policy document is a JSON object, got {_kind(raw)}", policy=name)
    for key in raw:
        if key not in _TOP_LEVEL:
            raise PolicyParseError(f"unknown top-level element {key!r}{_hint(key, _TOP_LEVEL)}", policy=name)
    version = raw.get("Version", VERSION_2008)
    if version not in (VERSION_2012, VERSION_2008):
        raise PolicyParseError(
            f"must be {VERSION_2012!r} or {VERSION_2008!r}, got {version!r}", policy=name, field="Version"
        )
    policy_id = raw.get("Id")
    if policy_id is not None and not isinstance(policy_id, str):
        raise PolicyParseError(f"must be a string, got {_kind(policy_id)}", policy=name, field="Id")
    if "Statement" not in raw:
        raise PolicyParseError("the document has no Statement", policy=name, field="Statement")
    body = raw["Statement"]
    if isinstance(body, Mapping):
        body = [body]
    if isinstance(body, tuple):
        body = list(body)
    if not isinstance(body, list):
        raise PolicyParseError(
            f"must be an object or a list of objects, got {_kind(body)}", policy=name, field="Statement"
        )
    statements = tuple(
        _statement(item, index, name, variables=version == VERSION_2012) for index, item in enumerate(body)
    )
    return PolicyDocument(
        name=name,
        version=version,
        statements=statements,
        fingerprint=_digest(raw),
        id=policy_id,
    )


def _load(source: str | bytes | Mapping[str, Any], name: str) -> Any:
    if isinstance(source, Mapping):
        return source
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PolicyParseError(f"not UTF-8 text: {exc}", policy=name) from None
    if not isinstance(source, str):
        raise PolicyParseError(f"expected JSON text or a mapping, got {_kind(source)}", policy=name)
    text = source.strip()
    if text and not text.startswith("{") and "%" in text:
        text = unquote(text).strip()  # IAM's API returns documents URL-encoded (RFC 3986)
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except _DuplicateKey as exc:
        raise PolicyParseError(f"duplicate key {exc.args[0]!r} in one JSON object", policy=name) from None
    except json.JSONDecodeError as exc:
        raise PolicyParseError(
            f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", policy=name
        ) from None
    except RecursionError:
        raise PolicyParseError("not valid JSON: nested too deeply", policy=name) from None


class _DuplicateKey(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _digest(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _hint(key: str, known: tuple[str, ...]) -> str:
    for candidate in known:
        if candidate.lower() == str(key).lower():
            return f" (did you mean {candidate!r}?)"
    return ""


def _statement(item: Any, index: int, policy: str, *, variables: bool) -> Statement:
    where = f"Statement[{index}]"
    if not isinstance(item, Mapping):
        raise PolicyParseError(f"a statement is an object, got {_kind(item)}", policy=policy, statement=where)
    sid = item.get("Sid")
    if sid is not None:
        if not isinstance(sid, str):
            raise PolicyParseError(
                f"must be a string, got {_kind(sid)}", policy=policy, statement=where, field="Sid"
            )
        where = f'Statement[{index}] (Sid "{sid}")'

    def fail(message: str, field: str = "") -> PolicyParseError:
        return PolicyParseError(message, policy=policy, statement=where, field=field)

    for key in item:
        if key in ("Principal", "NotPrincipal"):
            raise fail(
                "a Principal belongs in resource-based or trust policies, not in an identity policy", key
            )
        if key not in _STATEMENT_FIELDS:
            raise fail(f"unknown statement element {key!r}{_hint(key, _STATEMENT_FIELDS)}")
    effect = item.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise fail(f'must be "Allow" or "Deny", got {json.dumps(effect)}', "Effect")
    checked_effect: Effect = "Allow" if effect == "Allow" else "Deny"

    actions = _element(item, "Action", "NotAction", fail, variables=False)
    for pattern in actions.patterns:
        if pattern.text != "*" and ":" not in pattern.text:
            raise fail(
                f"{pattern.text!r} is not an action (service:Action)",
                "NotAction" if actions.negated else "Action",
            )
    resources = _element(item, "Resource", "NotResource", fail, variables=variables)
    conditions = _conditions(item.get("Condition"), fail, variables=variables) if "Condition" in item else ()
    return Statement(
        index=index,
        sid=sid,
        effect=checked_effect,
        actions=actions,
        resources=resources,
        conditions=conditions,
        fingerprint=_digest(item),
    )


def _element(
    item: Mapping[str, Any], positive: str, negative: str, fail: Any, *, variables: bool
) -> ResourceSet:
    if positive in item and negative in item:
        raise fail(f"a statement has either {positive} or {negative}, not both", negative)
    if positive not in item and negative not in item:
        raise fail(f"a statement needs {positive} or {negative}", positive)
    field = positive if positive in item else negative
    values = _strings(item[field], fail, field)
    patterns = []
    for value in values:
        try:
            patterns.append(tokenize(value, wildcards=True, variables=variables and field != "Action"))
        except ValueError as exc:
            raise fail(str(exc), field) from None
    return ResourceSet(patterns=tuple(patterns), negated=field == negative)


def _strings(value: Any, fail: Any, field: str) -> list[str]:
    items = list(value) if isinstance(value, list | tuple) else [value]
    if not items:
        raise fail("must not be an empty list", field)
    for entry in items:
        if not isinstance(entry, str) or not entry:
            raise fail(f"must be a non-empty string or a list of them, got {_kind(entry)}", field)
    return list(items)


def _conditions(block: Any, fail: Any, *, variables: bool) -> tuple[Clause, ...]:
    if not isinstance(block, Mapping):
        raise fail(f"must be an object of operators, got {_kind(block)}", "Condition")
    clauses: list[Clause] = []
    for operator, keys in block.items():
        field = f"Condition.{operator}"
        qualifier, base_name, if_exists = _split_operator(str(operator))
        spec = OPERATORS.get(base_name.lower())
        if spec is None:
            raise fail(f"unknown condition operator {operator!r}", field)
        if if_exists and spec.family is Family.NULL:
            raise fail("Null has no IfExists form", field)
        canonical = (
            (f"{qualifier.value}:" if qualifier else "") + spec.name + ("IfExists" if if_exists else "")
        )
        if not isinstance(keys, Mapping) or not keys:
            raise fail(f"must be an object of condition keys and values, got {_kind(keys)}", field)
        for key, raw_values in keys.items():
            key_field = f"{field}.{key}"
            if not isinstance(key, str) or not key:
                raise fail("condition keys are non-empty strings", field)
            values = _condition_values(raw_values, fail, key_field)
            patterns: list[Pattern] = []
            for value in values:
                _check_value(spec.name, spec.family, value, fail, key_field)
                try:
                    patterns.append(
                        tokenize(value, wildcards=spec.wildcards, variables=variables and spec.variables)
                    )
                except ValueError as exc:
                    raise fail(str(exc), key_field) from None
            clauses.append(
                Clause(
                    operator=canonical,
                    base=spec.base,
                    family=spec.family,
                    negated=spec.negated,
                    qualifier=qualifier,
                    if_exists=if_exists,
                    key_name=key,
                    values=tuple(patterns),
                )
            )
    return tuple(clauses)


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


def _condition_values(raw: Any, fail: Any, field: str) -> list[str]:
    items = list(raw) if isinstance(raw, list | tuple) else [raw]
    if not items:
        raise fail("must not be an empty list", field)
    out = []
    for entry in items:
        if isinstance(entry, bool):
            out.append("true" if entry else "false")
        elif isinstance(entry, int | float):
            out.append(json.dumps(entry))
        elif isinstance(entry, str):
            out.append(entry)
        else:
            raise fail(f"condition values are strings, numbers or booleans, got {_kind(entry)}", field)
    return out


def _check_value(operator: str, family: Family, value: str, fail: Any, field: str) -> None:
    if family is Family.NUMERIC and parse_number(value) is None:
        raise fail(f"{operator} needs a number, got {value!r}", field)
    if family is Family.DATE and parse_date(value) is None:
        raise fail(f"{operator} needs a date (ISO 8601 or epoch seconds), got {value!r}", field)
    if family is Family.IP and parse_network(value) is None:
        raise fail(f"{operator} needs an IP address or CIDR block, got {value!r}", field)
    if (operator == "Bool" or family is Family.NULL) and value.lower() not in ("true", "false"):
        raise fail(f'{operator} needs "true" or "false", got {value!r}', field)
