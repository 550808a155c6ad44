"""The IAM policy engine: parse, match, conditions, simulate one request, coverage (pure library).

No AWS calls and no Kopf: the reconciler feeds it documents fetched elsewhere. See
docs/policy-engine.md for the semantics, the JSON output and the limits.
"""

from awsip.policy.coverage import check_coverage, clear_caches
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
from awsip.policy.simulate import simulate

__all__ = [
    "ActionResult",
    "CoverageReport",
    "Decision",
    "PolicyDocument",
    "PolicyParseError",
    "Request",
    "Statement",
    "StatementRef",
    "check_coverage",
    "clear_caches",
    "parse_policy",
    "simulate",
]
