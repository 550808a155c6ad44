"""Helpers of the real-Kubernetes tier: raw API calls, kubectl and helm against the control plane,
a watch recorder, and the Go helpers that judge statuses as Flux (kstatus) and Argo CD (gopher-lua) do.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from awsip.api import constants
from awsip.sandbox.apiserver import DEFAULT_TOOLS, ControlPlane

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".tools"
CRD_FILE = ROOT / "crds" / f"{constants.CRD_NAME}.yaml"
HEALTH_LUA = (
    ROOT / "gitops" / "argocd" / "infrastructure.awsip.io" / "AWSInfrastructureProvider" / "health.lua"
)
PROVIDERS_PATH = f"/apis/{constants.API_VERSION}/namespaces/{{namespace}}/{constants.PLURAL}"

Doc = dict[str, Any]


def binary(path: Path, how: str) -> Path:
    """A tool this tier needs; missing ones fail the test with how to get them (never a skip)."""
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"{path} is missing: {how}", pytrace=False)
    return path


def go_tool(name: str) -> Path:
    return binary(DEFAULT_TOOLS / name, "run `bash scripts/build-kube-tools.sh` (needs Go)")


@dataclass(frozen=True)
class Response:
    code: int
    body: Doc

    @property
    def message(self) -> str:
        return str(self.body.get("message", ""))


def call(
    control_plane: ControlPlane,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = None,
    content_type: str = "application/json",
    accept: str = "application/json",
) -> Response:
    """One API request; the status code and the decoded body, errors included (no exception)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        control_plane.url + path,
        data=data,
        method=method,
        headers={
            "Authorization": f"Bearer {token or control_plane.admin_token}",
            "Content-Type": content_type,
            "Accept": accept,
        },
    )
    context = ssl.create_default_context(cafile=str(control_plane.ca_file))
    try:
        with urllib.request.urlopen(request, timeout=30, context=context) as response:
            return Response(response.status, json.loads(response.read() or b"{}"))
    except urllib.error.HTTPError as exc:
        return Response(exc.code, json.loads(exc.read() or b"{}"))


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str

    def check(self) -> Run:
        assert self.returncode == 0, f"exit {self.returncode}\nstdout: {self.stdout}\nstderr: {self.stderr}"
        return self


def run(
    args: Sequence[str | Path],
    *,
    stdin: str | None = None,
    timeout: float = 120,
    env: Mapping[str, str] | None = None,
) -> Run:
    result = subprocess.run(
        [str(a) for a in args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **(env or {})},
    )
    return Run(result.returncode, result.stdout, result.stderr)


def kubectl(kubeconfig: Path, *args: str | Path, stdin: str | None = None, timeout: float = 120) -> Run:
    tool = binary(TOOLS / "kubectl", "run `make tools` to fetch kubectl")
    return run([tool, "--kubeconfig", kubeconfig, *args], stdin=stdin, timeout=timeout)


def helm(kubeconfig: Path, *args: str | Path, timeout: float = 180) -> Run:
    tool = binary(TOOLS / "helm", "run `make tools` to fetch helm")
    home = kubeconfig.parent / "helm-home"
    env = {
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    }
    return run([tool, "--kubeconfig", kubeconfig, *args], timeout=timeout, env=env)


def json_lines(text: str) -> list[Doc]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def kstatus(objects: Sequence[Doc]) -> list[tuple[str, str]]:
    """(status, message) of each object as sigs.k8s.io/cli-utils' kstatus computes it."""
    result = run([go_tool("kstatus")], stdin=json.dumps({"kind": "List", "items": list(objects)})).check()
    lines = json_lines(result.stdout)
    assert all("error" not in line for line in lines), lines
    return [(line["status"], line.get("message", "")) for line in lines]


def argocd_health(objects: Sequence[Doc], *, open_libs: bool = False, script: Path = HEALTH_LUA) -> list[Doc]:
    """What Argo CD's health check (gopher-lua) says of each object: {status, message} or {error}."""
    args: list[str | Path] = [go_tool("argocdhealth")]
    if open_libs:
        args.append("-open-libs")
    result = run([*args, script], stdin=json.dumps({"kind": "List", "items": list(objects)})).check()
    return [
        {k: v for k, v in line.items() if k in ("status", "message", "error")}
        for line in json_lines(result.stdout)
    ]


def wait_until(check: Callable[[], Any], *, timeout: float = 30, what: str = "the condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {timeout}s")
        time.sleep(0.2)


@dataclass
class Recorder:
    """Every version of one provider that a watch delivers, in order (the real status history)."""

    control_plane: ControlPlane
    namespace: str
    name: str
    objects: list[Doc] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Recorder:
        self._thread = threading.Thread(target=self._watch, daemon=True, name=f"watch-{self.name}")
        self._thread.start()
        return self

    def _watch(self) -> None:
        path = PROVIDERS_PATH.format(namespace=self.namespace)
        query = f"?watch=1&fieldSelector=metadata.name%3D{self.name}&timeoutSeconds=120"
        request = urllib.request.Request(
            self.control_plane.url + path + query,
            headers={"Authorization": f"Bearer {self.control_plane.admin_token}"},
        )
        context = ssl.create_default_context(cafile=str(self.control_plane.ca_file))
        with urllib.request.urlopen(request, timeout=130, context=context) as stream:
            for line in stream:
                if self._stop.is_set():
                    return
                event = json.loads(line)
                if event.get("type") in ("ADDED", "MODIFIED"):
                    self.objects.append(event["object"])

    def stop(self) -> list[Doc]:
        self._stop.set()
        return list(self.objects)
