"""What the controller needs from the core library, in one place.

The runtime only calls the functions bundled in :class:`Backend`; :func:`default_backend` wires
the real ones (:mod:`awsip.verification`, :mod:`awsip.status`), and unit tests pass fakes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from awsip.api.types import AWSInfrastructureProviderSpec
from awsip.controller.config import OperatorConfig


class Inputs(Protocol):
    def secret_value(self, namespace: str, name: str, key: str) -> str: ...

    def configmap_value(self, namespace: str, name: str, key: str) -> str: ...


#: verify(namespace, name, spec, inputs) -> an opaque result, handed to build_status (BLOCKING).
VerifyFn = Callable[[str, str, AWSInfrastructureProviderSpec, Inputs], Any]


@dataclass(frozen=True)
class Backend:
    verify: VerifyFn
    build_status: Callable[..., dict[str, Any]]
    status_changed: Callable[[Mapping[str, Any] | None, Mapping[str, Any]], bool]
    reconciling_status: Callable[[Mapping[str, Any] | None, int | None, datetime, str], dict[str, Any]]
    is_transient: Callable[[Any], bool]
    input_error: Callable[[str], Exception]
    unavailable_error: Callable[[str], Exception]
    close: Callable[[], None] = lambda: None


def default_backend(config: OperatorConfig) -> Backend:
    """The real verification against AWS (boto3's default credential chain, AWS_ENDPOINT_URL)."""
    from awsip import status, verification

    aws = verification.AwsServices.from_environment(
        calls_per_second=config.aws_calls_per_second, session_tags=config.session_tags
    )

    def verify(namespace: str, name: str, spec: AWSInfrastructureProviderSpec, inputs: Inputs) -> Any:
        ref = verification.ProviderRef(namespace=namespace, name=name)
        return verification.verify(ref, spec, aws=aws, inputs=inputs)

    def reconciling(
        previous: Mapping[str, Any] | None, generation: int | None, now: datetime, message: str
    ) -> dict[str, Any]:
        return status.reconciling_status(previous, generation, now, message)

    return Backend(
        verify=verify,
        build_status=status.build_status,
        status_changed=status.status_changed,
        reconciling_status=reconciling,
        is_transient=lambda result: bool(result.transient),
        input_error=verification.InputNotFoundError,
        unavailable_error=verification.InputUnavailableError,
    )
