"""The IAM list reads follow every page (``Marker`` while ``IsTruncated``), and stop at the last."""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from awsip.aws import iam


def client() -> object:
    session = boto3.session.Session(
        aws_access_key_id="AKIA", aws_secret_access_key="x", region_name="us-east-1"
    )
    return session.client("iam")


def attached(name: str) -> dict[str, str]:
    return {"PolicyName": name, "PolicyArn": f"arn:aws:iam::111122223333:policy/{name}"}


def test_attached_policies_of_every_page_in_order() -> None:
    iam_client = client()
    with Stubber(iam_client) as stub:
        stub.add_response(
            "list_attached_role_policies",
            {"AttachedPolicies": [attached("a"), attached("b")], "IsTruncated": True, "Marker": "m1"},
            {"RoleName": "capa"},
        )
        stub.add_response(
            "list_attached_role_policies",
            {"AttachedPolicies": [attached("c")], "IsTruncated": True, "Marker": "m2"},
            {"RoleName": "capa", "Marker": "m1"},
        )
        stub.add_response(
            "list_attached_role_policies",
            {"AttachedPolicies": [attached("d")], "IsTruncated": False},
            {"RoleName": "capa", "Marker": "m2"},
        )
        found = iam.list_attached_role_policies(iam_client, "capa")
        stub.assert_no_pending_responses()
    assert [p.name for p in found] == ["a", "b", "c", "d"]
    assert found[0].arn == "arn:aws:iam::111122223333:policy/a"


def test_inline_policy_names_of_every_page() -> None:
    iam_client = client()
    with Stubber(iam_client) as stub:
        stub.add_response(
            "list_role_policies",
            {"PolicyNames": ["x"], "IsTruncated": True, "Marker": "m"},
            {"RoleName": "capa"},
        )
        stub.add_response(
            "list_role_policies",
            {"PolicyNames": ["y", "z"], "IsTruncated": False},
            {"RoleName": "capa", "Marker": "m"},
        )
        assert iam.list_role_policy_names(iam_client, "capa") == ["x", "y", "z"]
        stub.assert_no_pending_responses()


def test_one_page_is_one_call() -> None:
    iam_client = client()
    with Stubber(iam_client) as stub:
        stub.add_response(
            "list_role_policies", {"PolicyNames": [], "IsTruncated": False}, {"RoleName": "capa"}
        )
        assert iam.list_role_policy_names(iam_client, "capa") == []
        stub.assert_no_pending_responses()
