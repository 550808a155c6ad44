"""The generated CRD: committed file in step with the models, structural, and rejecting bad input."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from pydantic import ValidationError

from awsip.api import constants
from awsip.api.condition_reasons import ConditionType
from awsip.api.crd_manifest import custom_resource_definition, render_crd_yaml
from awsip.api.v1alpha1 import AWSInfrastructureProviderSpec
from tests.api.schema_tools import apply_defaults, cel_errors, crd_root_schema, server_side_errors

ROOT = Path(__file__).resolve().parents[2]
CRD_FILE = ROOT / "crds" / f"{constants.CRD_NAME}.yaml"
ARN = "arn:aws:iam::123456789012:role/capa-manager"


def provider(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": constants.API_VERSION,
        "kind": constants.KIND,
        "metadata": {"name": "aws-prod", "namespace": "team-a"},
        "spec": {"roleARN": ARN, **spec},
    }


def test_committed_crd_equals_generator_output() -> None:
    assert CRD_FILE.read_text() == render_crd_yaml(), (
        "crds/ is out of date with operator/awsip/api/v1alpha1.py: run `make crd`"
    )


def test_crd_is_a_valid_apiextensions_object() -> None:
    crd = yaml.safe_load(CRD_FILE.read_text())
    kubernetes_validate.validate(crd, kubernetes_validate.latest_version(), strict=True)


def test_crd_names_and_subresources() -> None:
    spec = custom_resource_definition()["spec"]
    assert spec["group"] == "infrastructure.awsip.io"
    assert spec["scope"] == "Namespaced"
    assert spec["names"]["shortNames"] == ["awsip"]
    assert spec["names"]["categories"] == ["awsip"]
    (version,) = spec["versions"]
    assert version["name"] == "v1alpha1" and version["served"] and version["storage"]
    assert version["subresources"] == {"status": {}}
    columns = [c["name"] for c in version["additionalPrinterColumns"] if c.get("priority", 0) == 0]
    assert columns == ["Ready", "Reason", "Account", "Role", "Missing", "Age"]


def _walk(node: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    found = [(path, node)]
    for name, prop in node.get("properties", {}).items():
        found += _walk(prop, f"{path}.{name}")
    if "items" in node:
        found += _walk(node["items"], f"{path}[]")
    return found


def test_schema_is_structural() -> None:
    """Every node typed; no $ref, anyOf/null or additionalProperties beside properties (apiextensions rules)."""
    for path, node in _walk(crd_root_schema()):
        assert "type" in node, f"{path} has no type"
        assert not {"$ref", "$defs", "anyOf", "oneOf", "title", "const"} & node.keys(), path
        assert not ("properties" in node and "additionalProperties" in node), path
        if node["type"] == "string" and path.startswith(".spec") and "enum" not in node:
            # CEL cost estimation needs bounded strings.
            assert "maxLength" in node, f"{path} needs a maxLength"


def test_every_condition_type_is_documented() -> None:
    conditions = crd_root_schema()["properties"]["status"]["properties"]["conditions"]
    assert conditions["x-kubernetes-list-type"] == "map"
    for condition_type in ConditionType.ALL:
        assert condition_type in conditions["description"]


def test_defaults_fill_the_minimal_spec() -> None:
    defaulted = apply_defaults(provider(), crd_root_schema())
    assert defaulted["spec"] == {
        "roleARN": ARN,
        "durationSeconds": 900,
        "requiredPolicy": {"profile": "capa-minimal"},
        "verification": {"interval": "1h", "method": "Auto", "probeExternalID": False},
    }
    # The pydantic model defaults to exactly the same spec.
    assert AWSInfrastructureProviderSpec.model_validate({"roleARN": ARN}).to_k8s() == defaulted["spec"]


GOOD_SPECS: list[dict[str, Any]] = [
    {},
    {"externalID": "a1b2c3d4-e5f6"},
    {"externalID": "x" * 1224},
    {"externalIDSecretRef": {"name": "aws-prod-external-id", "key": "externalID"}},
    {"roleARN": "arn:aws-cn:iam::123456789012:role/capa", "region": "cn-north-1"},
    {"roleARN": "arn:aws-us-gov:iam::123456789012:role/capa", "region": "us-gov-west-1"},
    {"roleARN": "arn:aws:iam::123456789012:role/platform/team-a/capa.manager@x", "region": "eu-central-1"},
    {"sessionName": "awsip-team-a", "durationSeconds": 3600},
    {"requiredPolicy": {"configMapRef": {"name": "capa-policy", "key": "policy.json"}}},
    {"verification": {"interval": "15m", "method": "Simulate", "probeExternalID": True}},
    {"verification": {"interval": "1h30m"}},
    {"verification": {"interval": "720h"}},
    {"displayName": "Production (eu-central-1)"},
]


@pytest.mark.parametrize("spec", GOOD_SPECS, ids=lambda s: ",".join(s) or "minimal")
def test_good_specs_are_accepted(spec: dict[str, Any]) -> None:
    assert server_side_errors(provider(**spec)) == []
    AWSInfrastructureProviderSpec.model_validate({"roleARN": ARN, **spec})


# (spec overrides, a fragment the API server's message must contain)
BAD_SPECS: list[tuple[str, dict[str, Any], str]] = [
    ("user-arn", {"roleARN": "arn:aws:iam::123456789012:user/alice"}, "roleARN"),
    ("short-account", {"roleARN": "arn:aws:iam::12345678901:role/capa"}, "roleARN"),
    ("unknown-partition", {"roleARN": "arn:aws-eu:iam::123456789012:role/capa"}, "roleARN"),
    ("not-iam", {"roleARN": "arn:aws:sts::123456789012:role/capa"}, "roleARN"),
    ("no-name", {"roleARN": "arn:aws:iam::123456789012:role/"}, "roleARN"),
    ("name-too-long", {"roleARN": "arn:aws:iam::123456789012:role/" + "r" * 65}, "roleARN"),
    ("spaces", {"roleARN": "arn:aws:iam::123456789012:role/capa manager"}, "roleARN"),
    ("external-id-short", {"externalID": "x"}, "externalID"),
    ("external-id-long", {"externalID": "x" * 1225}, "externalID"),
    ("external-id-chars", {"externalID": "abc def"}, "externalID"),
    (
        "both-external-ids",
        {"externalID": "abc123", "externalIDSecretRef": {"name": "s", "key": "k"}},
        "mutually exclusive",
    ),
    (
        "secret-ref-bad-name",
        {"externalIDSecretRef": {"name": "Bad_Name", "key": "k"}},
        "externalIDSecretRef.name",
    ),
    ("secret-ref-no-key", {"externalIDSecretRef": {"name": "s"}}, "externalIDSecretRef"),
    ("session-name-chars", {"sessionName": "awsip/team"}, "sessionName"),
    ("session-name-long", {"sessionName": "s" * 65}, "sessionName"),
    ("duration-low", {"durationSeconds": 899}, "durationSeconds"),
    ("duration-high", {"durationSeconds": 43201}, "durationSeconds"),
    ("region-bad", {"region": "europe"}, "region"),
    ("region-partition", {"region": "cn-north-1"}, "partition"),
    ("gov-region-partition", {"region": "us-gov-east-1"}, "partition"),
    ("profile-unknown", {"requiredPolicy": {"profile": "admin"}}, "requiredPolicy.profile"),
    (
        "policy-both",
        {"requiredPolicy": {"profile": "capa-minimal", "configMapRef": {"name": "p", "key": "k"}}},
        "exactly one",
    ),
    ("policy-neither", {"requiredPolicy": {}}, "exactly one"),
    ("method-unknown", {"verification": {"method": "Magic"}}, "verification.method"),
    ("interval-garbage", {"verification": {"interval": "hourly"}}, "verification.interval"),
    ("interval-too-short", {"verification": {"interval": "30s"}}, "at least 1m"),
    # Issue 14: a huge interval re-verified every 5 s forever (the schedule left the calendar).
    ("interval-too-long", {"verification": {"interval": "721h"}}, "at most 720h"),
    ("interval-off-the-calendar", {"verification": {"interval": "100000000h"}}, "verification.interval"),
    ("display-name-long", {"displayName": "d" * 257}, "displayName"),
]


@pytest.mark.parametrize(("case", "spec", "fragment"), BAD_SPECS, ids=[c[0] for c in BAD_SPECS])
def test_bad_specs_are_rejected_with_a_readable_message(
    case: str, spec: dict[str, Any], fragment: str
) -> None:
    errors = server_side_errors(provider(**spec))
    assert errors, f"{case}: the schema accepted a bad spec"
    assert any(fragment in error for error in errors), errors
    # The operator and the command line reject the same documents.
    with pytest.raises(ValidationError):
        AWSInfrastructureProviderSpec.model_validate({"roleARN": ARN, **spec})


def test_missing_role_arn_is_rejected() -> None:
    obj = provider()
    del obj["spec"]["roleARN"]
    assert any("roleARN" in error for error in server_side_errors(obj))


def test_cel_rules_see_defaults() -> None:
    """Without defaulting, requiredPolicy would be absent; with it, the one-of rule holds."""
    obj = apply_defaults(provider(), crd_root_schema())
    assert cel_errors(obj) == []
    broken = copy.deepcopy(obj)
    broken["spec"]["requiredPolicy"]["configMapRef"] = {"name": "p", "key": "k"}
    assert cel_errors(broken) == [
        "spec.requiredPolicy: set exactly one of requiredPolicy.profile or requiredPolicy.configMapRef"
    ]


def test_examples_validate() -> None:
    examples = sorted((ROOT / "examples").glob("*.yaml"))
    providers = [
        doc
        for path in examples
        for doc in yaml.safe_load_all(path.read_text())
        if doc and doc.get("kind") == constants.KIND
    ]
    assert providers, "examples/ should hold AWSInfrastructureProvider manifests"
    for doc in providers:
        assert server_side_errors(doc) == [], doc["metadata"]["name"]
        AWSInfrastructureProviderSpec.model_validate(doc["spec"])
