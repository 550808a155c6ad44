"""A huge interval is an invalid spec, not an endless loop (issue 14, item 6).

``interval: 100000000h`` made every turn fail (``OverflowError: date value out of range``) and the
provider was verified again every few seconds, forever. kmock does not enforce the CRD's schema
(as an API server with an old CRD would not): the operator's own validation refuses it.
"""

from __future__ import annotations

import pytest

from awsip.sandbox import scenarios
from awsip.sandbox.harness import Sandbox
from tests.e2e.e2e_helpers import condition, has_verdict, provider

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("interval", ["100000000h", "721h"])
def test_an_interval_past_the_bound_is_an_invalid_spec(
    sandbox: Sandbox, namespace: str, interval: str
) -> None:
    spec = {
        "roleARN": scenarios.PRODUCTION.arn,
        "externalID": scenarios.PRODUCTION.external_id,
        "verification": {"interval": interval},
    }
    name = f"every-{interval}"
    sandbox.client.apply(provider(namespace, name, spec))

    obj = sandbox.wait_for_provider(namespace, name, has_verdict("False", "InvalidSpec"))

    assert condition(obj, "Stalled")["status"] == "True"
    assert "verification.interval" in condition(obj, "Ready")["message"]
    assert "RoleAssumed" not in {c["type"] for c in obj["status"]["conditions"]}  # no AWS call
