"""The IAM policy engine: parse, match, conditions, simulate one request, coverage (pure library).

No AWS calls and no Kopf: the reconciler feeds it documents fetched elsewhere. See
docs/policy-engine.md for the semantics, the JSON output and the limits.
"""

from awsip.policy.caches import EngineLimits
from awsip.policy.engine import PolicyEngine, check_coverage, clear_caches, default_engine, simulate
from awsip.policy.model import (
    Decision,
    PolicyDocument,
    PolicyParseError,
    Request,
    Statement,
    StatementRef,
)
from awsip.policy.parse import parse_policy
from awsip.policy.report import ActionResult, CoverageReport

__all__ = [
    "ActionResult",
    "CoverageReport",
    "Decision",
    "EngineLimits",
    "PolicyDocument",
    "PolicyEngine",
    "PolicyParseError",
    "Request",
    "Statement",
    "StatementRef",
    "check_coverage",
    "clear_caches",
    "default_engine",
    "parse_policy",
    "simulate",
]
