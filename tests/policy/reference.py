"""A deliberately naive reference evaluator for IAM policies, written from AWS's documented logic.

It works on the raw JSON dictionaries (not on the engine's parsed model), matches wildcards with a
plain recursive function and evaluates conditions value by value. It supports what the property
tests generate: String*, Numeric*, Bool, IpAddress, Null operators with IfExists and the set
operators, and policy variables ``${key}`` and ``${*}`` (no defaults).
"""

from __future__ import annotations

import ipaddress
import re
from decimal import Decimal
from typing import Any

STAR, QMARK = object(), object()
Token = object  # a one-character str, STAR or QMARK


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _context(request_context: dict[str, Any]) -> dict[str, list[str]]:
    """Lower-case keys; every value a list; empty strings and lists mean the key is absent."""
    out = {}
    for key, value in request_context.items():
        values = [v for v in _as_list(value) if v != ""]
        if values:
            out[key.lower()] = values
    return out


def _single(context: dict[str, list[str]], raw: dict[str, Any], key: str) -> str | None:
    """A variable's value: only a key given as a single string can be one."""
    for name, value in raw.items():
        if name.lower() == key and isinstance(value, str) and value != "":
            return value
    return None


def tokens(text: str, raw_context: dict[str, Any], wildcards: bool, effect: str) -> list[Any] | None:
    """The pattern with variables substituted; None if a variable has no value (and not Deny)."""
    out: list[Any] = []
    i = 0
    while i < len(text):
        if text.startswith("${", i):
            end = text.index("}", i)
            inner = text[i + 2 : end]
            i = end + 1
            if inner in ("*", "?", "$"):
                out.append(inner)
                continue
            value = _single({}, raw_context, inner.strip().lower())
            if value is None:
                if effect == "Deny":
                    out.append(STAR)
                    continue
                return None
            out.extend(value)
            continue
        char = text[i]
        if wildcards and char == "*":
            out.append(STAR)
        elif wildcards and char == "?":
            out.append(QMARK)
        else:
            out.append(char)
        i += 1
    return out


def match(pattern: list[Any], value: str, ignore_case: bool = False) -> bool:
    if ignore_case:
        value = value.lower()
        pattern = [t.lower() if isinstance(t, str) else t for t in pattern]
    memo: dict[tuple[int, int], bool] = {}

    def go(p: int, v: int) -> bool:
        key = (p, v)
        if key in memo:
            return memo[key]
        if p == len(pattern):
            result = v == len(value)
        elif pattern[p] is STAR:
            result = go(p + 1, v) or (v < len(value) and go(p, v + 1))
        elif v == len(value):
            result = False
        elif pattern[p] is QMARK:
            result = go(p + 1, v + 1)
        else:
            result = pattern[p] == value[v] and go(p + 1, v + 1)
        memo[key] = result
        return result

    return go(0, 0)


def _number(text: str) -> Decimal | None:
    return Decimal(text) if re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text.strip()) else None


def _value_matches(base: str, policy_value: str, value: str, raw: dict[str, Any], effect: str) -> bool | None:
    """One context value against one policy value; None for an unresolved variable."""
    if base in ("StringEquals", "StringEqualsIgnoreCase", "StringLike"):
        pattern = tokens(policy_value, raw, base == "StringLike", "Allow")
        if pattern is None:
            return None
        return match(pattern, value, ignore_case=base == "StringEqualsIgnoreCase")
    if base == "Bool":
        return value.lower() == policy_value.lower()
    if base.startswith("Numeric"):
        a, b = _number(value), _number(policy_value)
        if a is None or b is None:
            return False
        comparison = base[len("Numeric") :]
        return {
            "Equals": a == b,
            "LessThan": a < b,
            "LessThanEquals": a <= b,
            "GreaterThan": a > b,
            "GreaterThanEquals": a >= b,
        }[comparison]
    if base == "IpAddress":
        try:
            return ipaddress.ip_address(value) in ipaddress.ip_network(policy_value, strict=False)
        except ValueError:
            return False
    raise NotImplementedError(base)


NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "NotIpAddress": "IpAddress",
}


def clause_holds(operator: str, key: str, policy_values: Any, raw: dict[str, Any], effect: str) -> bool:
    context = _context(raw)
    qualifier = None
    if ":" in operator:
        qualifier, operator = operator.split(":", 1)
    if_exists = operator.endswith("IfExists")
    if if_exists:
        operator = operator[: -len("IfExists")]
    wanted = [str(v).lower() if isinstance(v, bool) else str(v) for v in _as_list(policy_values)]
    values = context.get(key.lower())
    if operator == "Null":
        return ("true" if values is None else "false") in [w.lower() for w in wanted]
    negated = operator in NEGATED
    base = NEGATED.get(operator, operator)
    if values is None:
        if if_exists or qualifier == "ForAllValues":
            return True
        if qualifier == "ForAnyValue":
            return False
        return negated

    def in_predicate(value: str) -> bool | None:
        results = [_value_matches(base, w, value, raw, effect) for w in wanted]
        if any(r is None for r in results):
            return None
        return any(results)

    per_value = [in_predicate(v) for v in values]
    if any(r is None for r in per_value):
        return effect == "Deny"  # an unresolved variable: an Allow does not apply, a Deny does
    if qualifier == "ForAnyValue":
        return any((not r) if negated else r for r in per_value)
    if qualifier == "ForAllValues":
        return all((not r) if negated else r for r in per_value)
    return (not any(per_value)) if negated else any(per_value)


def statement_applies(statement: dict[str, Any], action: str, resource: str, raw: dict[str, Any]) -> bool:
    effect = statement["Effect"]
    if "Action" in statement:
        action_ok = any(
            match(tokens(p, {}, True, "Allow") or [], action, True) for p in _as_list(statement["Action"])
        )
    else:
        action_ok = not any(
            match(tokens(p, {}, True, "Allow") or [], action, True) for p in _as_list(statement["NotAction"])
        )
    if not action_ok:
        return False
    if "Resource" in statement:
        hit = False
        for p in _as_list(statement["Resource"]):
            pattern = tokens(p, raw, True, effect)
            if pattern is not None and match(pattern, resource):
                hit = True
        if not hit:
            return False
    else:
        for p in _as_list(statement["NotResource"]):
            pattern = tokens(p, raw, True, "Allow")
            if pattern is None:
                if effect == "Allow":
                    return False  # never widen an Allow
                continue  # a Deny's unresolved NotResource pattern excludes nothing
            if match(pattern, resource):
                return False
    for operator, block in statement.get("Condition", {}).items():
        for key, values in block.items():
            if not clause_holds(operator, key, values, raw, effect):
                return False
    return True


def decide(
    policies: list[dict[str, Any]],
    action: str,
    resource: str,
    context: dict[str, Any],
    boundary: dict[str, Any] | None,
) -> str:
    def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
        return _as_list(document["Statement"])

    if action.lower() == "sts:getcalleridentity":
        return "Allowed"  # STS API reference: no permission needed, an explicit Deny does not stop it

    identity = [s for d in policies for s in statements(d) if statement_applies(s, action, resource, context)]
    bound = (
        []
        if boundary is None
        else [s for s in statements(boundary) if statement_applies(s, action, resource, context)]
    )
    if any(s["Effect"] == "Deny" for s in identity + bound):
        return "ExplicitDeny"
    identity_ok = any(s["Effect"] == "Allow" for s in identity)
    boundary_ok = boundary is None or any(s["Effect"] == "Allow" for s in bound)
    return "Allowed" if identity_ok and boundary_ok else "ImplicitDeny"


# -- requests AWS can make (the authorization catalog), written from the reference's ARN format text --

_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


def format_regex(
    arn_format: str, partitions: list[str], names_without_colon: bool = False
) -> re.Pattern[str]:
    """The ARNs of a Service Authorization Reference ARN format, from its text alone.

    ``${Partition}`` is one of ``partitions``; in the first five ':'-separated components a
    placeholder has no ':' (the account may be empty, the others not); in the resource part a
    placeholder is non-empty text (without ':' when ``names_without_colon``; an account there may
    be empty); a ``*`` written in the format is any text (without ':' in the first five components).
    """
    out = []
    position = 0
    colons = 0

    def literal(chunk: str) -> None:
        nonlocal colons
        for char in chunk:
            if char == "*":
                out.append("[^:]*" if colons < 5 else ".*")
            else:
                out.append(re.escape(char))
                colons += char == ":"

    for found in _PLACEHOLDER.finditer(arn_format):
        literal(arn_format[position : found.start()])
        position = found.end()
        name = found.group(1).lower()
        if name == "partition":
            out.append("(" + "|".join(re.escape(p) for p in partitions) + ")")
        elif colons < 5:
            out.append("[^:]*" if colons == 4 or "account" in name else "[^:]+")
        elif "account" in name:
            out.append(".*")
        else:
            out.append("[^:]+" if names_without_colon else ".+")
    literal(arn_format[position:])
    return re.compile("".join(out), re.DOTALL)


def random_arn(arn_format: str, partitions: list[str], rng: Any, alphabet: str) -> str:
    """A random ARN of a format: placeholders filled with short strings of ``alphabet``."""

    def text(minimum: int, colon: bool) -> str:
        chars = alphabet if colon else alphabet.replace(":", "")
        return "".join(rng.choice(chars) for _ in range(rng.randint(minimum, 3)))

    out = []
    position = 0
    colons = 0
    for found in _PLACEHOLDER.finditer(arn_format):
        chunk = arn_format[position : found.start()]
        colons += chunk.count(":")
        out.append(chunk.replace("*", text(0, colons >= 5)))
        position = found.end()
        name = found.group(1).lower()
        if name == "partition":
            out.append(rng.choice(partitions))
        elif colons < 5:
            out.append(
                rng.choice(["123456789012", "", "aws"]) if colons == 4 else rng.choice(["us-east-1", "a"])
            )
        else:
            out.append(text(1, True))
    out.append(arn_format[position:].replace("*", text(0, True)))
    return "".join(out)
