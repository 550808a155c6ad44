"""Findings about sts:ExternalId: configured but not enforced, not exact, required but not set."""

from __future__ import annotations

from awsip.api.condition_reasons import FindingCode
from awsip.policy.model import Clause, Family, Qualifier
from awsip.policy.quoting import quote_list
from awsip.policy.wildcard import has_wildcards
from awsip.trust.access_checks import Access
from awsip.trust.clauses import (
    EXTERNAL_ID_KEY,
    ExternalIdCheck,
    ExternalIdVerdict,
    clause_is_exact,
    external_id_verdict,
    texts,
)
from awsip.trust.context import Context
from awsip.trust.principal_checks import aws_principals
from awsip.trust.statements import label, not_principals
from awsip.trust.verdict import FindingCollector

_FIX = '"Condition": {"StringEquals": {"sts:ExternalId": "<the provider\'s External ID>"}}'


def check_external_id(access: Access, context: Context, findings: FindingCollector) -> bool:
    """Add External ID findings; return whether the External ID is enforced."""
    statements = access.operator_allows
    if not statements:
        return False
    verdicts = [(statement, external_id_verdict(statement.conditions)) for statement in statements]
    enforced = access.deny_enforces_external_id or all(
        verdict.check is ExternalIdCheck.EXACT for _, verdict in verdicts
    )
    if context.external_id_configured:
        if not access.deny_enforces_external_id:
            for statement, verdict in verdicts:
                if verdict.check is ExternalIdCheck.ABSENT:
                    findings.add(
                        FindingCode.EXTERNAL_ID_NOT_ENFORCED,
                        f"The provider sets an External ID, but statement {label(statement)} lets "
                        f"{context.who()} assume the role without checking sts:ExternalId, so the "
                        "External ID protects nothing: whoever can call sts:AssumeRole as that "
                        "principal -- another workspace's provider, for instance -- gets in without "
                        f"it. Add {_FIX} to the statement.",
                        statement=label(statement),
                        index=statement.index,
                    )
                elif verdict.check is not ExternalIdCheck.EXACT:
                    findings.add(
                        FindingCode.EXTERNAL_ID_NOT_EXACT,
                        _not_exact_message(label(statement), statement.conditions, verdict),
                        statement=label(statement),
                        index=statement.index,
                    )
        return enforced

    rejects_without = access.deny_enforces_external_id or all(
        verdict.requires_presence for _, verdict in verdicts
    )
    if rejects_without:
        findings.add(
            FindingCode.EXTERNAL_ID_NOT_CONFIGURED,
            f"The trust policy requires an External ID (sts:ExternalId) from {context.who()}, but "
            "this provider sets none, so every AssumeRole call of awsip is denied. Set "
            "spec.externalIDSecretRef (or spec.externalID) to the value the trust policy expects.",
            statement=label(statements[0]) if len(statements) == 1 else None,
            index=statements[0].index,
        )
    elif all(verdict.check is ExternalIdCheck.ABSENT for _, verdict in verdicts):
        principals = [p for statement in statements for p in aws_principals(statement)]
        cross = [p for p in principals if context.is_cross_account(p)]
        if cross or any(not_principals(statement) is not None for statement in statements):
            subject = quote_list(p.value for p in cross) if cross else "principals of other accounts"
            where = (
                f", and the role belongs to account {context.role_account}"
                if context.role_account
                else " (if that is the role's own account, this does not apply)"
            )
            findings.add(
                FindingCode.EXTERNAL_ID_RECOMMENDED,
                f"Statement {label(statements[0])} trusts {subject} without an External ID{where}. awsip "
                "assumes roles on behalf of every workspace of the management cluster: without an "
                "External ID, a tenant who learns this role's ARN can register it in their own "
                "workspace and awsip assumes it for them (the confused-deputy problem). Set an "
                "External ID on the provider (externalIDSecretRef) and require it in the trust policy "
                f"with {_FIX}, and restrict which namespaces may use the account with tenancy rules.",
                statement=label(statements[0]),
                index=statements[0].index,
            )
    return enforced


def _not_exact_message(name: str, clauses: tuple[Clause, ...], verdict: ExternalIdVerdict) -> str:
    reasons = [
        _why_not_exact(clause)
        for clause in clauses
        if clause.key == EXTERNAL_ID_KEY and not clause_is_exact(clause)
    ]
    consequence = (
        "a call without any External ID passes it"
        if verdict.check is ExternalIdCheck.OPTIONAL
        else "External IDs other than the provider's pass it"
    )
    return (
        f"Statement {name} checks sts:ExternalId with {quote_list(verdict.operators)}, so "
        f"{consequence}: {'; '.join(dict.fromkeys(reasons))}. Compare it exactly instead: {_FIX}."
    )


def _why_not_exact(clause: Clause) -> str:
    operator = clause.operator
    if clause.family is Family.NULL:
        return f"{operator} only tests whether the key is present (false) or absent (true), not its value"
    if clause.qualifier is Qualifier.FOR_ALL_VALUES:
        return f"{operator} is true when the key is absent"
    if clause.qualifier is Qualifier.FOR_ANY_VALUE:
        return f"{operator} is a set operator for multi-valued keys, and sts:ExternalId has one value"
    if clause.if_exists:
        return f"{operator} is true when the key is absent"
    if clause.negated:
        return f"{operator} is true when the key is absent and for every value but the listed ones"
    if any("${" in value for value in texts(clause)):
        return f"{operator} compares with a policy variable, so the accepted value depends on the request"
    if clause.base == "StringLike" and any(has_wildcards(value) for value in texts(clause)):
        return f"{operator} with wildcards accepts every value that matches the pattern"
    if not clause.values:
        return f"{operator} lists no value"
    return f"{operator} is not an exact string comparison"
