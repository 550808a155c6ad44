"""What ``awsip policy catalog ACTION`` prints: text and JSON of the catalog's answer."""

from __future__ import annotations

import pytest

from awsip.catalog import Catalog, default_catalog
from awsip.catalog.describe import JSON_FORMAT, describe


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return default_catalog()


def test_an_action_with_a_resource_type(catalog: Catalog) -> None:
    found = describe(catalog, "eks:describecluster")
    assert found.found
    text = found.to_text()
    assert text.startswith("eks:DescribeCluster (Read)\n")
    assert "cluster (required)  arn:${Partition}:eks:${Region}:${Account}:cluster/${ClusterName}" in text
    assert "aws:ResourceTag/${TagKey}  String" in text
    assert f"(catalog: {catalog.source})" in text
    data = found.to_json()
    assert data["format"] == JSON_FORMAT and data["catalog"] == catalog.source.to_json()
    (action,) = data["actions"]
    assert action["action"] == "eks:DescribeCluster"
    assert action["authorized_against_star"] is False
    assert action["resource_types"] == [
        {
            "name": "cluster",
            "required": True,
            "arn": "arn:${Partition}:eks:${Region}:${Account}:cluster/${ClusterName}",
            "condition_keys": ["aws:ResourceTag/${TagKey}"],
        }
    ]
    assert action["note"] is None and action["formal"] is False


def test_an_action_authorized_against_star(catalog: Catalog) -> None:
    text = describe(catalog, "eks:ListClusters").to_text()
    assert 'authorized against *: only Resource "*" grants it' in text
    assert "condition keys: the global keys only" in text


def test_an_approximated_action_says_so(catalog: Catalog) -> None:
    found = describe(catalog, "elasticloadbalancing:AddTags")
    assert "note: the reference documents elasticloadbalancing on several pages" in found.to_text()
    assert found.to_json()["actions"][0]["authorized_against_star"] is True


def test_a_typo(catalog: Catalog) -> None:
    found = describe(catalog, "ec2:RunInstancez")
    assert not found.found
    assert found.to_text().startswith(
        "ec2:RunInstancez is not an action any service defines; did you mean ec2:RunInstances?"
    )
    assert found.to_json()["suggestion"] == "ec2:RunInstances"
    assert found.to_json()["actions"] == []


def test_a_pattern_lists_its_actions(catalog: Catalog) -> None:
    found = describe(catalog, "eks:Describe*")
    text = found.to_text()
    assert text.startswith(f"eks:Describe* matches {len(found.actions)} actions")
    assert "\n  eks:DescribeCluster\n" in text
    assert describe(catalog, "ec2:*").to_text().count("\n") < 60  # long lists are cut
    assert "matches no known action" in describe(catalog, "eks:Nothing*").to_text()
