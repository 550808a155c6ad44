"""examples/ and the sandbox's seeded roles must tell the same story."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from awsip.api import constants
from awsip.api.v1alpha1 import AWSInfrastructureProviderSpec
from awsip.commands.sandbox import DEFAULT_EXAMPLES, expectations, load_examples
from awsip.sandbox import scenarios

DOCUMENTS = load_examples(DEFAULT_EXAMPLES)
PROVIDERS = [d for d in DOCUMENTS if d["kind"] == constants.KIND]
ROLES = {role.arn: role for role in scenarios.SANDBOX_ROLES}
REASONS = {
    "Verified": lambda role, external_id: (
        not role.missing_actions and not role.wildcard_principal and external_id == role.external_id
    ),
    "MissingPermissions": lambda role, external_id: (
        bool(role.missing_actions) and external_id == role.external_id
    ),
    "WildcardPrincipal": lambda role, external_id: role.wildcard_principal,
    "AccessDenied": lambda role, external_id: (
        role.external_id is not None and external_id != role.external_id
    ),
}


def external_id_of(spec: dict[str, Any]) -> str | None:
    if "externalID" in spec:
        return str(spec["externalID"])
    ref = spec.get("externalIDSecretRef")
    if ref is None:
        return None
    for doc in DOCUMENTS:
        if doc["kind"] == "Secret" and doc["metadata"]["name"] == ref["name"]:
            if "stringData" in doc:
                return str(doc["stringData"][ref["key"]])
            return base64.b64decode(doc["data"][ref["key"]]).decode()
    raise AssertionError(f"no Secret {ref['name']} in examples/")


def test_the_examples_cover_every_case() -> None:
    assert Path(__file__).resolve().parents[2] / "examples" == DEFAULT_EXAMPLES
    assert set(expectations(DOCUMENTS).values()) == set(REASONS)
    assert {ROLES[p["spec"]["roleARN"]].name for p in PROVIDERS} == {r.name for r in scenarios.SANDBOX_ROLES}
    assert any("externalIDSecretRef" in p["spec"] for p in PROVIDERS)


@pytest.mark.parametrize("doc", PROVIDERS, ids=lambda d: d["metadata"]["name"])
def test_each_example_expects_what_its_role_produces(doc: dict[str, Any]) -> None:
    assert doc["metadata"]["namespace"] == scenarios.WORKSPACE_NAMESPACE
    expected = doc["metadata"]["annotations"][scenarios.EXPECT_REASON_ANNOTATION]
    spec = AWSInfrastructureProviderSpec.model_validate(doc["spec"])
    role = ROLES[spec.role_arn]
    assert REASONS[expected](role, external_id_of(doc["spec"])), f"{role} cannot end with {expected}"


def test_the_namespace_comes_first() -> None:
    assert (
        DOCUMENTS[0]["kind"] == "Namespace"
        and DOCUMENTS[0]["metadata"]["name"] == scenarios.WORKSPACE_NAMESPACE
    )
    names = [(d["kind"], d["metadata"]["name"]) for d in DOCUMENTS]
    assert len(names) == len(set(names))
