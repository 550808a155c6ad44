"""``awsip sandbox --kube apiserver``: the demo on the real control plane, where ``kubectl wait``
tells the truth (kmock answers "condition met" for any object it holds)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from awsip.sandbox import scenarios
from awsip.sandbox.apiserver import ControlPlane, ControlPlaneError
from tests.kubernetes_real.real_kube_helpers import kubectl

pytestmark = pytest.mark.kubernetes_real


def test_sandbox_on_the_real_control_plane(tmp_path: Path) -> None:
    log = tmp_path / "sandbox.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "awsip",
                "sandbox",
                "--kube",
                "apiserver",
                "--workdir",
                tmp_path / "work",
                "--timeout",
                "90",
                "--keep-running",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + 240
        while "The sandbox keeps running" not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
        text = log.read_text()
        assert "Kubernetes: kube-apiserver + etcd on https://127.0.0.1:" in text
        assert "5 of 5 providers ended as their examples expect" in text, text
        kubeconfig = tmp_path / "work" / "kubeconfig"
        namespace = scenarios.WORKSPACE_NAMESPACE
        ready = kubectl(
            kubeconfig,
            "wait",
            "--for=condition=Ready",
            "awsip/acme-production",
            "-n",
            namespace,
            "--timeout=10s",
        )
        assert ready.returncode == 0 and "condition met" in ready.stdout, ready
        failing = kubectl(
            kubeconfig, "wait", "--for=condition=Ready", "awsip/acme-staging", "-n", namespace, "--timeout=3s"
        )
        assert failing.returncode != 0 and "timed out" in failing.stderr, failing
    finally:
        process.terminate()
        process.wait(timeout=60)


def test_sandbox_says_why_without_the_control_plane(tmp_path: Path) -> None:
    """Nothing silently falls back to the emulator."""
    with pytest.raises(ControlPlaneError, match=r"kube-apiserver not found in .*build-kube-tools\.sh"):
        ControlPlane(tmp_path, tools=tmp_path / "no-tools").start()
