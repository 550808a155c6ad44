"""``awsip`` imports only what the command it runs needs (issue 13, item 9).

The start-up times themselves are measured by ``benchmarks/cli_startup.py``, not here: what a test
can check without a clock is that the heavy libraries (about a second of imports) stay out.
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from awsip.cli import COMMANDS, build_parser, chosen_command

HEAVY = ("kopf", "kubernetes", "boto3", "botocore", "moto", "kmock", "pydantic", "aiohttp")
PROFILE = Path(__file__).resolve().parents[2] / "operator" / "awsip" / "profiles" / "capa-minimal.json"


def imported_after(argv: list[str], cwd: Path) -> tuple[int, list[str]]:
    """Runs ``awsip ARGV`` in a fresh interpreter; (exit code, the heavy modules it imported)."""
    code = (
        "import json, sys\nfrom awsip.cli import main\n"
        "try:\n    status = main(sys.argv[1:])\nexcept SystemExit as exc:\n    status = exc.code\n"
        f"heavy = sorted(m for m in {HEAVY!r} if m in sys.modules)\n"
        "print(json.dumps([status, heavy]), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=cwd, timeout=60
    )
    status, heavy = json.loads(done.stderr.strip().splitlines()[-1])
    return int(status or 0), list(heavy)


@pytest.mark.parametrize(
    "argv",
    [
        ["--version"],
        ["--help"],
        ["policy", "simulate", "--policy", str(PROFILE), "--action", "ec2:RunInstances", "--resource", "*"],
        ["policy", "check", "--policy", str(PROFILE)],
    ],
    ids=["version", "help", "simulate", "check"],
)
def test_quick_commands_import_no_heavy_library(argv: list[str], tmp_path: Path) -> None:
    status, heavy = imported_after(argv, tmp_path)
    assert status == 0
    assert heavy == []


def test_print_imports_only_the_api_types(tmp_path: Path) -> None:
    # It checks its options with the API types' patterns (pydantic), and needs nothing else.
    argv = ["policy", "print", "--kind", "management", "--account", "111122223333", "--role-name", "capa"]
    status, heavy = imported_after(argv, tmp_path)
    assert status == 0
    assert heavy == ["pydantic"]


def test_the_command_that_runs_still_gets_its_libraries(tmp_path: Path) -> None:
    # The check above would pass trivially if nothing were ever imported: `awsip crd` needs pydantic.
    status, heavy = imported_after(["crd"], tmp_path)
    assert status == 0
    assert "pydantic" in heavy


def test_the_help_lines_are_the_commands_own() -> None:
    parser = build_parser()  # every command in full
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    own = {choice.dest: choice.help for choice in subparsers._choices_actions}
    assert own == {name: help_line for name, (_, help_line) in COMMANDS.items()}
    for name, (module, _) in COMMANDS.items():
        assert hasattr(importlib.import_module(module), "add_parser"), name


@pytest.mark.parametrize(
    ("argv", "command"),
    [(["--version"], None), (["policy", "print"], "policy"), (["-h", "run", "-A"], "run"), (["nope"], None)],
)
def test_the_chosen_command(argv: list[str], command: str | None) -> None:
    assert chosen_command(argv) == command
