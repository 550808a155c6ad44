"""The IAM policy engine: parse (the one reader of policy documents), match, simulate, coverage (pure library).

No AWS calls and no Kopf: the reconciler feeds it documents fetched elsewhere. See
docs/policy-engine.md for the semantics, the JSON output and the limits.
"""

from awsip.policy.caches import EngineLimits
from awsip.policy.decoding import decode_document
from awsip.policy.engine import PolicyEngine, check_coverage, default_engine, simulate
from awsip.policy.model import (
    Decision,
    PolicyDocument,
    PolicyParseError,
    Request,
    Statement,
    StatementRef,
)
from awsip.policy.parse import ParseProblem, PolicyKind, TolerantParse, parse_policy, parse_policy_tolerant
from awsip.policy.report import ActionResult, CoverageReport

__all__ = [
    "ActionResult",
    "CoverageReport",
    "Decision",
    "EngineLimits",
    "ParseProblem",
    "PolicyDocument",
    "PolicyEngine",
    "PolicyKind",
    "PolicyParseError",
    "Request",
    "Statement",
    "StatementRef",
    "TolerantParse",
    "check_coverage",
    "decode_document",
    "default_engine",
    "parse_policy",
    "parse_policy_tolerant",
    "simulate",
]
