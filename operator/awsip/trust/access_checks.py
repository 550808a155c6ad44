"""Can the operator assume the role at all? Which statements let it in, and which Deny stops it."""

from __future__ import annotations

from dataclasses import dataclass, field

from awsip.api.condition_reasons import FindingCode
from awsip.policy.model import Statement
from awsip.policy.quoting import quote_list
from awsip.trust.clauses import deny_enforces_external_id
from awsip.trust.context import Context
from awsip.trust.principal_checks import aws_principals
from awsip.trust.principals import Form, classify
from awsip.trust.statements import (
    ASSUME_ROLE,
    covers,
    covers_any_assume,
    label,
    named_principals,
    not_principals,
)
from awsip.trust.verdict import FindingCollector


@dataclass
class Access:
    """The statements that decide whether the operator's sts:AssumeRole call succeeds."""

    #: Allow statements for sts:AssumeRole that name at least one AWS principal (or NotPrincipal).
    aws_allows: list[Statement] = field(default_factory=list)
    #: Those of them that may apply to the operator's principal.
    operator_allows: list[Statement] = field(default_factory=list)
    #: A Deny rejects every call that lacks the exact External ID.
    deny_enforces_external_id: bool = False


def allows_operator(statement: Statement, context: Context) -> bool:
    """Whether an Allow statement may apply to the operator's principal."""
    identity = context.identity
    if not_principals(statement) is not None:
        # Everyone except the listed principals; if we do not know who we are, assume it's us.
        return not (identity.known and _excludes(statement, context))
    return any(identity.covered_by(principal) for principal in aws_principals(statement))


def _excludes(statement: Statement, context: Context) -> bool:
    return any(
        context.identity.covered_by(classify(p.value))
        for p in not_principals(statement) or ()
        if p.kind == "AWS"
    )


def denies_operator(statement: Statement, context: Context) -> bool:
    """Whether a Deny statement applies to the operator's principal (conditions aside).

    Stricter than :func:`allows_operator`: when we do not know who the operator is, only a
    wildcard Deny is known to hit it.
    """
    identity = context.identity
    if not_principals(statement) is not None:
        return identity.known and not _excludes(statement, context)
    principals = aws_principals(statement)
    if any(p.form is Form.WILDCARD for p in principals):
        return True
    return identity.known and any(identity.covered_by(p) for p in principals)


def check_access(statements: list[Statement], context: Context, findings: FindingCollector) -> Access:
    access = Access()
    for statement in statements:
        if statement.effect != "Allow" or not covers(statement, ASSUME_ROLE):
            continue
        if not_principals(statement) is None and not aws_principals(statement):
            continue
        access.aws_allows.append(statement)
        if allows_operator(statement, context):
            access.operator_allows.append(statement)

    for statement in statements:
        if statement.effect == "Deny" and covers(statement, ASSUME_ROLE):
            _check_deny(statement, context, findings, access)

    if not access.aws_allows:
        others = [
            p.value
            for s in statements
            if s.effect == "Allow" and covers_any_assume(s)
            for p in named_principals(s)
            if p.kind != "AWS"
        ]
        only = f" Only {quote_list(others)} may assume it, and they are not IAM principals." if others else ""
        findings.add(
            FindingCode.NO_ASSUME_ROLE_STATEMENT,
            "No statement allows an IAM principal to call sts:AssumeRole, so awsip cannot assume the "
            f'role.{only} Add a statement with "Effect": "Allow", "Action": "sts:AssumeRole" '
            f'and "Principal": {{"AWS": "{context.suggestion()}"}}.',
        )
    elif not access.operator_allows:
        trusted = [p.value for s in access.aws_allows for p in named_principals(s) if p.kind == "AWS"]
        excepted = [p.value for s in access.aws_allows for p in not_principals(s) or ()]
        described = [quote_list(trusted)] if trusted else []
        if excepted:
            described.append(f"everyone except {quote_list(excepted)}")
        findings.add(
            FindingCode.MANAGEMENT_PRINCIPAL_NOT_TRUSTED,
            f"No statement lets {context.who()} call sts:AssumeRole (the role trusts "
            f"{' and '.join(described)}), so awsip's AssumeRole calls are denied. Add "
            f'"{context.suggestion()}" to the AWS principals of the statement that allows '
            "sts:AssumeRole.",
        )
    return access


def _check_deny(statement: Statement, context: Context, findings: FindingCollector, access: Access) -> None:
    name, index = label(statement), statement.index
    excepted = not_principals(statement)
    if excepted is not None:
        exempt = quote_list(p.value for p in excepted)
        operator_note = ""
        if context.identity.known:
            who = context.who()
            verdict = "is exempt" if _excludes(statement, context) else "is not exempt"
            operator_note = f" {who[0].upper()}{who[1:]} {verdict}."
        findings.add(
            FindingCode.DENY_NOT_PRINCIPAL,
            f"Statement {name} denies sts:AssumeRole to every principal except {exempt} (Deny with "
            "NotPrincipal). IAM no longer accepts NotPrincipal in role trust policies and recommends a "
            "Deny with the condition ArnNotEquals aws:PrincipalArn instead; with NotPrincipal, a role "
            "session is exempt only when both its account ARN and its role ARN are listed."
            f"{operator_note}",
            statement=name,
            index=index,
        )
    applies = denies_operator(statement, context)
    if applies and deny_enforces_external_id(statement.conditions):
        access.deny_enforces_external_id = True
    if applies and not statement.conditions:
        findings.add(
            FindingCode.MANAGEMENT_PRINCIPAL_DENIED,
            f"Statement {name} denies sts:AssumeRole to {context.who()} without any condition: an "
            "explicit Deny overrides every Allow, so awsip cannot assume the role. Remove the "
            "operator's principal from the Deny, or add the condition that should exempt it.",
            statement=name,
            index=index,
        )
