"""The API server refuses an interval past the bound (issue 14, item 6), before the operator sees it."""

from __future__ import annotations

import pytest

from awsip.api import constants
from awsip.sandbox.apiserver import ControlPlane
from awsip.sandbox.client import SandboxClient
from tests.kubernetes_real.conftest import ensure_namespace
from tests.kubernetes_real.real_kube_helpers import PROVIDERS_PATH, call

pytestmark = pytest.mark.kubernetes_real


@pytest.mark.parametrize(("interval", "accepted"), [("720h", True), ("721h", False), ("100000000h", False)])
def test_the_interval_is_bounded_at_admission(
    control_plane: ControlPlane, admin: SandboxClient, crd_installed: object, interval: str, accepted: bool
) -> None:
    namespace = ensure_namespace(admin, "real-interval-bound")
    name = "every-" + interval.lower()
    body = {
        "apiVersion": constants.API_VERSION,
        "kind": constants.KIND,
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"roleARN": "arn:aws:iam::123456789012:role/capa", "verification": {"interval": interval}},
    }
    response = call(control_plane, "POST", PROVIDERS_PATH.format(namespace=namespace), body)
    if accepted:
        assert response.code == 201, response.body
        call(control_plane, "DELETE", PROVIDERS_PATH.format(namespace=namespace) + f"/{name}")
    else:
        assert response.code == 422, response.body
        assert "spec.verification" in response.message and "at most 720h" in response.message
