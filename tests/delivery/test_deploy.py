"""deploy/: the plain manifests and kustomize base are the chart rendered with defaults."""

from __future__ import annotations

import subprocess

import kubernetes_validate
import pytest
import yaml

from tests.delivery.delivery_helpers import (
    CRD_FILE,
    DEPLOY,
    KUBERNETES_VERSION,
    NAMESPACE,
    ROOT,
    Doc,
    by_kind,
    load_script,
    load_yaml,
    render,
    tool,
)

render_deploy = load_script(ROOT / "scripts" / "render-deploy.py", "render_deploy")


def identity(doc: Doc) -> tuple[str, str, str | None, str]:
    return (doc["apiVersion"], doc["kind"], doc["metadata"].get("namespace"), doc["metadata"]["name"])


def test_committed_deploy_matches_a_fresh_render() -> None:
    files = render_deploy.render(tool("helm"))
    assert sorted(files) == sorted(p.name for p in DEPLOY.iterdir())
    for name, text in files.items():
        assert (DEPLOY / name).read_text() == text, (
            f"deploy/{name} is stale: run `.venv/bin/python scripts/render-deploy.py` and commit the result"
        )


def test_deploy_holds_the_charts_objects_without_helm_bookkeeping() -> None:
    installed = load_yaml(DEPLOY / "install.yaml")
    chart = render(extra=["--include-crds", "--skip-tests"])
    assert [identity(d) for d in installed if d["kind"] != "Namespace"] == sorted(
        (identity(d) for d in chart), key=lambda i: (i[1] != "CustomResourceDefinition",)
    )
    by_id = {identity(d): d for d in chart}
    for doc in installed:
        if doc["kind"] == "Namespace":
            continue
        expected = by_id[identity(doc)]
        labels = dict(expected["metadata"].get("labels", {}))
        assert labels.pop("app.kubernetes.io/managed-by", "Helm") == "Helm"
        labels.pop("helm.sh/chart", None)
        assert doc["metadata"].get("labels", {}) == labels
        assert {k: v for k, v in doc.items() if k != "metadata"} == {
            k: v for k, v in expected.items() if k != "metadata"
        }
    assert not by_kind(installed, "Pod"), "the helm test pod is not part of the plain install"


def test_namespace_comes_first_and_enforces_restricted_pod_security() -> None:
    installed = load_yaml(DEPLOY / "install.yaml")
    namespace = installed[0]
    assert (namespace["kind"], namespace["metadata"]["name"]) == ("Namespace", NAMESPACE)
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    crd_positions = [i for i, d in enumerate(installed) if d["kind"] == "CustomResourceDefinition"]
    assert crd_positions == [1, 2, 3], "CRDs right after the namespace, before anything else"


def test_deploy_contains_the_generated_crd() -> None:
    installed = load_yaml(DEPLOY / "install.yaml")
    crd = yaml.safe_load(CRD_FILE.read_text())
    assert crd in installed


def test_plain_manifests_validate() -> None:
    for doc in load_yaml(DEPLOY / "install.yaml"):
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_kustomize_builds_the_same_objects() -> None:
    result = subprocess.run(
        [str(tool("kubectl")), "kustomize", str(DEPLOY)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    built = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    installed = load_yaml(DEPLOY / "install.yaml")
    assert sorted(map(identity, built)) == sorted(map(identity, installed))
    by_id = {identity(d): d for d in installed}
    for doc in built:
        assert doc == by_id[identity(doc)]


def test_render_script_check_mode_passes() -> None:
    assert render_deploy.main(["--check"]) == 0


def test_render_script_without_helm_says_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HELM", "/nonexistent/helm")
    assert render_deploy.main(["--check"]) == 2
    assert "run `make tools`" in capsys.readouterr().err
