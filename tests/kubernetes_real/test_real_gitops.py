"""The GitOps readings with the real engines, on every sample of gitops/argocd/.../testdata.

Argo CD: health.lua under gopher-lua with the libraries Argo CD opens for a check from argocd-cm
(base, table, a safe os: no string, no math), and with the whole standard library (what
``resource.customizations.useOpenLibs`` gives); both must give health_test.yaml's answers, which
the fast tier checks with lupa. Flux: sigs.k8s.io/cli-utils' kstatus, compared with the fast
tier's reading of it (tests/delivery/test_gitops.py). The statuses the operator writes on a real
API server are judged by both in test_real_operator.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.delivery.test_gitops import HEALTH_CASES, HEALTH_DIR, all_samples, sample
from tests.delivery.test_gitops import kstatus as emulated_kstatus
from tests.kubernetes_real.real_kube_helpers import argocd_health, kstatus

pytestmark = pytest.mark.kubernetes_real


@pytest.mark.parametrize("open_libs", [False, True], ids=["argocd-cm", "open-libs"])
def test_health_lua_under_gopher_lua_gives_the_expected_health(open_libs: bool) -> None:
    objects = [yaml.safe_load((HEALTH_DIR / case["inputPath"]).read_text()) for case in HEALTH_CASES]
    results = argocd_health(objects, open_libs=open_libs)
    for case, result in zip(HEALTH_CASES, results, strict=True):
        assert result == case["healthStatus"], Path(case["inputPath"]).stem


def test_a_script_that_needs_the_string_library_fails_as_in_argo_cd(tmp_path: Path) -> None:
    """The helper really withholds the string library (the bug health.lua had until it avoided it)."""
    script = tmp_path / "health.lua"
    script.write_text('return {status = "Healthy", message = string.format("%d", 1)}\n')
    (without,) = argocd_health([sample("ready")], script=script)
    (with_libs,) = argocd_health([sample("ready")], open_libs=True, script=script)
    assert "error" in without and "format" in without["error"]
    assert with_libs == {"status": "Healthy", "message": "1"}


def test_argo_cd_refuses_an_unknown_health_status(tmp_path: Path) -> None:
    script = tmp_path / "health.lua"
    script.write_text('return {status = "Fine", message = "m"}\n')
    assert argocd_health([sample("ready")], script=script) == [
        {"status": "Unknown", "message": "Lua returned an invalid health status"}
    ]


def test_kstatus_library_agrees_with_the_fast_tiers_reading() -> None:
    names = all_samples()
    objects = [sample(name) for name in names]
    deleting = sample("ready")
    deleting["metadata"]["deletionTimestamp"] = "2026-01-10T11:00:00Z"
    objects.append(deleting)
    real = kstatus(objects)
    emulated = [emulated_kstatus(obj) for obj in objects]
    assert [status for status, _ in real] == [status for status, _ in emulated], list(
        zip([*names, "deleting"], real, emulated, strict=True)
    )
