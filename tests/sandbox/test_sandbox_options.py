"""The parts of ``awsip sandbox`` that need no emulator (the whole command runs in tests/e2e).

A wrong option is one line on stderr and exit status 2, decided before any emulator starts.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from awsip.cli import build_parser, main
from awsip.commands.sandbox import DEFAULT_EXAMPLES, check, expectations, load_examples
from awsip.sandbox.manifests import ManifestError

NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata: {name: ws}\n"
PROVIDER = (
    "apiVersion: infrastructure.awsip.io/v1alpha1\nkind: AWSInfrastructureProvider\n"
    "metadata: {name: p, namespace: ws}\nspec: {roleARN: 'arn:aws:iam::123456789012:role/r'}\n"
)


def provider(
    name: str, ready: str | None, reason: str | None, *, reconciling: str = "False"
) -> dict[str, Any]:
    conditions = [{"type": "Reconciling", "status": reconciling, "reason": "x"}]
    if ready is not None:
        conditions.append({"type": "Ready", "status": ready, "reason": reason})
    return {"metadata": {"name": name, "namespace": "ws"}, "status": {"conditions": conditions}}


def test_expectations_come_from_the_annotation() -> None:
    docs = [
        {"kind": "Namespace", "metadata": {"name": "ws"}},
        {"kind": "AWSInfrastructureProvider", "metadata": {"name": "a", "namespace": "ws",
                                                           "annotations": {"sandbox.awsip.io/expect-reason": "Verified"}}},
        {"kind": "AWSInfrastructureProvider", "metadata": {"name": "b", "namespace": "ws"}},
    ]  # fmt: skip
    assert expectations(docs) == {("ws", "a"): "Verified", ("ws", "b"): None}


def test_check_reports_missing_unsettled_and_unexpected_verdicts() -> None:
    expected = {("ws", "ok"): "Verified", ("ws", "any"): None, ("ws", "wrong"): "AccessDenied",
                ("ws", "busy"): "Verified", ("ws", "gone"): None}  # fmt: skip
    providers = {
        ("ws", "ok"): provider("ok", "True", "Verified"),
        ("ws", "any"): provider("any", "False", "MissingPermissions"),
        ("ws", "wrong"): provider("wrong", "False", "WildcardPrincipal"),
        ("ws", "busy"): provider("busy", "True", "Verified", reconciling="True"),
        ("ws", "gone"): None,
    }
    assert check(providers, expected) == [
        "ws/busy: no verdict (Ready=True, reason Verified)",
        "ws/gone: no verdict (Ready=None, reason None)",
        "ws/wrong: expected reason AccessDenied, got Ready=False (WildcardPrincipal)",
    ]


def test_examples_are_read_in_file_order(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text(f"{PROVIDER}---\n---\n{NAMESPACE.replace('ws', 'other')}")
    (tmp_path / "a.yml").write_text(NAMESPACE)
    (tmp_path / "notes.txt").write_text("kind: X\n")
    assert [(d["kind"], d["metadata"]["name"]) for d in load_examples(tmp_path)] == [
        ("Namespace", "ws"),
        ("AWSInfrastructureProvider", "p"),
        ("Namespace", "other"),
    ]


def test_a_single_file_is_accepted_as_kubectl_apply_f_does() -> None:
    documents = load_examples(DEFAULT_EXAMPLES / "acme-development.yaml")
    assert [d["kind"] for d in documents] == ["Secret", "AWSInfrastructureProvider"]
    assert expectations(documents) == {("acme-workspace", "acme-development"): "Verified"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            f"{NAMESPACE}---\nkind: [unclosed\n",
            "bad.yaml, line 6: invalid YAML: expected ',' or ']', but got "
            "'<stream end>' (while parsing a flow sequence on line 5)",
        ),
        ("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n   bad: indent\n", "bad.yaml, line 5: "),
        (f"{NAMESPACE}---\n- a list\n", "bad.yaml: document 2: not a Kubernetes object"),
        ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n", "cannot apply 'Deployment'"),
        ("apiVersion: v1\nkind: Namespace\nmetadata: {}\n", "document 1: Namespace without metadata.name"),
    ],
)
def test_a_bad_manifest_names_the_file_and_where(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "bad.yaml").write_text(content)
    with pytest.raises(ManifestError) as info:
        load_examples(tmp_path)
    assert message in str(info.value)
    assert str(tmp_path / "bad.yaml") in str(info.value)


def test_the_command_line() -> None:
    args = build_parser().parse_args(["sandbox", "--keep-running", "--timeout", "5", "--examples", "x"])
    assert (args.keep_running, args.timeout, args.examples) == (True, 5.0, Path("x"))
    assert build_parser().parse_args(["sandbox"]).workdir == Path(".sandbox")


def bad_option(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Runs ``awsip sandbox ARGV``; it must refuse with exit 2 and one line, before starting anything."""
    code = main(["sandbox", *argv])
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert out == ""
    assert len(err.splitlines()) == 1 and err.startswith("awsip sandbox: "), err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--examples", "/nonexistent"], "--examples /nonexistent: no such file or folder"),
        (["--timeout", "-5"], "--timeout -5: give a positive number of seconds"),
        (["--timeout", "0"], "--timeout 0: give a positive number of seconds"),
        (["--timeout", "nan"], "--timeout nan: give a positive number of seconds"),
        (["--workdir", "/proc/nope"], "--workdir /proc/nope: cannot create it: "),
    ],
)
def test_a_bad_option_is_one_line_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert message in bad_option(argv, capsys)


def test_invalid_yaml_in_the_examples_folder_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "00-ok.yaml").write_text(NAMESPACE)
    (tmp_path / "10-broken.yaml").write_text(f"{PROVIDER}  oops: [\n")
    err = bad_option(["--examples", str(tmp_path), "--workdir", str(tmp_path / "w")], capsys)
    assert f"{tmp_path / '10-broken.yaml'}, line " in err
    assert not (tmp_path / "w").exists()  # refused before anything was prepared


def test_a_workdir_that_is_a_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("")
    err = bad_option(["--workdir", str(tmp_path / "file"), "--examples", str(DEFAULT_EXAMPLES)], capsys)
    assert "--workdir" in err and "cannot create it" in err


def test_examples_without_a_provider_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "ns.yaml").write_text(NAMESPACE)
    err = bad_option(["--examples", str(tmp_path / "ns.yaml")], capsys)
    assert "no AWSInfrastructureProvider manifests" in err


def test_refusing_an_option_imports_no_emulator(tmp_path: Path) -> None:
    import subprocess

    code = (
        "import sys\nfrom awsip.cli import main\n"
        "assert main(['sandbox', '--examples', '/nonexistent']) == 2\n"
        "print(sorted(m for m in ('moto', 'kmock', 'kopf', 'boto3') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
