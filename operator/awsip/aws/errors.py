"""Classification of botocore errors (pure: no I/O).

Every failure of an AWS call falls in one of a few kinds, and what the operator does about it
depends only on the kind: a person must change something (access denied, invalid request), the
operator's own credentials are missing or broken, the failure is transient and worth a retry
with backoff (throttling, timeouts, 5xx, connection errors), or the answer was not AWS's.

An unparsable answer (botocore's ``ResponseParserError``) is not an outage and is not retried
as one. AWS answers in its protocol, errors and throttling included; a body botocore cannot parse
comes from something else in the path -- a proxy or firewall that intercepts HTTPS and answers
with its own page, an ``AWS_ENDPOINT_URL`` that is not AWS, an emulator that failed -- and
waiting does not fix that, while retrying it with backoff showed ``Unknown``/``AWSUnavailable``
for ever. It is :attr:`ErrorKind.UNPARSABLE`: the provider gets a verdict that says so
(``AWSAnswerUnparsable``, Stalled) and is verified again at its normal interval or when its
spec changes; a one-off glitch costs at most one interval.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    CredentialRetrievalError,
    HTTPClientError,
    NoCredentialsError,
    ParamValidationError,
    PartialCredentialsError,
    TokenRetrievalError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.parsers import ResponseParserError

#: Every exception type a boto3 call raises for AWS-side or transport reasons (not bugs).
#: botocore's ResponseParserError (an unparsable body, e.g. a proxy's HTML error page) is no
#: BotoCoreError.
AWS_ERRORS: tuple[type[Exception], ...] = (ClientError, BotoCoreError, ResponseParserError)


class ErrorKind(enum.Enum):
    ACCESS_DENIED = "AccessDenied"
    """The caller is not allowed to do this: a person must change a policy (user-fixable)."""
    NOT_FOUND = "NotFound"
    """The entity does not exist (NoSuchEntity)."""
    INVALID_REQUEST = "InvalidRequest"
    """AWS rejected the request's parameters (user-fixable, e.g. DurationSeconds too long)."""
    CREDENTIALS = "Credentials"
    """The caller's credentials are missing, invalid or expired."""
    TRANSIENT = "Transient"
    """Throttling, timeouts, 5xx, connection errors: retry with backoff."""
    UNEXPECTED = "Unexpected"
    """Anything else; treated like a transient error (retried with backoff)."""
    UNPARSABLE = "Unparsable"
    """The answer is not in AWS's format: something else answered (see the module docs). Not
    transient: reported, and asked again at the next regular verification."""


ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedAccess",
        "AuthorizationError",
        "Forbidden",
    }
)
CREDENTIALS_CODES = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "InvalidAccessKeyId",
        "InvalidToken",
        "ExpiredToken",
        "ExpiredTokenException",
        "RequestExpired",
        "MissingAuthenticationToken",
        "InvalidIdentityToken",
        "IDPRejectedClaim",
    }
)
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
        "BandwidthLimitExceeded",
    }
)
SERVER_ERROR_CODES = frozenset(
    {
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "ServiceFailure",
        "InternalFailure",
        "InternalError",
        "InternalServerError",
        "InternalServiceError",
        "RequestTimeout",
        "RequestTimeoutException",
        "IDPCommunicationError",
        "ConcurrentModification",
    }
)
NOT_FOUND_CODES = frozenset({"NoSuchEntity", "NoSuchEntityException"})
INVALID_REQUEST_CODES = frozenset(
    {
        "ValidationError",
        "ValidationException",
        "InvalidInput",
        "InvalidParameterValue",
        "InvalidParameterCombination",
        "MalformedPolicyDocument",
        "PackedPolicyTooLarge",
        "RegionDisabledException",
    }
)
#: STS operations that botocore's credential providers call for the operator itself (IRSA, SSO,
#: role profiles): any failure there is a problem of the operator's credentials.
CREDENTIAL_PROVIDER_OPERATIONS = frozenset(
    {"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML", "GetRoleCredentials"}
)


@dataclass(frozen=True)
class ClassifiedError:
    kind: ErrorKind
    code: str
    """The AWS error code, or the botocore exception's class name."""
    operation: str
    """The AWS operation that failed (empty when unknown)."""
    message: str
    """AWS's own message. Redact it before showing it: it may echo request parameters."""
    http_status: int | None = None

    @property
    def transient(self) -> bool:
        return self.kind in (ErrorKind.TRANSIENT, ErrorKind.UNEXPECTED)


def classify_error(error: BaseException) -> ClassifiedError | None:
    """The kind of an exception raised by a boto3 call, or None if it is not an AWS/botocore error."""
    if isinstance(error, ClientError):
        return _classify_client_error(error)
    if isinstance(error, BotoCoreError):
        return _classify_botocore_error(error)
    if isinstance(error, ResponseParserError):
        # botocore's first line says what it expected; the rest is the body, someone else's page.
        first_line = str(error).splitlines()[0].removesuffix(":").strip() if str(error) else ""
        return ClassifiedError(ErrorKind.UNPARSABLE, type(error).__name__, "", first_line[:200])
    return None


def _classify_client_error(error: ClientError) -> ClassifiedError:
    response = error.response if isinstance(error.response, dict) else {}
    details = response.get("Error") or {}
    code = str(details.get("Code") or "Unknown")
    message = str(details.get("Message") or "")
    metadata = response.get("ResponseMetadata") or {}
    status = metadata.get("HTTPStatusCode")
    http_status = status if isinstance(status, int) else None
    operation = str(error.operation_name or "")

    if operation in CREDENTIAL_PROVIDER_OPERATIONS:
        kind = ErrorKind.CREDENTIALS
    elif code in THROTTLING_CODES or code in SERVER_ERROR_CODES:
        kind = ErrorKind.TRANSIENT
    elif code in ACCESS_DENIED_CODES:
        kind = ErrorKind.ACCESS_DENIED
    elif code in CREDENTIALS_CODES:
        kind = ErrorKind.CREDENTIALS
    elif code in NOT_FOUND_CODES:
        kind = ErrorKind.NOT_FOUND
    elif code in INVALID_REQUEST_CODES:
        kind = ErrorKind.INVALID_REQUEST
    elif http_status is not None and (http_status >= 500 or http_status == 429):
        kind = ErrorKind.TRANSIENT
    else:
        kind = ErrorKind.UNEXPECTED
    return ClassifiedError(kind, code, operation, message, http_status)


def _classify_botocore_error(error: BotoCoreError) -> ClassifiedError:
    code = type(error).__name__
    if isinstance(
        error, NoCredentialsError | PartialCredentialsError | CredentialRetrievalError | TokenRetrievalError
    ):
        kind = ErrorKind.CREDENTIALS
    elif isinstance(error, ParamValidationError):
        # botocore's client-side validation of parameters (lengths, patterns).
        kind = ErrorKind.INVALID_REQUEST
    elif isinstance(error, HTTPClientError | BotoConnectionError):
        # EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError, ...
        kind = ErrorKind.TRANSIENT
    else:
        kind = ErrorKind.UNEXPECTED
    return ClassifiedError(kind, code, "", _botocore_message(error))


def _botocore_message(error: BotoCoreError) -> str:
    # botocore's messages name the endpoint or the credential source, never credentials.
    return str(error)
