"""An answer that is not AWS's is a verdict, not an outage retried for ever (issue 13, item 3).

A proxy between the operator and moto answers chosen AWS operations with an HTML page, as a proxy
or firewall that intercepts HTTPS would. The verification must stop retrying (``transient`` is
False: the controller asks again at the provider's normal interval) and say what happened.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botocore.parsers import ResponseParserError

from awsip.api.condition_reasons import Reason
from awsip.api.v1alpha1 import AWSInfrastructureProviderSpec
from awsip.aws.errors import ErrorKind, classify_error
from awsip.status import build_status
from awsip.verification import ProviderRef, verify
from tests.aws.moto_fixtures import Sandbox
from tests.support.fault_proxy import FaultProxy, operation
from tests.verification.fakes import FakeInputs

EXTERNAL_ID = "ext-id-unparsable-1"
PAGE = (200, b"<!doctype html><html><title>Access blocked by proxy</title></html>", "text/html")
ERROR_PAGE = (502, b"<!doctype html><html><title>502 Bad Gateway</title></html>", "text/html")


def test_an_unparsable_answer_is_classified_apart_and_not_transient() -> None:
    error = ResponseParserError(
        "Unable to parse response (syntax error: line 1, column 0), invalid XML received. Further "
        "retries may succeed:\nb'<!doctype html><html>secret-looking-page</html>'"
    )
    classified = classify_error(error)
    assert classified is not None
    assert classified.kind is ErrorKind.UNPARSABLE and not classified.transient
    assert classified.message.startswith("Unable to parse response")
    assert "doctype" not in classified.message  # the page is someone else's: not quoted


@pytest.mark.parametrize("response", [PAGE, ERROR_PAGE], ids=["page", "error-page"])
@pytest.mark.parametrize("step", ["sts:GetCallerIdentity", "sts:AssumeRole", "iam:GetRole"])
def test_a_verification_that_gets_a_page_instead_of_an_answer_ends(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, step: str, response: tuple[int, bytes, str]
) -> None:
    role = sandbox.capa_role(EXTERNAL_ID)
    sandbox.auth()
    spec = AWSInfrastructureProviderSpec.model_validate({"roleARN": role, "externalID": EXTERNAL_ID})
    with FaultProxy(sandbox.endpoint) as proxy:
        proxy.inject(operation(step), response)
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        aws = sandbox.services()  # from the environment: through the proxy
        result = verify(ProviderRef("team-a", "prod"), spec, aws=aws, inputs=FakeInputs())

    assert not result.transient  # no retry loop: asked again at the next interval
    status = build_status(result, None, generation=1, now=datetime.now(UTC))
    conditions = {c["type"]: c for c in status["conditions"]}
    assert (conditions["Ready"]["status"], conditions["Ready"]["reason"]) == (
        "False",
        Reason.AWS_ANSWER_UNPARSABLE,
    )
    assert conditions["Stalled"]["status"] == "True"
    assert conditions["Reconciling"]["status"] == "False"
    message = conditions["Ready"]["message"]
    assert f"The answer to {step} is not in AWS's format" in message
    assert "something other than AWS answered" in message and "spec.verification.interval" in message
    assert "doctype" not in message and "Access blocked" not in message
