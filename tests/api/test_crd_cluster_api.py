"""spec.clusterAPI.roleIdentity in the CRD: the schema, its CEL rules and the pydantic validators agree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from awsip.api import constants
from awsip.api.v1alpha1 import AWSInfrastructureProviderSpec
from tests.api.schema_tools import crd_root_schema, server_side_errors

ARN = "arn:aws:iam::123456789012:role/capa-manager"


def provider(cluster_api: Any) -> dict[str, Any]:
    return {
        "apiVersion": constants.API_VERSION,
        "kind": constants.KIND,
        "metadata": {"name": "aws-prod", "namespace": "team-a"},
        "spec": {"roleARN": ARN, "clusterAPI": cluster_api},
    }


GOOD: list[dict[str, Any]] = [
    {},
    {"roleIdentity": {"name": "team-a-prod"}},
    {"roleIdentity": {"name": "team-a.prod"}},
    {"roleIdentity": {"name": "n" * 253}},
    {
        "roleIdentity": {
            "name": "a",
            "sourceIdentityRef": {"kind": "AWSClusterControllerIdentity", "name": "default"},
        }
    },
    {
        "roleIdentity": {
            "name": "a",
            "sourceIdentityRef": {"kind": "AWSClusterRoleIdentity", "name": "platform"},
        }
    },
    {
        "roleIdentity": {
            "name": "a",
            "sourceIdentityRef": {"kind": "AWSClusterStaticIdentity", "name": "keys"},
        }
    },
]


@pytest.mark.parametrize("cluster_api", GOOD, ids=str)
def test_good_cluster_api_specs_are_accepted(cluster_api: dict[str, Any]) -> None:
    assert server_side_errors(provider(cluster_api)) == []
    spec = AWSInfrastructureProviderSpec.model_validate({"roleARN": ARN, "clusterAPI": cluster_api})
    assert spec.to_k8s()["clusterAPI"] == cluster_api


BAD: list[tuple[str, dict[str, Any], str]] = [
    ("no-name", {"roleIdentity": {}}, "name"),
    ("empty-name", {"roleIdentity": {"name": ""}}, "name"),
    ("upper-case", {"roleIdentity": {"name": "Team-A"}}, "roleIdentity.name"),
    ("too-long", {"roleIdentity": {"name": "n" * 254}}, "roleIdentity.name"),
    (
        "unknown-kind",
        {"roleIdentity": {"name": "a", "sourceIdentityRef": {"kind": "Secret", "name": "x"}}},
        "kind",
    ),
    (
        "source-no-name",
        {"roleIdentity": {"name": "a", "sourceIdentityRef": {"kind": "AWSClusterRoleIdentity"}}},
        "name",
    ),
    (
        "itself",
        {"roleIdentity": {"name": "a", "sourceIdentityRef": {"kind": "AWSClusterRoleIdentity", "name": "a"}}},
        "must not name the identity itself",
    ),
    (
        "controller-not-default",
        {
            "roleIdentity": {
                "name": "a",
                "sourceIdentityRef": {"kind": "AWSClusterControllerIdentity", "name": "x"},
            }
        },
        "singleton named default",
    ),
]


@pytest.mark.parametrize(("case", "cluster_api", "fragment"), BAD, ids=[c[0] for c in BAD])
def test_bad_cluster_api_specs_are_rejected_by_both(
    case: str, cluster_api: dict[str, Any], fragment: str
) -> None:
    errors = server_side_errors(provider(cluster_api))
    assert errors, f"{case}: the schema accepted it"
    assert any(fragment in error for error in errors), errors
    with pytest.raises(ValidationError, match=fragment.split(".")[-1]):
        AWSInfrastructureProviderSpec.model_validate({"roleARN": ARN, "clusterAPI": cluster_api})


def test_the_same_source_name_is_fine_for_another_kind() -> None:
    # Only an AWSClusterRoleIdentity of the same name would be a loop for CAPA.
    cluster_api = {
        "roleIdentity": {"name": "a", "sourceIdentityRef": {"kind": "AWSClusterStaticIdentity", "name": "a"}}
    }
    assert server_side_errors(provider(cluster_api)) == []
    AWSInfrastructureProviderSpec.model_validate({"roleARN": ARN, "clusterAPI": cluster_api})


def test_the_field_is_additive() -> None:
    """v1alpha1 stays compatible: optional, no default, so existing objects read back unchanged."""
    spec = crd_root_schema()["properties"]["spec"]
    assert "clusterAPI" not in spec.get("required", [])
    assert "default" not in spec["properties"]["clusterAPI"]
    assert "clusterAPI" not in AWSInfrastructureProviderSpec.model_validate({"roleARN": ARN}).to_k8s()


def test_the_cluster_api_example_validates_and_its_cluster_uses_the_identity(repo_root: Path) -> None:
    folder = repo_root / "examples" / "cluster-api"
    documents = [
        d for path in sorted(folder.glob("*.yaml")) for d in yaml.safe_load_all(path.read_text()) if d
    ]
    providers = [d for d in documents if d["kind"] == constants.KIND]
    clusters = [d for d in documents if d["kind"] == "AWSCluster"]
    assert providers and clusters
    identities = {}
    for doc in providers:
        assert server_side_errors(doc) == [], doc["metadata"]["name"]
        spec = AWSInfrastructureProviderSpec.model_validate(doc["spec"])
        assert spec.cluster_api is not None and spec.cluster_api.role_identity is not None
        identities[spec.cluster_api.role_identity.name] = doc["metadata"]["namespace"]
    for cluster in clusters:
        assert cluster["apiVersion"] == "infrastructure.cluster.x-k8s.io/v1beta2"
        reference = cluster["spec"]["identityRef"]
        assert reference["kind"] == "AWSClusterRoleIdentity"
        # The identity awsip writes allows its provider's namespace only: the cluster must be there.
        assert identities[reference["name"]] == cluster["metadata"]["namespace"]
