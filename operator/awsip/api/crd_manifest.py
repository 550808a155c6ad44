"""Generate the CustomResourceDefinition from the API types.

pydantic emits JSON Schema (draft 2020-12, with ``$defs``/``$ref`` and ``anyOf [X, null]`` for
optional fields); Kubernetes wants a *structural* OpenAPI v3 schema: every node typed, no
references, no ``anyOf`` with null, no ``additionalProperties: false`` beside ``properties``.
This module converts one into the other and wraps it in the CRD. ``awsip crd`` prints the result,
and the committed ``crds/`` file must equal it (a test checks).
"""

from __future__ import annotations

import copy
from typing import Any

import yaml

from awsip.api import constants
from awsip.api.condition_reasons import ConditionType
from awsip.api.v1alpha1 import AWSInfrastructureProviderSpec, AWSInfrastructureProviderStatus

_DROP_KEYS = {"title", "additionalProperties", "$defs"}

_READY = f'.status.conditions[?(@.type=="{ConditionType.READY}")]'

PRINTER_COLUMNS: list[dict[str, Any]] = [
    {"name": "Ready", "type": "string", "jsonPath": f"{_READY}.status"},
    {"name": "Reason", "type": "string", "jsonPath": f"{_READY}.reason"},
    {"name": "Account", "type": "string", "jsonPath": ".status.accountID"},
    {"name": "Role", "type": "string", "jsonPath": ".spec.roleARN"},
    {"name": "Missing", "type": "integer", "jsonPath": ".status.permissions.missingActions"},
    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
    {
        # -o wide only: empty for providers without spec.clusterAPI.roleIdentity.
        "name": "ClusterIdentity",
        "type": "string",
        "priority": 1,
        "jsonPath": f'.status.conditions[?(@.type=="{ConditionType.CLUSTER_IDENTITY_READY}")].status',
    },
    {"name": "Message", "type": "string", "priority": 1, "jsonPath": f"{_READY}.message"},
]


def _resolve(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_resolve(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    node = dict(node)
    if "$ref" in node:
        target = copy.deepcopy(defs[node.pop("$ref").rsplit("/", 1)[1]])
        # Siblings of $ref (description, default, extensions) override the referenced schema.
        target.update(node)
        node = target
    any_of = node.get("anyOf")
    if isinstance(any_of, list):
        branches = [b for b in any_of if b != {"type": "null"}]
        if len(branches) == 1:
            del node["anyOf"]
            merged = dict(branches[0])
            merged.update(node)
            if merged.get("default", ...) is None:
                del merged["default"]
            return _resolve(merged, defs)
    if "const" in node:
        node["enum"] = [node.pop("const")]
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP_KEYS:
            continue
        if key == "properties":
            result[key] = {name: _resolve(prop, defs) for name, prop in value.items()}
        elif key in ("items", "anyOf", "oneOf", "allOf"):
            result[key] = _resolve(value, defs)
        else:
            result[key] = value
    if result.get("format") == "date-time":
        result["type"] = "string"
    if "properties" in result:
        result.setdefault("type", "object")
    return result


def openapi_schema(model: type[Any]) -> dict[str, Any]:
    """The structural OpenAPI v3 schema of a pydantic model, as the API server wants it."""
    raw = model.model_json_schema(by_alias=True, mode="validation")
    return dict(_resolve(raw, raw.get("$defs", {})))


def custom_resource_definition() -> dict[str, Any]:
    spec_schema = openapi_schema(AWSInfrastructureProviderSpec)
    status_schema = openapi_schema(AWSInfrastructureProviderStatus)
    root = {
        "type": "object",
        "description": "AWSInfrastructureProvider registers an AWS account (an IAM role, with an optional "
        "External ID) for cluster provisioning. awsip assumes the role, checks that its policies cover "
        "the required policy and that its trust policy is safe, and reports the verdict in conditions.",
        "required": ["spec"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": spec_schema,
            "status": status_schema,
        },
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": constants.CRD_NAME,
            "labels": {"app.kubernetes.io/name": "awsip", "app.kubernetes.io/part-of": "awsip"},
        },
        "spec": {
            "group": constants.GROUP,
            "names": {
                "kind": constants.KIND,
                "listKind": f"{constants.KIND}List",
                "plural": constants.PLURAL,
                "singular": constants.SINGULAR,
                "shortNames": list(constants.SHORT_NAMES),
                "categories": list(constants.CATEGORIES),
            },
            "scope": "Namespaced",
            "versions": [
                {
                    "name": constants.VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": PRINTER_COLUMNS,
                    "schema": {"openAPIV3Schema": root},
                }
            ],
        },
    }


def render_crd_yaml() -> str:
    header = "# Generated by `awsip crd` from operator/awsip/api/v1alpha1.py. Do not edit by hand.\n"
    return header + yaml.safe_dump(custom_resource_definition(), sort_keys=False, width=100)
