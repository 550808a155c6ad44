"""``analyze_trust_policy``: every check over one trust policy, combined into a :class:`TrustAnalysis`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from awsip.trust import codes
from awsip.trust.access_checks import check_access
from awsip.trust.actions import covers_any_assume
from awsip.trust.context import Context
from awsip.trust.document import MalformedDocumentError, decode, parse_document
from awsip.trust.external_id_checks import check_external_id
from awsip.trust.principal_checks import check_allow_principals
from awsip.trust.result import FindingCollector, TrustAnalysis

_MALFORMED_FIX = "IAM rejects such documents; fix the policy so that awsip can analyse it fully."


def analyze_trust_policy(
    document: Mapping[str, Any] | str,
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

    Never raises on a bad document: malformed input is a ``MalformedTrustPolicy`` finding.
    """
    context = Context.build(
        external_id_configured=external_id_configured,
        management_account_id=management_account_id,
        operator_principal_arn=operator_principal_arn,
        role_arn=role_arn,
    )
    findings = FindingCollector()
    try:
        parsed = parse_document(decode(document))
    except MalformedDocumentError as error:
        findings.add(
            codes.MALFORMED_TRUST_POLICY,
            f"The trust policy could not be analysed: {error}. {_MALFORMED_FIX}",
        )
        return findings.result(external_id_enforced=False)

    for problem in parsed.problems:
        where = f"Statement {problem.label}" if problem.label else "The trust policy"
        findings.add(
            codes.MALFORMED_TRUST_POLICY,
            f"{where} is malformed: {problem.message} {_MALFORMED_FIX}",
            statement=problem.label,
            index=problem.index,
        )
    for statement in parsed.statements:
        if statement.effect == "Allow" and covers_any_assume(statement):
            check_allow_principals(statement, context, findings)
    access = check_access(parsed.statements, context, findings)
    enforced = check_external_id(access, context, findings)
    return findings.result(external_id_enforced=enforced)
