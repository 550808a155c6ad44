"""``awsip run`` without Kubernetes credentials stops at once with one line (issue 13, item 7).

It used to log Kopf's login traceback and retry every 60 s for ever. The subprocess timeout only
guards against that hang; nothing here is timed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from awsip.commands.kube_credentials import source, where_looked


def run_awsip(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "KUBERNETES_SERVICE_HOST")}
    environ.update(HOME=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "-m", "awsip", "run", "-A", "--standalone"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environ,
        timeout=60,
    )


def test_nothing_configured_is_one_line_naming_every_place_looked(tmp_path: Path) -> None:
    done = run_awsip(tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("awsip run: no Kubernetes credentials: ")
    assert "KUBERNETES_SERVICE_HOST is not set" in line
    assert "KUBECONFIG is not set" in line
    assert f"~/.kube/config ({tmp_path / '.kube' / 'config'}) does not exist" in line


def test_a_kubeconfig_variable_naming_no_file(tmp_path: Path) -> None:
    done = run_awsip(tmp_path, KUBECONFIG=f"{tmp_path}/a{os.pathsep}{tmp_path}/b")
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert f"KUBECONFIG={tmp_path}/a{os.pathsep}{tmp_path}/b names no file that exists" in line


def test_a_kubeconfig_that_is_not_one(tmp_path: Path) -> None:
    (tmp_path / "garbage").write_text("just words\n")
    done = run_awsip(tmp_path, KUBECONFIG=str(tmp_path / "garbage"))
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"awsip run: cannot use KUBECONFIG={tmp_path / 'garbage'} (")
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("kubeconfig", "environ", "files", "expected"),
    [
        (None, {}, [".kube/config"], None),
        (None, {"KUBECONFIG": "{tmp}/missing:{tmp}/k"}, ["k"], None),
        (None, {"KUBERNETES_SERVICE_HOST": "10.0.0.1"}, ["token"], None),
        (
            None,
            {"KUBERNETES_SERVICE_HOST": "10.0.0.1"},
            [],
            "the service account token {tmp}/token is missing",
        ),
        ("{tmp}/explicit", {}, [".kube/config"], "the kubeconfig {tmp}/explicit does not exist"),
        ("{tmp}/explicit", {"KUBERNETES_SERVICE_HOST": "10.0.0.1"}, ["explicit"], None),
    ],
)
def test_where_looked(
    tmp_path: Path, kubeconfig: str | None, environ: dict[str, str], files: list[str], expected: str | None
) -> None:
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    tmp = str(tmp_path)
    found = where_looked(
        kubeconfig.format(tmp=tmp) if kubeconfig else None,
        {k: v.format(tmp=tmp) for k, v in environ.items()},
        home=tmp_path,
        token=tmp_path / "token",
    )
    if expected is None:
        assert found is None
    else:
        assert found is not None and expected.format(tmp=tmp) in found


def test_the_source_in_words(tmp_path: Path) -> None:
    assert source(None, {"KUBERNETES_SERVICE_HOST": "x"}, home=tmp_path) == "the in-cluster service account"
    assert source("/k", {}, home=tmp_path) == "the kubeconfig /k"
    assert source(None, {}, home=tmp_path) == f"~/.kube/config ({tmp_path}/.kube/config)"
