"""Offline stand-ins for what the API server does with the CRD: defaulting, OpenAPI validation, CEL.

The API server validates with its own OpenAPI and CEL implementations; here jsonschema checks the
OpenAPI part (patterns, lengths, enums, ranges) and cel-python evaluates the
``x-kubernetes-validations`` rules at the node where they are declared, after structural
defaulting, as the API server does.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import celpy
import jsonschema
import yaml

from awsip.api.crd_manifest import custom_resource_definition


def crd_root_schema() -> dict[str, Any]:
    crd = custom_resource_definition()
    schema: dict[str, Any] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def apply_defaults(obj: Any, schema: dict[str, Any]) -> Any:
    """Structural defaulting: absent properties with a default get it, then recurse."""
    if isinstance(obj, dict):
        result = dict(obj)
        for name, prop in schema.get("properties", {}).items():
            if name not in result and "default" in prop:
                result[name] = copy.deepcopy(prop["default"])
            if name in result:
                result[name] = apply_defaults(result[name], prop)
        return result
    if isinstance(obj, list) and "items" in schema:
        return [apply_defaults(item, schema["items"]) for item in obj]
    return obj


def openapi_errors(obj: dict[str, Any]) -> list[str]:
    schema = crd_root_schema()
    validator = jsonschema.Draft202012Validator(schema)
    return [
        f"{'.'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
    ]


def _rules_at(obj: Any, schema: dict[str, Any], path: str) -> Iterator[tuple[str, Any, dict[str, str]]]:
    for rule in schema.get("x-kubernetes-validations", []):
        yield path, obj, rule
    if isinstance(obj, dict):
        for name, prop in schema.get("properties", {}).items():
            if name in obj:
                yield from _rules_at(obj[name], prop, f"{path}.{name}")


def cel_errors(obj: dict[str, Any]) -> list[str]:
    """Messages of the CEL rules that reject ``obj`` (after defaulting), as ``path: message``."""
    env = celpy.Environment()
    errors = []
    for path, node, rule in _rules_at(obj, crd_root_schema(), ""):
        program = env.program(env.compile(rule["rule"]))
        try:
            verdict = program.evaluate({"self": celpy.json_to_cel(node)})
        except celpy.CELEvalError as error:  # the API server rejects an object a rule errors on
            verdict = error
        if isinstance(verdict, Exception) or not bool(verdict):
            errors.append(f"{path.lstrip('.')}{rule.get('fieldPath', '')}: {rule['message']}")
    return errors


def server_side_errors(obj: dict[str, Any]) -> list[str]:
    """What the API server would say about a create: OpenAPI errors first, then CEL on the defaulted object."""
    errors = openapi_errors(obj)
    if errors:
        return errors
    return cel_errors(apply_defaults(obj, crd_root_schema()))


def load_yaml_documents(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if doc]
