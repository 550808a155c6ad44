"""Bounded label values: every label of an awsip metric takes values from a small, known set.

Prometheus keeps one time series per distinct label set, so a label fed from free text (an AWS
error code, a condition reason) could grow without limit. These helpers map anything outside the
expected vocabulary to ``"Other"``.
"""

from __future__ import annotations

import re
import threading
from typing import Final, Literal

OTHER: Final = "Other"

#: The ``result`` label of ``awsip_verifications_total`` (not :class:`awsip.verification.VerificationResult`).
VerificationOutcome = Literal["ready", "not_ready", "transient", "error"]
VERIFICATION_OUTCOMES: Final[frozenset[str]] = frozenset({"ready", "not_ready", "transient", "error"})

#: AWS error codes that get a series of their own; any other code is counted as "Other".
#: STS and IAM codes awsip meets, the generic AWS codes, and awsip's own codes for calls that
#: never got an HTTP response (see :func:`awsip.observability.botocore_hooks.exception_code`).
KNOWN_ERROR_CODES: Final[frozenset[str]] = frozenset(
    {
        # throttling
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "RequestThrottled",
        "SlowDown",
        # authentication and authorization
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "AuthFailure",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "MissingAuthenticationToken",
        "ExpiredToken",
        "ExpiredTokenException",
        "RequestExpired",
        "RegionDisabledException",
        "OptInRequired",
        # IAM
        "NoSuchEntity",
        "InvalidInput",
        "MalformedPolicyDocument",
        "LimitExceeded",
        "PolicyEvaluation",
        "ServiceFailure",
        # STS
        "PackedPolicyTooLarge",
        "IDPCommunicationError",
        "InvalidIdentityToken",
        "InvalidAuthorizationMessageException",
        # generic
        "ValidationError",
        "InvalidParameterValue",
        "InvalidAction",
        "InternalFailure",
        "InternalError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        # no HTTP response (awsip's own codes)
        "ConnectionError",
        "Timeout",
    }
)

_SERVICE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_OPERATION = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,127}$")
_REASON = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


def error_code_label(error_code: str | None) -> str:
    """``""`` for success, the code itself if known, otherwise ``"Other"``."""
    if not error_code:
        return ""
    return error_code if error_code in KNOWN_ERROR_CODES else OTHER


def service_label(service: str) -> str:
    """A botocore service name (``sts``, ``iam``): bounded by botocore's models."""
    return service if _SERVICE.match(service) else OTHER


def operation_label(operation: str) -> str:
    """A botocore operation name (``AssumeRole``): bounded by botocore's models."""
    return operation if _OPERATION.match(operation) else OTHER


def result_label(result: str) -> str:
    if result not in VERIFICATION_OUTCOMES:
        raise ValueError(
            f"verification result must be one of {sorted(VERIFICATION_OUTCOMES)}, not {result!r}"
        )
    return result


class ReasonLabels:
    """Condition reasons as a label: CamelCase identifiers, at most ``limit`` distinct values.

    The status builder owns the vocabulary of Ready reasons; this only guarantees the bound
    (a reason that is not an identifier, or arrives after ``limit`` others, becomes "Other").
    """

    def __init__(self, limit: int = 64) -> None:
        self._limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, reason: str) -> str:
        if not _REASON.match(reason):
            return OTHER
        with self._lock:
            if reason in self._seen:
                return reason
            if len(self._seen) >= self._limit:
                return OTHER
            self._seen.add(reason)
            return reason
