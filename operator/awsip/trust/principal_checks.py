"""Findings about whom an Allow statement trusts: wildcards, whole accounts, foreign accounts, ..."""

from __future__ import annotations

from collections.abc import Callable

from awsip.api.condition_reasons import FindingCode
from awsip.policy.model import Statement
from awsip.policy.quoting import quote_list
from awsip.trust.clauses import EXTERNAL_ID_KEY, principal_scope, texts
from awsip.trust.context import Context
from awsip.trust.principals import AwsPrincipal, Form, classify
from awsip.trust.statements import label, named_principals, not_principals
from awsip.trust.verdict import FindingCollector

_Add = Callable[[str, str], None]


def aws_principals(statement: Statement) -> list[AwsPrincipal]:
    """The statement's ``AWS`` principals (``"Principal": "*"`` counts as ``{"AWS": "*"}``)."""
    return [classify(p.value) for p in named_principals(statement) if p.kind == "AWS"]


def check_allow_principals(statement: Statement, context: Context, findings: FindingCollector) -> None:
    """Findings for an Allow statement that hands out the role's credentials."""
    name, index = label(statement), statement.index

    def add(code: str, message: str) -> None:
        findings.add(code, message, statement=name, index=index)

    excepted = not_principals(statement)
    if excepted is not None:
        excluded = quote_list(p.value for p in excepted)
        add(
            FindingCode.NOT_PRINCIPAL_ALLOW,
            f"Statement {name} combines Effect Allow with NotPrincipal ({excluded}): it lets every "
            "principal except those listed -- in any AWS account, and anonymous callers -- assume the "
            "role. IAM no longer accepts NotPrincipal in role trust policies, so this document is not "
            "one IAM would store today. Replace NotPrincipal with "
            f'"Principal": {{"AWS": "{context.suggestion()}"}}.',
        )
        return

    principals = aws_principals(statement)
    _wildcards(statement, principals, context, add)
    _accounts(statement, principals, context, add)

    services = [p.value for p in named_principals(statement) if p.kind == "Service"]
    if services:
        add(FindingCode.SERVICE_PRINCIPAL, _service_message(name, services))
    federated = [p.value for p in named_principals(statement) if p.kind == "Federated"]
    if federated:
        unconditioned = (
            " The statement has no Condition, so every identity that provider issues tokens for can."
            if not statement.conditions
            else ""
        )
        add(
            FindingCode.FEDERATED_PRINCIPAL,
            f"Statement {name} trusts the identity provider(s) {quote_list(federated)}: users or "
            "workloads that provider vouches for can assume the role with "
            f"sts:AssumeRoleWithWebIdentity or sts:AssumeRoleWithSAML.{unconditioned} awsip does not "
            "need this. If something else does, pin the token's audience and subject in the "
            "Condition (for example the provider's :aud and :sub keys with StringEquals), or move "
            "that trust to a separate role.",
        )
    unresolved = [p.value for p in principals if p.form in (Form.UNIQUE_ID, Form.UNRECOGNIZED)]
    canonical = [p.value for p in named_principals(statement) if p.kind == "CanonicalUser"]
    if unresolved or canonical:
        parts = []
        if unresolved:
            parts.append(
                f"{quote_list(unresolved)}, which IAM cannot resolve to a principal: a value like "
                "AROA... or AIDA... is the unique ID IAM shows after the role or user it named was "
                "deleted, and re-creating a principal with the same name does not restore the trust"
            )
        if canonical:
            parts.append(
                f"the CanonicalUser {quote_list(canonical)}, which identifies an S3 account owner and "
                "never applies to sts:AssumeRole"
            )
        add(
            FindingCode.UNRESOLVED_PRINCIPAL,
            f"Statement {name} names {'; and '.join(parts)}. Replace it with the ARN of the "
            f"principal that should assume the role ({context.suggestion()}).",
        )


def _wildcards(statement: Statement, principals: list[AwsPrincipal], context: Context, add: _Add) -> None:
    wildcards = [p.value for p in principals if p.form in (Form.WILDCARD, Form.ACCOUNT_WILDCARD)]
    if not wildcards:
        return
    name = label(statement)
    scope = principal_scope(statement.conditions)
    if scope:
        limits = "; ".join(
            f"{clause.operator} {clause.key_name} = {quote_list(texts(clause))}" for clause in scope
        )
        add(
            FindingCode.CONDITIONALLY_SCOPED_WILDCARD_PRINCIPAL,
            f"Statement {name} trusts a wildcard principal ({quote_list(wildcards)}), but its "
            f"condition limits callers ({limits}). IAM checks the condition on every call, so only "
            "principals that satisfy it can assume the role -- narrower than the wildcard alone, yet "
            "every principal of those accounts or organizations that is allowed sts:AssumeRole can, "
            "and one mistake in the condition opens the role to everyone. Name the operator's "
            f'principal instead: "Principal": {{"AWS": "{context.suggestion()}"}}.',
        )
        return
    has_external_id = any(clause.key == EXTERNAL_ID_KEY for clause in statement.conditions)
    external_id = (
        " The sts:ExternalId condition does not help: an External ID is an identifier shared with "
        "whoever configures the provider, not a secret."
        if has_external_id
        else ""
    )
    add(
        FindingCode.WILDCARD_PRINCIPAL,
        f"Statement {name} lets principals of any AWS account ({quote_list(wildcards)}) assume the "
        "role: anyone who learns the role's ARN can obtain its credentials and use its permissions "
        f"in this account.{external_id} Replace the wildcard with the operator's principal: "
        f'"Principal": {{"AWS": "{context.suggestion()}"}}.',
    )


def _accounts(statement: Statement, principals: list[AwsPrincipal], context: Context, add: _Add) -> None:
    name = label(statement)
    identity = context.identity
    concrete = [p for p in principals if p.form in (Form.ACCOUNT, Form.IDENTITY)]
    foreign = [p for p in concrete if identity.home_accounts and not identity.is_home(p.account)]
    if foreign:
        accounts = sorted({p.account for p in foreign if p.account})
        roots = [p.value for p in foreign if p.form is Form.ACCOUNT]
        whole = (
            f" For {quote_list(roots)} that is every principal of the account whose own policies allow "
            "sts:AssumeRole on this role."
            if roots
            else ""
        )
        management = " or ".join(sorted(identity.home_accounts))
        add(
            FindingCode.FOREIGN_ACCOUNT_PRINCIPAL,
            f"Statement {name} trusts principals of account(s) {', '.join(accounts)} "
            f"({quote_list(p.value for p in foreign)}), not of the management account {management}: "
            f"they can assume the role besides awsip.{whole} Remove them unless another system "
            "really needs this role, and give that system a role of its own.",
        )
    broad = [p for p in concrete if p.form is Form.ACCOUNT and p not in foreign]
    if broad:
        accounts = sorted({p.account for p in broad if p.account})
        add(
            FindingCode.PRINCIPAL_BROADER_THAN_MANAGEMENT_ACCOUNT,
            f"Statement {name} trusts the whole account {', '.join(accounts)} "
            f"({quote_list(p.value for p in broad)}): every user and role in it whose own policies "
            "allow sts:AssumeRole on this role can assume it, not only awsip. Trust only the operator's "
            f'role: "Principal": {{"AWS": "{context.suggestion()}"}}.',
        )


def _service_message(name: str, services: list[str]) -> str:
    text = (
        f"Statement {name} lets the AWS service(s) {quote_list(services)} assume the role: the "
        "service acts with the role's permissions wherever someone allowed to pass the role "
        "(iam:PassRole) attaches it."
    )
    if any(service.lower().startswith("ec2.") for service in services):
        text += (
            " For ec2.amazonaws.com that means every EC2 instance launched with an instance profile "
            "for this role receives its credentials, and so does anyone who can log in to such an "
            "instance."
        )
    return (
        text + " Cluster API does not need this on the provider role; remove it unless the role doubles "
        "as an instance or service role (then consider aws:SourceAccount / aws:SourceArn conditions)."
    )
