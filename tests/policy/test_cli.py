"""``awsip policy check | simulate | print``: output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from awsip.cli import main
from awsip.profiles import load_profile, management_policy, operator_trust_policy, seed_trust_policy

from .helpers import FIXTURES, MANAGED


def write(tmp_path: Path, name: str, document: Any) -> str:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return str(path)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_check_covered_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["policy", "check", "--policy", str(MANAGED / "AdministratorAccess.json")], capsys)
    assert code == 0
    assert "covered: all 107 required actions are allowed" in out


def test_check_missing_exits_1_with_a_block_per_action(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        [
            "policy",
            "check",
            "--policy",
            str(MANAGED / "AdministratorAccess.json"),
            str(FIXTURES / "deny-eks.json"),
        ],
        capsys,
    )
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("capa-minimal: NOT covered: 23 of 107 required actions missing")
    start = lines.index(next(line for line in lines if line.startswith("NotCovered  eks:CreateCluster on ")))
    # The action's block: its indented lines. Where the policy's path goes depends on its length
    # (the text is wrapped at 100 columns), so on where the repository is checked out.
    block = []
    for line in lines[start + 1 :]:
        if not line.startswith("            "):
            break
        block.append(line.strip())
    reason, example = " ".join(block[:-1]), block[-1]
    assert reason == f'denied by statement "DenyEKS" of policy {FIXTURES / "deny-eks.json"}'
    assert example.startswith("e.g. eks:CreateCluster on arn:aws:eks:")


@pytest.mark.parametrize("policy", ["PowerUserAccess", "ReadOnlyAccess", "AmazonEC2FullAccess"])
def test_check_text_fits_100_columns(policy: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Lines used to run to about 250 columns; only a single word longer than a line (an ARN) may
    still run past 100 (issue 13, item 8)."""
    code, out, _ = run(
        ["policy", "check", "--policy", str(MANAGED / f"{policy}.json"), str(FIXTURES / "deny-eks.json")],
        capsys,
    )
    assert code == 1
    for line in out.splitlines():
        assert len(line) <= 100 or " " not in line.strip().removeprefix("e.g. "), line


def test_check_example_arns_are_arns_aws_could_name(capsys: pytest.CaptureFixture[str]) -> None:
    """IAM ARNs name no region: the examples used to read arn:aws:iam:us-east-1:... (issue 13, item 8)."""
    code, out, _ = run(["policy", "check", "--policy", str(MANAGED / "PowerUserAccess.json")], capsys)
    assert code == 1
    examples = [line.split(" on ", 1)[1] for line in out.replace("\n                 ", " ").splitlines()
                if line.strip().startswith("e.g. ")]  # fmt: skip
    iam = [e for e in examples if e.startswith("arn:aws:iam:")]
    assert iam and all(e.startswith("arn:aws:iam::") for e in iam), iam


def test_check_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        [
            "policy",
            "check",
            "--policy",
            str(MANAGED / "PowerUserAccess.json"),
            "--output",
            "json",
        ],
        capsys,
    )
    assert code == 1
    data = json.loads(out)
    assert data["format"] == "awsip.policy.coverage/v1"
    assert data["covered"] is False
    assert data["required"] == "capa-minimal"
    assert data["missing_actions"] == 4 and data["unknown"] == []
    first = data["missing"][0]
    assert set(first) == {
        "action",
        "resource",
        "statement",
        "status",
        "reason",
        "witness",
        "requests",
        "note",
    }
    assert set(data["catalog"]) == {"source", "version", "updated"}
    assert [(f["code"], f["action"]) for f in data["findings"]] == [
        ("ResourceTypeMismatch", "eks:ListClusters"),
        ("ResourceTypeMismatch", "eks:CreateCluster"),
    ]
    assert set(first["witness"]) == {"action", "resource", "context"}


def test_check_with_boundary_and_required_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    required = write(
        tmp_path,
        "required.json",
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "eks:*", "Resource": "*"}]},
    )
    code, out, _ = run(
        [
            "policy",
            "check",
            "--policy",
            str(MANAGED / "AdministratorAccess.json"),
            "--boundary",
            str(FIXTURES / "boundary-without-eks.json"),
            "--required",
            required,
            "--output",
            "json",
        ],
        capsys,
    )
    assert code == 1
    data = json.loads(out)
    assert data["boundary"].endswith("boundary-without-eks.json")
    assert data["missing"][0]["reason"].startswith("not allowed by the permissions boundary")


def test_check_reads_url_encoded_documents(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    encoded = write(tmp_path, "encoded.txt", quote(json.dumps(load_profile("capa-minimal")), safe=""))
    code, _, _ = run(["policy", "check", "--policy", encoded], capsys)
    assert code == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"Statement": [{"Effect": "Permit", "Action": "*", "Resource": "*"}]}', "field 'Effect'"),
    ],
)
def test_check_bad_input_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = write(tmp_path, "bad.json", content)
    code, out, err = run(["policy", "check", "--policy", path], capsys)
    assert code == 2
    assert out == ""
    assert message in err and "bad.json" in err


def test_check_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["policy", "check", "--policy", str(tmp_path / "nope.json")], capsys)
    assert code == 2
    assert "cannot read" in err


def test_check_unknown_profile_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["policy", "check", "--policy", str(MANAGED / "AdministratorAccess.json"), "--profile", "nope"])
    assert info.value.code == 2


def test_simulate_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    base = [
        "policy",
        "simulate",
        "--policy",
        str(MANAGED / "AdministratorAccess.json"),
        str(FIXTURES / "deny-eks.json"),
    ]
    code, out, _ = run([*base, "--action", "ec2:RunInstances", "--resource", "*"], capsys)
    assert code == 0
    assert out == f"Allowed: allowed by statement #0 of policy {MANAGED / 'AdministratorAccess.json'}\n"
    code, out, _ = run(
        [
            *base,
            "--action",
            "eks:CreateCluster",
            "--resource",
            "arn:aws:eks:eu-west-1:1:cluster/c",
            "--output",
            "json",
        ],
        capsys,
    )
    assert code == 1
    data = json.loads(out)
    assert data["decision"] == "ExplicitDeny"
    assert data["statements"][0]["sid"] == "DenyEKS"


def test_simulate_context_keys_and_multivalued_keys(capsys: pytest.CaptureFixture[str]) -> None:
    profile_path = ["--policy", str(MANAGED / "AmazonEC2FullAccess.json")]
    code, out, _ = run(
        [
            "policy",
            "simulate",
            *profile_path,
            "--action",
            "iam:CreateServiceLinkedRole",
            "--resource",
            "*",
            "--context",
            "iam:AWSServiceName=spot.amazonaws.com",
        ],
        capsys,
    )
    assert code == 0, out
    code, out, _ = run(
        [
            "policy",
            "simulate",
            *profile_path,
            "--action",
            "iam:CreateServiceLinkedRole",
            "--resource",
            "*",
            "--context",
            "iam:AWSServiceName=eks.amazonaws.com",
            "--context",
            "iam:AWSServiceName=x",
            "--output",
            "json",
        ],
        capsys,
    )
    assert code == 1
    assert json.loads(out)["request"]["context"] == {"iam:AWSServiceName": ["eks.amazonaws.com", "x"]}


def test_simulate_bad_context_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        [
            "policy",
            "simulate",
            "--policy",
            str(MANAGED / "AdministratorAccess.json"),
            "--action",
            "s3:GetObject",
            "--resource",
            "*",
            "--context",
            "novalue",
        ],
        capsys,
    )
    assert code == 2 and "KEY=VALUE" in err


def test_print_permissions(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["policy", "print"], capsys)
    assert code == 0
    assert json.loads(out) == load_profile("capa-minimal")
    code, out, _ = run(["policy", "print", "--partition", "aws-cn"], capsys)
    printed = json.dumps(json.loads(out))
    assert "arn:aws:" not in printed and "arn:aws-cn:iam::aws:policy/AmazonEKSClusterPolicy" in printed


OPERATOR_ROLE = "arn:aws:iam::111122223333:role/awsip-operator"


def test_print_trust_trusts_the_operator_role(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["policy", "print", "--kind", "trust", "--principal-arn", OPERATOR_ROLE]
    code, out, _ = run([*argv, "--external-id", "abc", "--session-tags"], capsys)
    assert code == 0
    assert json.loads(out) == operator_trust_policy(OPERATOR_ROLE, external_id="abc", session_tags=True)
    assert "ec2.amazonaws.com" not in out and ":root" not in out
    code, out, _ = run([*argv, "--external-id", "--namespace", "team-a"], capsys)
    assert code == 0
    assert json.loads(out) == operator_trust_policy(
        OPERATOR_ROLE, external_id="<EXTERNAL_ID>", namespace="team-a"
    )
    gov = "arn:aws-us-gov:iam::111122223333:role/ops/awsip-operator"
    code, out, _ = run(
        ["policy", "print", "--kind", "trust", "--principal-arn", gov, "--partition", "aws-us-gov"], capsys
    )
    assert code == 0 and json.loads(out)["Statement"][0]["Principal"] == {"AWS": gov}


def test_print_the_seed_trust_form_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["policy", "print", "--kind", "trust", "--form", "seed", "--account", "111122223333",
         "--external-id", "abc", "--session-tags"],
        capsys,
    )  # fmt: skip
    assert code == 0
    assert json.loads(out) == seed_trust_policy("111122223333", external_id="abc", session_tags=True)
    code, out, _ = run(
        ["policy", "print", "--kind", "trust", "--form", "seed", "--account", "111122223333",
         "--external-id", "--namespace", "team-a", "--partition", "aws-cn"],
        capsys,
    )  # fmt: skip
    assert code == 0
    assert json.loads(out) == seed_trust_policy(
        "111122223333", external_id="<EXTERNAL_ID>", namespace="team-a", partition="aws-cn"
    )


def test_print_management(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["policy", "print", "--kind", "management", "--account", "444455556666", "--role-name", "capa",
         "--partition", "aws-us-gov"],
        capsys,
    )  # fmt: skip
    assert code == 0
    assert json.loads(out) == management_policy("444455556666", "capa", partition="aws-us-gov")
    assert '"Sid": "AssumeProviderRole"' in out and "Kommander" not in out


def test_print_requires_the_accounts(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["policy", "print", "--kind", "trust"], capsys)
    assert code == 2 and "--principal-arn" in err and "--form seed --account" in err
    code, _, err = run(["policy", "print", "--kind", "trust", "--account", "111122223333"], capsys)
    assert code == 2 and "--principal-arn" in err
    code, _, err = run(["policy", "print", "--kind", "trust", "--form", "seed"], capsys)
    assert code == 2 and "--account" in err
    code, _, err = run(["policy", "print", "--kind", "management", "--account", "111122223333"], capsys)
    assert code == 2 and "--role-name" in err


TRUST = ["policy", "print", "--kind", "trust", "--principal-arn", OPERATOR_ROLE]
MANAGEMENT = ["policy", "print", "--kind", "management", "--account", "111122223333", "--role-name", "capa"]
SEED_TRUST = ["policy", "print", "--kind", "trust", "--form", "seed", "--account", "111122223333"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["policy", "print", "--kind", "management", "--account", "12345", "--role-name", "capa"],
         "--account '12345': an AWS account ID is 12 digits"),
        (["policy", "print", "--kind", "trust", "--form", "seed", "--account", "11112222333x"],
         "--account '11112222333x': an AWS account ID is 12 digits"),
        (["policy", "print", "--partition", "bogus"], "--partition 'bogus': not an AWS partition"),
        ([*MANAGEMENT, "--partition", "bogus"], "--partition 'bogus': not an AWS partition"),
        ([*SEED_TRUST, "--partition", "aws-mars"], "--partition 'aws-mars': not an AWS partition"),
        ([*TRUST, "--partition", "aws-cn"], "--partition aws-cn differs from that of --principal-arn (aws)"),
        (["policy", "print", "--kind", "management", "--account", "111122223333", "--role-name", "bad name!"],
         "--role-name 'bad name!': not an IAM role name"),
        (["policy", "print", "--kind", "management", "--account", "111122223333", "--role-name", "x" * 65],
         "not an IAM role name"),
        ([*TRUST, "--external-id", "with spaces"], "--external-id: only the characters of ^[A-Za-z0-9_+=,.@:/-]+$"),
        ([*TRUST, "--external-id", ""], "--external-id is empty (was the variable you passed unset?)"),
        ([*SEED_TRUST, "--external-id", ""], "--external-id is empty"),
        ([*TRUST, "--external-id", "x"], "--external-id: too short: at least 2 characters"),
        ([*TRUST, "--external-id", "x" * 1225], "--external-id: too long: at most 1224 characters"),
        (["policy", "print", "--kind", "trust", "--principal-arn", "arn:aws:iam::111122223333:root"],
         "not an IAM role ARN"),
        (["policy", "print", "--kind", "trust", "--principal-arn", "arn:aws:sts::111122223333:assumed-role/op/s"],
         "belongs to the role arn:aws:iam::ACCOUNT:role/NAME"),
        ([*TRUST, "--account", "111122223333"], "--account is for --form seed"),
        ([*SEED_TRUST, "--principal-arn", OPERATOR_ROLE], "--principal-arn is for the operator-role form"),
    ],
)  # fmt: skip
def test_print_refuses_what_the_crd_or_iam_would_reject(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(argv, capsys)
    assert (code, out) == (2, "")
    assert err.startswith("awsip policy: ") and message in err
    assert len(err.splitlines()) == 1


def test_print_never_echoes_an_external_id(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run([*TRUST, "--external-id", "secret value 42"], capsys)
    assert code == 2 and "secret value 42" not in err


def test_the_checks_use_the_api_types_patterns(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The print command reads its rules from the API types (not copies): change them, it follows."""
    from awsip.api import v1alpha1

    monkeypatch.setattr(v1alpha1, "PARTITIONS", ("aws", "aws-mars"))
    monkeypatch.setattr(v1alpha1, "ACCOUNT_ID_PATTERN", r"^[0-9]{5}$")
    code, out, _ = run(["policy", "print", "--partition", "aws-mars"], capsys)
    assert code == 0 and "arn:aws-mars:" in out
    code, _, err = run([*SEED_TRUST, "--external-id"], capsys)
    assert code == 2 and "--account '111122223333'" in err


def test_simulate_text_names_each_statement_once_and_says_what_it_did(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The deciding statement used to be repeated, and under a denying boundary the identity
    policy's Allow was listed without a word of what it did (issue 13, item 8)."""
    admin, boundary = MANAGED / "AdministratorAccess.json", FIXTURES / "boundary-without-eks.json"
    base = ["policy", "simulate", "--policy", str(admin), "--boundary", str(boundary)]
    code, out, _ = run(
        [
            *base,
            "--action",
            "eks:CreateCluster",
            "--resource",
            "arn:aws:eks:eu-west-1:111122223333:cluster/c",
        ],
        capsys,
    )
    assert code == 1
    assert out.splitlines() == [
        f"ImplicitDeny: not allowed by the permissions boundary {boundary}",
        f"  allowed by the identity policies: statement #0 of policy {admin}",
    ]
    code, out, _ = run([*base, "--action", "ec2:RunInstances", "--resource", "*"], capsys)
    assert code == 0
    assert out.splitlines() == [
        f"Allowed: allowed by statement #0 of policy {admin}",
        f'  allowed by the permissions boundary: statement "EverythingButEKS" of permissions boundary {boundary}',
    ]
    deny = FIXTURES / "deny-eks.json"
    everything = write(tmp_path, "deny-all.json", {"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyAll", "Effect": "Deny", "Action": "*", "Resource": "*"}]})  # fmt: skip
    code, out, _ = run(["policy", "simulate", "--policy", str(admin), str(deny), everything,
                        "--action", "eks:CreateCluster", "--resource", "*"], capsys)  # fmt: skip
    assert code == 1
    assert out.splitlines() == [
        f'ExplicitDeny: denied by statement "DenyEKS" of policy {deny}',
        f'  also denied by statement "DenyAll" of policy {everything}',
    ]
