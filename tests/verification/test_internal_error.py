"""A bug in awsip is a status, not a crash: ``verify()`` never raises.

Every AWS and user error has its own check; this is the net under them. A fault in any step (here
the trust analysis, after the role was assumed) must give the provider an Unknown
``InternalError`` verdict that is retried with backoff and never a false ``Ready``, and the
exception's text (which may quote an input such as the External ID) must reach only the log,
redacted there.
"""

from __future__ import annotations

import importlib
import logging
from datetime import UTC, datetime

import pytest

from awsip.api.condition_reasons import Reason
from awsip.api.v1alpha1 import AWSInfrastructureProviderSpec
from awsip.observability.logs import RedactFilter
from awsip.status import build_status
from awsip.verification import ProviderRef, verify
from tests.aws.moto_fixtures import Sandbox
from tests.verification.fakes import FakeInputs

EXTERNAL_ID = "ext-id-internal-error-7c1"
# The package exports the function under the module's name: the module itself from the importer.
verify_module = importlib.import_module("awsip.verification.verify")


def test_a_bug_in_a_step_becomes_an_internal_error_verdict(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    role = sandbox.capa_role(EXTERNAL_ID)
    sandbox.auth()
    calls: list[object] = []

    def broken_analysis(*args: object, **kwargs: object) -> object:
        calls.append(args)
        raise KeyError(f"no such key in {EXTERNAL_ID}")

    monkeypatch.setattr(verify_module, "analyze_trust_policy", broken_analysis)
    spec = AWSInfrastructureProviderSpec.model_validate({"roleARN": role, "externalID": EXTERNAL_ID})
    caplog.set_level(logging.ERROR, logger="awsip")

    result = verify(ProviderRef("team-a", "prod"), spec, aws=sandbox.services(), inputs=FakeInputs())

    assert calls, "the fault was reached: the role was assumed and its trust policy read"
    assert (result.role_assumed.status, result.role_assumed.reason) == ("Unknown", Reason.INTERNAL_ERROR)
    assert result.transient  # retried with backoff, like an AWS outage
    assert "KeyError" in result.role_assumed.message and "a bug in awsip" in result.role_assumed.message
    assert EXTERNAL_ID not in repr(result)

    status = build_status(result, None, generation=1, now=datetime.now(UTC))
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"]) == ("Unknown", Reason.INTERNAL_ERROR)
    assert EXTERNAL_ID not in str(status)

    records = [r for r in caplog.records if "failed unexpectedly" in r.getMessage()]
    assert len(records) == 1 and records[0].exc_info is not None
    RedactFilter().filter(records[0])
    assert records[0].exc_text and "KeyError" in records[0].exc_text
    assert EXTERNAL_ID not in records[0].exc_text and "***" in records[0].exc_text
