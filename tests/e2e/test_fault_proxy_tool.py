"""The fault-injecting proxy of the e2e tests (tests/support/fault_proxy.py) does what they rely on."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from tests.support.fault_proxy import FaultProxy, aws_error, operation
from tests.support.http_upstream import http_upstream


@pytest.fixture()
def proxy() -> Iterator[FaultProxy]:
    with http_upstream() as port, FaultProxy(f"http://127.0.0.1:{port}") as faults:
        yield faults


def post(proxy: FaultProxy, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(
        proxy.endpoint + "/",
        data=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/sts/aws4_request, "
            "SignedHeaders=host, Signature=0",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_requests_pass_unchanged_and_are_recorded(proxy: FaultProxy) -> None:
    status, body = post(proxy, b"Action=AssumeRole&RoleArn=x")
    assert status == 200
    assert body == b"Action=AssumeRole&RoleArn=x|host=" + proxy.endpoint.removeprefix("http://").encode()
    [seen] = proxy.seen()
    assert (seen.operation, seen.access_key, seen.params["RoleArn"], seen.status) == (
        "sts:AssumeRole",
        "AKIAEXAMPLE",
        "x",
        200,
    )


def test_a_fault_answers_the_requests_it_matches_as_often_as_asked(proxy: FaultProxy) -> None:
    fault = proxy.inject(operation("sts:AssumeRole"), aws_error("ExpiredToken", "expired"), times=2)
    assert post(proxy, b"Action=GetCallerIdentity")[0] == 200
    for _ in range(2):
        status, body = post(proxy, b"Action=AssumeRole")
        assert status == 400 and b"<Code>ExpiredToken</Code>" in body
    assert post(proxy, b"Action=AssumeRole")[0] == 200
    assert fault.hits == 2
    assert [r.faulted for r in proxy.seen()] == [False, True, True, False]
