"""configure_logging(): JSON/text lines, the provider on every line about one, secrets never printed."""

from __future__ import annotations

import asyncio
import contextvars
import io
import json
import logging
import threading
from typing import Any

import boto3
import kopf
import pytest
from kopf._core.engines import posting

from awsip.observability.logs import configure_logging, provider_context, provider_logger

pytestmark = pytest.mark.usefixtures("isolated_logging")

SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
EXTERNAL_ID = "tenant-7f3c-42"
BODY = {
    "apiVersion": "infrastructure.awsip.io/v1alpha1",
    "kind": "AWSInfrastructureProvider",
    "metadata": {"name": "aws-prod", "namespace": "team-a", "uid": "0b5c1f7e-0000-4000-8000-000000000001"},
}


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def json_logging(level: int | str = logging.INFO) -> io.StringIO:
    stream = io.StringIO()
    configure_logging("json", level, stream=stream)
    return stream


def test_json_lines_have_the_standard_fields() -> None:
    stream = json_logging()
    logging.getLogger("awsip.test").warning("hello %s", "world")
    [line] = lines(stream)
    assert line["level"] == "WARNING"
    assert line["logger"] == "awsip.test"
    assert line["message"] == "hello world"
    assert line["timestamp"].endswith("Z") and "T" in line["timestamp"]
    assert "namespace" not in line and "name" not in line


def test_level_is_honoured() -> None:
    stream = json_logging("WARNING")
    logging.getLogger("awsip.test").info("quiet")
    logging.getLogger("awsip.test").error("loud")
    assert [line["message"] for line in lines(stream)] == ["loud"]


def test_kopf_object_loggers_put_the_provider_on_the_line() -> None:
    stream = json_logging()
    settings = kopf.OperatorSettings()
    settings.posting.enabled = False
    kopf.ObjectLogger(body=BODY, settings=settings).info("verified")  # type: ignore[arg-type]
    kopf.LocalObjectLogger(body=BODY, settings=settings).info("handler succeeded")  # type: ignore[arg-type]
    for line in lines(stream):
        assert (line["namespace"], line["name"], line["logger"]) == ("team-a", "aws-prod", "kopf.objects")
        assert not {"k8s_ref", "k8s_skip", "settings"} & set(line)


def test_provider_context_reaches_plain_loggers_and_worker_threads() -> None:
    stream = json_logging()
    log = logging.getLogger("awsip.aws")
    with provider_context("team-b", "aws-dev"):
        log.info("inside")
        context = contextvars.copy_context()
        thread = threading.Thread(target=context.run, args=(log.info, "in a worker thread"))
        thread.start()
        thread.join()

        async def in_executor() -> None:
            await asyncio.to_thread(log.info, "via asyncio.to_thread")

        asyncio.run(in_executor())
    log.info("outside")
    got = [(line["message"], line.get("namespace"), line.get("name")) for line in lines(stream)]
    assert got == [
        ("inside", "team-b", "aws-dev"),
        ("in a worker thread", "team-b", "aws-dev"),
        ("via asyncio.to_thread", "team-b", "aws-dev"),
        ("outside", None, None),
    ]


def test_an_object_logger_wins_over_the_context() -> None:
    stream = json_logging()
    with provider_context("team-b", "aws-dev"):
        provider_logger(logging.getLogger("awsip.x"), "team-a", "aws-prod").info("mine")
        provider_logger(logging.getLogger("awsip.x"), None, "cluster-wide").info("no namespace")
    first, second = lines(stream)
    assert (first["namespace"], first["name"]) == ("team-a", "aws-prod")
    assert "namespace" not in second and second["name"] == "cluster-wide"


def test_extras_exceptions_and_stacks_are_fields() -> None:
    stream = json_logging()
    log = logging.getLogger("awsip.test")
    log.info("extra", extra={"role_arn": "arn:aws:iam::123456789012:role/x", "attempt": 2, "tags": ["a"]})
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("failed")
    log.info("where", stack_info=True)
    extra, failed, where = lines(stream)
    assert extra["role_arn"] == "arn:aws:iam::123456789012:role/x" and extra["attempt"] == 2
    assert extra["tags"] == ["a"]
    assert "RuntimeError: boom" in failed["exception"]
    assert "Stack (most recent call last)" in where["stack"]


def test_text_format_prefixes_the_provider_once() -> None:
    stream = io.StringIO()
    configure_logging("text", stream=stream)
    settings = kopf.OperatorSettings()
    settings.posting.enabled = False
    kopf.ObjectLogger(body=BODY, settings=settings).info("verified")  # type: ignore[arg-type]
    with provider_context("team-b", "aws-dev"):
        logging.getLogger("awsip.aws").warning("throttled")
    logging.getLogger("awsip").info("[team-c/p] already prefixed")
    first, second, third = stream.getvalue().splitlines()
    assert first.endswith("[INFO    ] [team-a/aws-prod] verified")
    assert second.endswith("[WARNING ] [team-b/aws-dev] throttled")
    assert third.endswith("[INFO    ] [team-c/p] already prefixed")


def test_reconfiguring_replaces_handlers_instead_of_duplicating_lines() -> None:
    kopf.configure(log_format=kopf.LogFormat.FULL)  # what `kopf run` does before the operator starts
    first = io.StringIO()
    configure_logging("json", stream=first)
    second = io.StringIO()
    handler = configure_logging("text", stream=second)
    logging.getLogger("awsip.test").info("once")
    assert first.getvalue() == ""
    assert second.getvalue().count("once") == 1
    root_handlers = logging.getLogger().handlers
    assert handler in root_handlers
    assert not [h for h in root_handlers if type(h).__name__ == "_KopfStreamHandler"]


def test_rejects_unknown_formats() -> None:
    with pytest.raises(ValueError, match="log format"):
        configure_logging("yaml")  # type: ignore[arg-type]


def test_secrets_never_reach_the_output() -> None:
    stream = json_logging(logging.DEBUG)
    log = logging.getLogger("awsip.test")
    credentials = {"AccessKeyId": ACCESS_KEY_ID, "SecretAccessKey": SECRET_KEY, "SessionToken": "x" * 3}
    log.info("credentials %s", credentials)
    log.info(f"f-string with {ACCESS_KEY_ID} and secret {SECRET_KEY}")
    log.debug(
        "assume_role kwargs: %r", {"RoleArn": "arn:aws:iam::123456789012:role/x", "ExternalId": EXTERNAL_ID}
    )
    log.info(
        "extras", extra={"external_id": EXTERNAL_ID, "detail": f"key {ACCESS_KEY_ID}", "nested": credentials}
    )
    try:
        raise ValueError(f"bad secret {SECRET_KEY} for ExternalId={EXTERNAL_ID}")
    except ValueError:
        log.exception("failed")
    log.warning("stack", stack_info=True, extra={"blob": {"sts:ExternalId": EXTERNAL_ID}})
    text = stream.getvalue()
    assert len(lines(stream)) == 6
    for secret in (ACCESS_KEY_ID, SECRET_KEY, EXTERNAL_ID):
        assert secret not in text
    assert text.count("***") >= 8


def test_secrets_are_masked_in_text_format_too() -> None:
    stream = io.StringIO()
    configure_logging("text", stream=stream)
    log = logging.getLogger("awsip.test")
    log.info("secret %s", SECRET_KEY)
    try:
        raise ValueError(f"ExternalId={EXTERNAL_ID}")
    except ValueError:
        log.exception("failed")
    assert SECRET_KEY not in stream.getvalue() and EXTERNAL_ID not in stream.getvalue()


async def test_kubernetes_events_posted_from_logs_are_masked() -> None:
    """With ``settings.posting.loggers`` on, Kopf posts ObjectLogger lines as Kubernetes events:
    those are masked as well (by the filter on ``kopf.objects``, before Kopf's posting handler)."""
    configure_logging("json", stream=io.StringIO())
    queue: asyncio.Queue[posting.K8sEvent] = asyncio.Queue()
    posting.event_queue_loop_var.set(asyncio.get_running_loop())
    posting.event_queue_var.set(queue)
    settings = kopf.OperatorSettings()
    settings.posting.loggers = True
    kopf.ObjectLogger(body=BODY, settings=settings).warning(  # type: ignore[arg-type]
        "cannot assume with ExternalId=%s and key %s", EXTERNAL_ID, ACCESS_KEY_ID
    )
    event = queue.get_nowait()
    assert event.ref["name"] == "aws-prod"
    assert EXTERNAL_ID not in event.message and ACCESS_KEY_ID not in event.message
    assert event.message == "cannot assume with ExternalId=*** and key AKIA***"


@pytest.mark.usefixtures("aws_env")
def test_botocore_debug_output_leaks_no_credentials() -> None:
    """Even at DEBUG, where botocore prints requests and responses, no credential gets through."""
    stream = json_logging(logging.DEBUG)
    session = boto3.Session()
    iam, sts = session.client("iam"), session.client("sts")
    trust = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}'
    arn = iam.create_role(RoleName="debug-logged", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    credentials = sts.assume_role(RoleArn=arn, RoleSessionName="awsip", ExternalId=EXTERNAL_ID)["Credentials"]
    assumed = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
    assumed.client("sts").get_caller_identity()

    text = stream.getvalue()
    assert "AssumeRole" in text and "GetCallerIdentity" in text  # botocore did log the calls
    for secret in (
        ACCESS_KEY_ID,
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        EXTERNAL_ID,
        credentials["AccessKeyId"],
        credentials["SecretAccessKey"],
        credentials["SessionToken"],
    ):
        assert secret not in text


async def test_provider_logger_over_a_kopf_logger_keeps_its_reference_and_extras() -> None:
    stream = json_logging()
    queue: asyncio.Queue[posting.K8sEvent] = asyncio.Queue()
    posting.event_queue_loop_var.set(asyncio.get_running_loop())
    posting.event_queue_var.set(queue)
    settings = kopf.OperatorSettings()
    settings.posting.loggers = True
    kopf_logger = kopf.ObjectLogger(body=BODY, settings=settings)  # type: ignore[arg-type]
    provider_logger(kopf_logger, "team-a", "aws-prod").warning("not ready", extra={"reason": "AccessDenied"})
    [line] = lines(stream)
    assert (line["namespace"], line["name"], line["reason"]) == ("team-a", "aws-prod", "AccessDenied")
    event = queue.get_nowait()
    assert event.ref["uid"] == BODY["metadata"]["uid"] and event.ref["kind"] == BODY["kind"]
    assert event.message == "not ready"
