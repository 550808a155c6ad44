"""``analyze_trust_policy``: every check over one trust policy, combined into a :class:`TrustAnalysis`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from awsip.api.condition_reasons import FindingCode
from awsip.policy.parse import ParseProblem, parse_policy_tolerant
from awsip.textcap import cap
from awsip.trust.access_checks import check_access
from awsip.trust.context import Context
from awsip.trust.external_id_checks import check_external_id
from awsip.trust.principal_checks import check_allow_principals
from awsip.trust.statements import MAX_LABEL, covers_any_assume
from awsip.trust.verdict import FindingCollector, TrustAnalysis

_MALFORMED_FIX = "IAM rejects such documents; fix the policy so that awsip can analyse it fully."
_NOT_ANALYSED = "The statement was not analysed."


def analyze_trust_policy(
    document: Mapping[str, Any] | str | bytes,
    *,
    external_id_configured: bool,
    management_account_id: str | None = None,
    operator_principal_arn: str | None = None,
    role_arn: str | None = None,
) -> TrustAnalysis:
    """Analyse a role's trust policy (``AssumeRolePolicyDocument``).

    ``document`` is a mapping, JSON text, or URL-encoded JSON text. ``external_id_configured``
    says whether the provider passes an External ID. ``management_account_id`` and
    ``operator_principal_arn`` (an IAM role ARN or the assumed-role ARN GetCallerIdentity returns)
    identify the operator's principal; without them every AWS principal might be the operator.
    ``role_arn`` (the role the policy belongs to) tells same-account from cross-account trust.

    Never raises on a bad document: the policy parser's tolerant mode reads what it can, and
    every problem it met is a ``MalformedTrustPolicy`` finding.
    """
    context = Context.build(
        external_id_configured=external_id_configured,
        management_account_id=management_account_id,
        operator_principal_arn=operator_principal_arn,
        role_arn=role_arn,
    )
    findings = FindingCollector()
    parsed = parse_policy_tolerant(document, kind="trust")
    if parsed.document is None:
        # Nothing could be read: say why (the fatal problem), not what else was odd.
        for problem in parsed.problems:
            if problem.fatal and problem.statement is None:
                findings.add(
                    FindingCode.MALFORMED_TRUST_POLICY,
                    f"The trust policy could not be analysed: {problem.detail}. {_MALFORMED_FIX}",
                )
        return findings.result(external_id_enforced=False)
    _report_problems(parsed.problems, findings)
    statements = list(parsed.document.statements)
    for statement in statements:
        if statement.effect == "Allow" and covers_any_assume(statement):
            check_allow_principals(statement, context, findings)
    access = check_access(statements, context, findings)
    enforced = check_external_id(access, context, findings)
    return findings.result(external_id_enforced=enforced)


def _report_problems(problems: tuple[ParseProblem, ...], findings: FindingCollector) -> None:
    """One finding per problem of the document, and one per statement with problems (the fatal
    ones first; a statement with a fatal problem was left out of the analysis)."""
    by_statement: dict[int, list[ParseProblem]] = {}
    for problem in problems:
        if problem.statement is None:
            findings.add(
                FindingCode.MALFORMED_TRUST_POLICY,
                f"The trust policy is malformed: {problem.detail}. {_MALFORMED_FIX}",
            )
        else:
            by_statement.setdefault(problem.statement, []).append(problem)
    for index, found in by_statement.items():
        sid = found[0].sid
        label = cap(sid, MAX_LABEL) if sid else f"#{index}"
        ordered = [p for p in found if p.fatal] + [p for p in found if not p.fatal]
        consequence = f" {_NOT_ANALYSED}" if ordered[0].fatal else ""
        details = "; ".join(dict.fromkeys(p.detail for p in ordered))
        findings.add(
            FindingCode.MALFORMED_TRUST_POLICY,
            f"Statement {label} is malformed: {details}.{consequence} {_MALFORMED_FIX}",
            statement=label,
            index=index,
        )
