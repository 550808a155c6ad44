from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    PartialCredentialsError,
    ReadTimeoutError,
)
from botocore.parsers import ResponseParserError

from awsip.aws.errors import ErrorKind, classify_error


def client_error(
    code: str, *, status: int = 400, operation: str = "AssumeRole", message: str = "m"
) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
        operation,
    )


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("AccessDenied", 403, ErrorKind.ACCESS_DENIED),
        ("AccessDeniedException", 400, ErrorKind.ACCESS_DENIED),
        ("UnauthorizedOperation", 403, ErrorKind.ACCESS_DENIED),
        ("InvalidClientTokenId", 403, ErrorKind.CREDENTIALS),
        ("ExpiredToken", 400, ErrorKind.CREDENTIALS),
        ("ExpiredTokenException", 400, ErrorKind.CREDENTIALS),
        ("SignatureDoesNotMatch", 403, ErrorKind.CREDENTIALS),
        ("UnrecognizedClientException", 400, ErrorKind.CREDENTIALS),
        ("Throttling", 400, ErrorKind.TRANSIENT),
        ("ThrottlingException", 400, ErrorKind.TRANSIENT),
        ("RequestLimitExceeded", 503, ErrorKind.TRANSIENT),
        ("ServiceUnavailable", 503, ErrorKind.TRANSIENT),
        ("InternalFailure", 500, ErrorKind.TRANSIENT),
        ("SomethingNew", 502, ErrorKind.TRANSIENT),
        ("SomethingNew", 429, ErrorKind.TRANSIENT),
        ("NoSuchEntity", 404, ErrorKind.NOT_FOUND),
        ("ValidationError", 400, ErrorKind.INVALID_REQUEST),
        ("RegionDisabledException", 403, ErrorKind.INVALID_REQUEST),
        ("SomethingNew", 400, ErrorKind.UNEXPECTED),
    ],
)
def test_client_errors_are_classified_by_code_then_status(code: str, status: int, kind: ErrorKind) -> None:
    classified = classify_error(client_error(code, status=status))
    assert classified is not None
    assert classified.kind is kind
    assert classified.code == code
    assert classified.http_status == status
    assert classified.operation == "AssumeRole"
    assert classified.transient == (kind in (ErrorKind.TRANSIENT, ErrorKind.UNEXPECTED))


def test_failures_of_the_operators_own_credential_provider_are_credential_errors() -> None:
    # IRSA: botocore calls AssumeRoleWithWebIdentity for the operator; AccessDenied there is not
    # about the provider's role.
    classified = classify_error(client_error("AccessDenied", operation="AssumeRoleWithWebIdentity"))
    assert classified is not None and classified.kind is ErrorKind.CREDENTIALS


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (NoCredentialsError(), ErrorKind.CREDENTIALS),
        (PartialCredentialsError(provider="env", cred_var="AWS_SECRET_ACCESS_KEY"), ErrorKind.CREDENTIALS),
        (CredentialRetrievalError(provider="sts", error_msg="x"), ErrorKind.CREDENTIALS),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), ErrorKind.TRANSIENT),
        (ConnectTimeoutError(endpoint_url="http://127.0.0.1:1"), ErrorKind.TRANSIENT),
        (ReadTimeoutError(endpoint_url="http://127.0.0.1:1"), ErrorKind.TRANSIENT),
        (ConnectionClosedError(endpoint_url="http://127.0.0.1:1"), ErrorKind.TRANSIENT),
        (ParamValidationError(report="bad"), ErrorKind.INVALID_REQUEST),
        (ResponseParserError("html from a proxy"), ErrorKind.UNPARSABLE),
    ],
)
def test_botocore_errors_are_classified_by_type(error: Exception, kind: ErrorKind) -> None:
    classified = classify_error(error)
    assert classified is not None
    assert classified.kind is kind
    assert classified.code == type(error).__name__


def test_other_exceptions_are_not_aws_errors() -> None:
    assert classify_error(ValueError("x")) is None
