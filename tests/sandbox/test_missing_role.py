"""A provider whose role does not exist, in the sandbox: AWS's answer, not moto's (issue 13, item 3).

moto let AssumeRole of a missing role succeed; the session's calls then failed inside moto with a
500 whose body botocore could not parse, and the provider sat at ``Unknown``/``AWSUnavailable``
for ever with moto's traceback on the terminal at every retry. AWS answers AccessDenied.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from awsip.api import constants
from awsip.sandbox import scenarios
from awsip.sandbox.aws_seed import MotoServer, create_operator_user, create_provider_role
from awsip.sandbox.emulator_logs import EmulatorLogs
from awsip.sandbox.harness import Sandbox
from awsip.sandbox.verdicts import condition, is_settled, verdict
from tests.support.moto_accounts import in_account

MISSING = "arn:aws:iam::123456789012:role/capa-does-not-exist"


def session(
    moto: MotoServer, access_key: str, secret: str, token: str | None = None
) -> boto3.session.Session:
    return boto3.session.Session(
        aws_access_key_id=access_key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        region_name="us-east-1",
    )


@pytest.fixture()
def moto() -> Iterator[MotoServer]:
    with MotoServer() as server:
        server.reset()
        yield server


def test_assume_role_of_a_missing_role_is_access_denied(moto: MotoServer) -> None:
    operator = create_operator_user(moto.client("iam"))
    moto.set_iam_auth(True)
    sts = session(moto, operator.access_key_id, operator.secret_access_key).client(
        "sts", endpoint_url=moto.endpoint
    )
    with pytest.raises(ClientError) as denied:
        sts.assume_role(RoleArn=MISSING, RoleSessionName="awsip-test", ExternalId="abcd")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_existing_roles_of_this_and_other_accounts_are_still_assumed(moto: MotoServer) -> None:
    iam = moto.client("iam")
    operator = create_operator_user(iam)
    here = create_provider_role(iam, "capa-here", trusted_principal_arn=operator.arn)
    there = create_provider_role(in_account(moto.client("iam"), "444455556666"), "capa-there",
                                 trusted_principal_arn=operator.arn)  # fmt: skip
    moto.set_iam_auth(True)
    sts = session(moto, operator.access_key_id, operator.secret_access_key).client(
        "sts", endpoint_url=moto.endpoint
    )
    for role in (here, there):
        assert sts.assume_role(RoleArn=role, RoleSessionName="awsip-test")["AssumedRoleUser"]["Arn"]


def test_the_session_of_a_deleted_role_is_denied_not_a_500(moto: MotoServer) -> None:
    iam = moto.client("iam")
    operator = create_operator_user(iam)
    role = create_provider_role(iam, "capa-gone", trusted_principal_arn=operator.arn)
    moto.set_iam_auth(True)
    sts = session(moto, operator.access_key_id, operator.secret_access_key).client(
        "sts", endpoint_url=moto.endpoint
    )
    credentials = sts.assume_role(RoleArn=role, RoleSessionName="awsip-test")["Credentials"]
    moto.set_iam_auth(False)
    iam.delete_role(RoleName="capa-gone")
    moto.set_iam_auth(True)
    gone = session(
        moto, credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]
    )
    with pytest.raises(ClientError) as denied:
        gone.client("iam", endpoint_url=moto.endpoint).get_role(RoleName="capa-gone")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"


def test_emulator_log_lines_go_to_their_file_only(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    werkzeug = logging.getLogger("werkzeug")
    before = (werkzeug.level, list(werkzeug.handlers), werkzeug.propagate)
    logs = EmulatorLogs(tmp_path / "emulators.log").start()
    try:
        try:
            raise RuntimeError("moto failed inside")
        except RuntimeError:
            werkzeug.error("Error on request:", exc_info=True)
        logging.getLogger("werkzeug").info("POST / HTTP/1.1 200")  # below warnings: nowhere
    finally:
        logs.stop()
    assert (werkzeug.level, werkzeug.handlers, werkzeug.propagate) == before
    text = (tmp_path / "emulators.log").read_text()
    assert "Error on request:" in text and "RuntimeError: moto failed inside" in text
    assert "HTTP/1.1 200" not in text
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err


@pytest.mark.e2e
def test_the_sandbox_shows_access_denied_for_a_missing_role(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with Sandbox(tmp_path) as sandbox:
        assert sandbox.operator_user is not None
        scenarios.seed_roles(sandbox.iam(), sandbox.operator_user.arn)
        sandbox.enable_aws_auth()
        sandbox.start_operator()
        sandbox.client.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "missing"}})
        sandbox.client.apply(
            {
                "apiVersion": constants.API_VERSION,
                "kind": constants.KIND,
                "metadata": {"name": "gone", "namespace": "missing"},
                "spec": {"roleARN": MISSING, "externalID": "missing-ext-1"},
            }
        )
        provider = sandbox.wait_for_provider("missing", "gone", is_settled, what="a verdict")
    assert verdict(provider) == ("False", "AccessDenied")
    assert condition(provider, "RoleAssumed")["reason"] == "AccessDenied"
    assert condition(provider, "Stalled")["status"] == "True"
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
