"""The parts of ``awsip sandbox`` that need no emulator (the whole command runs in tests/e2e)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from awsip.cli import build_parser
from awsip.commands.sandbox import check, expectations, load_examples


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
    (tmp_path / "b.yaml").write_text("kind: B\n---\n---\nkind: C\n")
    (tmp_path / "a.yaml").write_text("kind: A\n")
    (tmp_path / "notes.txt").write_text("kind: X\n")
    assert [d["kind"] for d in load_examples(tmp_path)] == ["A", "B", "C"]
    with pytest.raises(FileNotFoundError, match="--examples"):
        load_examples(tmp_path / "missing")


def test_the_command_line() -> None:
    args = build_parser().parse_args(["sandbox", "--keep-running", "--timeout", "5", "--examples", "x"])
    assert (args.keep_running, args.timeout, args.examples) == (True, 5.0, Path("x"))
    assert build_parser().parse_args(["sandbox"]).workdir == Path(".sandbox")
