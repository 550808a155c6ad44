"""AWS access behind small interfaces: STS, IAM reads, SimulatePrincipalPolicy, the policy-document
cache, the global rate limiter and the classification of botocore errors."""

from awsip.aws.cache import PolicyDocumentCache
from awsip.aws.errors import ClassifiedError, ErrorKind, classify_error
from awsip.aws.policy_simulator import (
    ContextEntry,
    IamPolicySimulator,
    PolicySimulator,
    SimulationRequest,
    SimulationResult,
)
from awsip.aws.ratelimit import TokenBucket
from awsip.aws.services import AwsServices, botocore_config
from awsip.aws.sts import CallerIdentity, TemporaryCredentials

__all__ = [
    "AwsServices",
    "CallerIdentity",
    "ClassifiedError",
    "ContextEntry",
    "ErrorKind",
    "IamPolicySimulator",
    "PolicyDocumentCache",
    "PolicySimulator",
    "SimulationRequest",
    "SimulationResult",
    "TemporaryCredentials",
    "TokenBucket",
    "botocore_config",
    "classify_error",
]
