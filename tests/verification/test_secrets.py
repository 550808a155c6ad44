"""No External ID, access key or session token in anything a verification produces.

Every string is collected from full runs over many paths (results, statuses, notes, log records)
and searched for the known secrets. Logs: awsip's own records at every level, and every other
library's at INFO and above (the operator's default level). botocore's DEBUG output (request
parameters, response bodies) is masked by awsip.observability's log filter and tested there; the
emulator's own logs (moto and werkzeug run in this process) are not the operator's.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import Stubber

from awsip.api.v1alpha1 import AWSInfrastructureProviderSpec
from awsip.aws.policy_simulator import SimulationResult
from awsip.profiles import load_profile
from awsip.sandbox.aws_seed import create_managed_policy, create_provider_role, without_actions
from awsip.status import build_status
from awsip.verification import ProviderRef, VerificationResult, verify
from tests.aws.moto_fixtures import Sandbox, closed_port
from tests.verification.fakes import FakeInputs, FakeSimulator

EXTERNAL_ID = "s3cr3t-ext-id-1f9b7c"
WRONG_EXTERNAL_ID = "wr0ng-ext-id-88aa21"
REF = ProviderRef("team-a", "prod")
EMULATOR_LOGGERS = ("moto", "werkzeug")


class Collected:
    def __init__(self, sandbox: Sandbox) -> None:
        self.secrets = {
            EXTERNAL_ID,
            WRONG_EXTERNAL_ID,
            sandbox.operator.access_key_id,
            sandbox.operator.secret_access_key,
        }
        self.strings: list[str] = []

    def capture_credentials(self, parsed: dict[str, Any], **_: Any) -> None:
        credentials = parsed.get("Credentials") or {}
        for key in ("AccessKeyId", "SecretAccessKey", "SessionToken"):
            if credentials.get(key):
                self.secrets.add(credentials[key])

    def add(self, result: VerificationResult) -> None:
        self.strings.append(repr(result))
        self.strings.append(json.dumps(build_status(result, None, generation=1, now=datetime.now(UTC))))


def test_no_secret_in_results_statuses_or_logs(sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    collected = Collected(sandbox)
    policy = create_managed_policy(
        sandbox.iam, "short", without_actions(load_profile("capa-minimal"), ["ec2:CreateVpc"])
    )
    role = create_provider_role(
        sandbox.iam,
        "capa",
        trusted_principal_arn=sandbox.operator.arn,
        external_id=EXTERNAL_ID,
        managed_policy_arns=[policy],
    )
    sandbox.auth()
    caplog.set_level(logging.DEBUG)
    inputs = FakeInputs(
        secrets={("team-a", "ext", "id"): EXTERNAL_ID, ("team-a", "bad", "id"): WRONG_EXTERNAL_ID}
    )

    def run(aws: Any, **fields: Any) -> None:
        spec = AWSInfrastructureProviderSpec.model_validate({"roleARN": role, **fields})
        collected.add(verify(REF, spec, aws=aws, inputs=inputs))

    aws = sandbox.services(session_tags=True)
    aws.session.events.register("after-call.sts.AssumeRole", collected.capture_credentials)
    run(aws, externalIDSecretRef={"name": "ext", "key": "id"})
    run(aws, externalIDSecretRef={"name": "bad", "key": "id"})
    run(aws, externalID=EXTERNAL_ID, verification={"probeExternalID": True})
    run(aws, externalIDSecretRef={"name": "missing", "key": "id"})
    aws.simulator_factory = lambda _client: FakeSimulator(lambda r: SimulationResult(r, "implicitDeny"))
    run(aws, externalID=EXTERNAL_ID, verification={"method": "Simulate"})

    down = sandbox.services()
    down.session.events.register("after-call.sts.AssumeRole", collected.capture_credentials)
    sandbox.monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{closed_port()}")
    run(sandbox.services(connect_timeout=1), externalID=EXTERNAL_ID)

    # An AWS error message that echoes the request (as validation errors may). AssumeRoleRejected
    # quotes only AWS's code; AccessDenied quotes AWS's message: both are tried.
    for code, status in (("ValidationError", 400), ("AccessDenied", 403)):
        echo = sandbox.services()
        sts = echo.operator_client("sts", "us-east-1")
        with Stubber(sts) as stubber:
            stubber.add_response(
                "get_caller_identity",
                {"UserId": "AIDA", "Account": "123456789012", "Arn": sandbox.operator.arn},
            )
            stubber.add_client_error(
                "assume_role",
                code,
                f"Value '{EXTERNAL_ID}' at 'externalId' failed to satisfy constraint",
                http_status_code=status,
            )
            spec = AWSInfrastructureProviderSpec.model_validate({"roleARN": role, "externalID": EXTERNAL_ID})
            result = verify(REF, spec, aws=echo, inputs=inputs)
        collected.add(result)
        if code == "AccessDenied":
            assert result.role_assumed.reason == "AccessDenied"
            assert "Value '***' at 'externalId'" in result.role_assumed.message
        else:
            assert result.role_assumed.reason == "AssumeRoleRejected"
            assert "(AWS: ValidationError)" in result.role_assumed.message

    assert len(collected.secrets) >= 4 + 3 * 3  # operator keys, External IDs, three sessions' credentials
    own = [r for r in caplog.records if r.name.startswith("awsip")]
    assert any("verified team-a/prod" in r.getMessage() for r in own)  # the verifications did log
    for record in caplog.records:
        if record.name.startswith(EMULATOR_LOGGERS):
            continue
        if record.levelno < logging.INFO and not record.name.startswith("awsip"):
            continue
        collected.strings.append(record.getMessage())
        if record.exc_info:
            collected.strings.append(logging.Formatter().formatException(record.exc_info))
    text = "\n".join(collected.strings)
    leaked = sorted(secret for secret in collected.secrets if secret in text)
    assert leaked == []
    # The runs did produce the messages that could have leaked.
    assert "AccessDenied" in text and "ExternalIDSecretNotFound" in text and "AWSUnavailable" in text
