"""Parsing ``rules.yaml`` into :class:`TenancyRules`, with errors an administrator can act on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml
from pydantic import ValidationError

from awsip.tenancy.rules import TenancyRules
from awsip.tenancy.schema import TenancyFile
from awsip.textcap import cap

_MAX_ERRORS = 10
#: pydantic's wording for Python types, said in YAML's terms.
_FRIENDLY = {
    "extra_forbidden": "unknown field (check its spelling and indentation)",
    "missing": "required field is missing",
    "tuple_type": "must be a list",
    "list_type": "must be a list",
    "string_type": "must be a string (quote values such as true, yes, 1 or 0755 in YAML)",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
}


class TenancyConfigError(ValueError):
    """The tenancy rules cannot be used; the message says where and why."""


def parse_tenancy_rules(text: str) -> TenancyRules:
    """Parse the YAML of the tenancy ConfigMap's ``rules.yaml`` key.

    An empty document (or ``rules: []``) means no rules: every namespace may use every account.
    Raises :class:`TenancyConfigError` for anything else that is not a valid rules file.
    """
    if not isinstance(text, str):
        raise TenancyConfigError(f"tenancy rules must be YAML text, not {type(text).__name__}")
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise TenancyConfigError(f"tenancy rules are not valid YAML: {cap(str(error), 500)}") from None
    except (ValueError, TypeError, OverflowError, RecursionError) as error:
        # PyYAML's constructors raise these for values like the date 2024-02-30 or deep nesting.
        raise TenancyConfigError(
            f"tenancy rules are not valid YAML: {cap(str(error) or type(error).__name__, 500)}"
        ) from None
    if document is None:
        return TenancyRules()
    if not isinstance(document, Mapping):
        raise TenancyConfigError(
            f"tenancy rules must be a mapping with a 'rules' list, not a {_yaml_type(document)}"
        )
    if document.get("rules") is None and set(document) <= {"rules"}:
        return TenancyRules()
    try:
        parsed = TenancyFile.model_validate(document)
    except ValidationError as error:
        raise TenancyConfigError(_describe(error, document)) from None
    return TenancyRules(rules=parsed.rules)


def _describe(error: ValidationError, document: Mapping[Any, Any]) -> str:
    problems = []
    for item in error.errors(include_url=False, include_input=False)[:_MAX_ERRORS]:
        location = _location(item["loc"], document)
        message = _FRIENDLY.get(item["type"]) or str(item["msg"]).removeprefix("Value error, ")
        problems.append(f"{location}: {message}" if location else message)
    more = error.error_count() - len(problems)
    suffix = f" (and {more} more)" if more > 0 else ""
    return "invalid tenancy rules: " + "; ".join(problems) + suffix


def _location(loc: tuple[int | str, ...], document: Mapping[Any, Any]) -> str:
    """``('rules', 0, 'accounts', 1)`` -> ``rules[0] (team-a).accounts[1]``."""
    text = ""
    node: Any = document
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
        node = node[part] if _indexable(node, part) else None
        if text.count("[") == 1 and text.startswith("rules[") and isinstance(part, int):
            name = node.get("name") if isinstance(node, Mapping) else None
            if isinstance(name, str) and name:
                text += f" ({cap(name, 60)})"
    return text


def _indexable(node: Any, part: int | str) -> bool:
    if isinstance(node, Mapping):
        return part in node
    if isinstance(node, list) and isinstance(part, int):
        return 0 <= part < len(node)
    return False


def _yaml_type(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__
