"""``awsip sandbox`` as a user runs it: a subprocess that must finish by itself."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
KUBECTL = ROOT / ".tools" / "kubectl"


def sandbox_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "awsip", "sandbox", *args]


def test_sandbox_runs_the_examples_and_exits_zero(tmp_path: Path) -> None:
    # It exits by itself; the subprocess timeout only guards against a hang (no timed assertion).
    done = subprocess.run(
        sandbox_command("--workdir", str(tmp_path)), capture_output=True, text=True, timeout=90, cwd=tmp_path
    )

    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    header = re.search(
        r"^NAMESPACE\s+NAME\s+READY\s+REASON\s+ACCOUNT\s+ROLE\s+MISSING\s+AGE$", out, re.MULTILINE
    )
    assert header is not None, out
    assert re.search(
        r"^acme-workspace\s+acme-staging\s+False\s+MissingPermissions\s+123456789012\s+\S+\s+3\s", out, re.M
    )
    assert re.search(r"^acme-workspace\s+acme-production\s+True\s+Verified\s", out, re.M)
    assert "ec2:CreateNatGateway on *" in out  # the detail of a failing provider
    assert "5 of 5 providers ended as their examples expect" in out
    assert "UNEXPECTED" not in out


def test_sandbox_fails_when_an_example_ends_otherwise(tmp_path: Path) -> None:
    examples = tmp_path / "examples"
    examples.mkdir()
    (examples / "00-namespace.yaml").write_text((ROOT / "examples" / "00-namespace.yaml").read_text())
    wrong = yaml.safe_load((ROOT / "examples" / "acme-production.yaml").read_text())
    wrong["metadata"]["annotations"]["sandbox.awsip.io/expect-reason"] = "MissingPermissions"
    (examples / "acme-production.yaml").write_text(yaml.safe_dump(wrong))

    done = subprocess.run(
        sandbox_command("--workdir", str(tmp_path), "--examples", str(examples)),
        capture_output=True,
        text=True,
        timeout=90,
        cwd=tmp_path,
    )

    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        "UNEXPECTED: acme-workspace/acme-production: expected reason MissingPermissions, got Ready=True (Verified)"
        in (done.stdout)
    )


def test_sandbox_keeps_running_for_kubectl(tmp_path: Path) -> None:
    assert KUBECTL.exists(), "kubectl is missing: run `make tools` (scripts/fetch-tools.sh)"
    process = subprocess.Popen(
        sandbox_command("--workdir", str(tmp_path), "--keep-running"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        kubeconfig = None
        deadline = time.monotonic() + 60
        while kubeconfig is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            found = re.search(r"kubectl --kubeconfig (\S+) get awsip -A", line)
            kubeconfig = found.group(1) if found else None
        assert kubeconfig is not None, "no kubeconfig printed"

        listing = subprocess.run(
            [str(KUBECTL), "--kubeconfig", kubeconfig, "get", "awsip", "-A"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert listing.returncode == 0, listing.stderr
        assert re.search(
            r"NAMESPACE\s+NAME\s+READY\s+REASON\s+ACCOUNT\s+ROLE\s+MISSING\s+AGE", listing.stdout
        )
        assert re.search(r"acme-workspace\s+acme-shared\s+False\s+WildcardPrincipal", listing.stdout)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        finally:
            process.kill()
    assert process.returncode == 0
