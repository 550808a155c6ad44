"""The one seam between the controller and AWS: the blocking ``verify`` call.

The runtime builds statuses, classifies results and reads Secrets with the real code
(:mod:`awsip.status`, :mod:`awsip.verification`); what a test or a benchmark replaces is the
verification itself, which talks to AWS. :func:`default_backend` wires the real one; the sandbox
and the tests pass a :class:`Backend` of their own (``handlers.BACKEND_KEY`` in Kopf's memo).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from awsip import verification
from awsip.api.v1alpha1 import AWSInfrastructureProviderSpec
from awsip.controller.config import OperatorConfig
from awsip.verification import ProviderInputs, VerificationResult
from awsip.verification.work_budget import WorkLimits

#: verify(namespace, name, spec, inputs) -> the result (BLOCKING: the runtime calls it in its AWS pool).
VerifyFn = Callable[[str, str, AWSInfrastructureProviderSpec, ProviderInputs], VerificationResult]


@dataclass(frozen=True)
class Backend:
    verify: VerifyFn
    #: Called once when the runtime closes.
    close: Callable[[], None] = lambda: None


def default_backend(config: OperatorConfig) -> Backend:
    """The real verification against AWS (boto3's default credential chain, AWS_ENDPOINT_URL)."""
    aws = verification.AwsServices.from_environment(
        sts_calls_per_second=config.sts_calls_per_second,
        account_calls_per_second=config.account_calls_per_second,
        calls_per_second=config.aws_calls_per_second,
        session_tags=config.session_tags,
    )

    aws.prepare_clients()  # not in the first verifications (see AwsServices.prepare_clients)

    limits = WorkLimits(cpu_seconds=config.policy_check_seconds, wall_seconds=4 * config.policy_check_seconds)
    # Set when the runtime closes (SIGTERM): the engine's work under way ends at its next checkpoint
    # instead of keeping the process alive (the pool's threads are joined at exit).
    stopping = threading.Event()

    def verify(
        namespace: str, name: str, spec: AWSInfrastructureProviderSpec, inputs: ProviderInputs
    ) -> VerificationResult:
        ref = verification.ProviderRef(namespace=namespace, name=name)
        return verification.verify(ref, spec, aws=aws, inputs=inputs, limits=limits, stopping=stopping)

    return Backend(verify=verify, close=stopping.set)
