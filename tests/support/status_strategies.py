"""Hypothesis strategies for verification results and the statuses built from them.

Shared by the status fuzz test (the fast tier: the CRD's pydantic model judges every status) and
the real-Kubernetes tier (the API server's own schema and CEL judge the same statuses), so that
both tiers draw from one description of what verify() can produce.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from awsip.aws.errors import ClassifiedError, ErrorKind
from awsip.aws.sts import CallerIdentity
from awsip.status import build_status
from awsip.textcap import cap
from awsip.trust import analyze_trust_policy
from awsip.verification import Check, ProviderRef, VerificationResult, messages
from awsip.verification.permission_verdicts import Verdict, permissions_check

ROLE = "arn:aws:iam::123456789012:role/capa"
OPERATOR = CallerIdentity(account="111122223333", arn="arn:aws:sts::111122223333:assumed-role/awsip/s")
NOW = datetime(2026, 1, 1, tzinfo=UTC)

# Text of every kind: ASCII, accents, astral characters (12 bytes each as JSON escapes), controls.
characters = st.characters(codec="utf-8", exclude_categories=["Cs"])
texts = st.one_of(
    st.text(characters, max_size=200),
    st.builds(
        lambda c, n: c * n,
        st.sampled_from(["a", "é", "😀", "\u202e", '"', "\\", "\n"]),
        st.integers(0, 10_000),
    ),
    st.builds(lambda t, n: t * n, st.text(characters, min_size=1, max_size=8), st.integers(1, 2_000)),
)
aws_errors = st.builds(
    ClassifiedError,
    kind=st.sampled_from(list(ErrorKind)),
    code=texts,
    operation=st.sampled_from(["AssumeRole", "GetRole", "SimulatePrincipalPolicy", ""]),
    message=texts,
    http_status=st.none() | st.integers(100, 599),
)


@st.composite
def aws_checks(draw: st.DrawFn) -> Check:
    """A check as verify() words it for an AWS answer."""
    error = draw(aws_errors)
    kinds = [
        "denied",
        "rejected",
        "credentials",
        "credentials-retry",
        "unavailable",
        "trust",
        "simulate",
        "bug",
    ]
    kind = draw(st.sampled_from(kinds))
    if kind == "denied":
        text = messages.access_denied(
            role_arn=ROLE, operator=OPERATOR, external_id_configured=True, session_tags=True, error=error
        )
        return Check("False", "AccessDenied", text)
    if kind == "rejected":
        return Check("False", "AssumeRoleRejected", messages.assume_role_rejected(role_arn=ROLE, error=error))
    if kind == "credentials":
        text = messages.operator_credentials(error, step="sts:GetCallerIdentity")
        return Check("False", "OperatorCredentialsUnavailable", text)
    if kind == "credentials-retry":  # as verify() reports them first: a retry (issue 14, item 4)
        text = messages.operator_credentials(error, step="sts:AssumeRole")
        return Check("Unknown", "OperatorCredentialsUnavailable", text, transient=True)
    if kind == "bug":  # an exception in awsip itself, whatever its type and text
        exception = draw(st.sampled_from([KeyError, ValueError, RuntimeError, TypeError]))(error.message)
        return Check("Unknown", "InternalError", messages.internal_error(exception), transient=True)
    if kind == "unavailable":
        text = messages.aws_unavailable(error, step="iam:GetRole")
        return Check("Unknown", "AWSUnavailable", text, transient=True)
    if kind == "trust":
        text = messages.cannot_read_trust_policy(role_arn=ROLE, operator=OPERATOR, error=error)
        return Check("Unknown", "CannotReadTrustPolicy", text)
    return Check(
        "Unknown", "CannotSimulate", messages.cannot_simulate(role_arn=ROLE, operator=OPERATOR, error=error)
    )


free_checks = st.builds(
    Check,
    status=st.sampled_from(["True", "False", "Unknown"]),
    reason=texts,  # not a valid reason: the builder must make one of it
    message=texts,
    transient=st.booleans(),
)
verdicts = st.lists(
    st.builds(
        Verdict,
        action=texts,
        resource=texts,
        status=st.sampled_from(["Covered", "NotCovered", "Unknown"]),
        reason=texts,
    ),
    max_size=300,
)
principals = st.sampled_from(
    [
        "*",
        {"AWS": "*"},
        {"AWS": "arn:aws:iam::*:root"},
        {"AWS": "444455556666"},
        {"Service": "ec2.amazonaws.com"},
    ]
)
trust_statements = st.fixed_dictionaries(
    {
        "Effect": st.sampled_from(["Allow", "Deny", "Maybe"]),
        "Principal": principals | texts,
        "Action": st.sampled_from(["sts:AssumeRole", "sts:*", "*"]) | texts,
    },
    optional={
        "Sid": texts,
        "Condition": st.dictionaries(texts, st.dictionaries(texts, texts, max_size=2), max_size=2),
        "Unknown": texts,
    },
)
trust_documents = st.one_of(
    texts,
    st.builds(
        lambda body: {"Version": "2012-10-17", "Statement": body}, st.lists(trust_statements, max_size=40)
    ),
    st.builds(  # thousands of statements, each one a finding
        lambda n, p: {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": f"s{i}" * 20, "Effect": "Allow", "Principal": p, "Action": "sts:AssumeRole"}
                for i in range(n)
            ],
        },
        st.integers(100, 3_000),
        principals,
    ),
)


@st.composite
def results(draw: st.DrawFn) -> VerificationResult:
    ref = ProviderRef("team-a", "p")
    assumed = draw(st.sampled_from(["ok", "aws", "free"]))
    if assumed == "ok":
        role_assumed = Check(
            "True", "AssumeRoleSucceeded", messages.condition_message(f"Assumed {ROLE} as {draw(texts)}.")
        )
    elif assumed == "aws":
        role_assumed = draw(aws_checks())
    else:
        role_assumed = draw(free_checks)
    permissions = permissions_status = trust = trust_status = None
    if role_assumed.ok or draw(st.booleans()):
        if draw(st.booleans()):
            permissions, permissions_status = permissions_check(
                draw(verdicts),
                method=draw(st.sampled_from(["Local", "Simulate", "LocalAndSimulate"])),
                profile=draw(st.none() | st.just("capa-minimal")),
                config_map=draw(st.none() | texts),
            )
        else:
            permissions = draw(aws_checks() | free_checks)
        if draw(st.booleans()):
            analysis = analyze_trust_policy(
                draw(trust_documents),
                external_id_configured=draw(st.booleans()),
                management_account_id=OPERATOR.account,
                operator_principal_arn=OPERATOR.arn,
                role_arn=ROLE,
            )
            trust_status = analysis.to_status()
            trust = Check("True" if analysis.secure else "False", analysis.reason, analysis.message)
        else:
            trust = draw(aws_checks() | free_checks)
    account = draw(st.none() | st.just("123456789012"))
    assumed_arn = draw(
        st.none() | st.builds(lambda t: cap(f"arn:aws:sts::123456789012:assumed-role/capa/{t}", 2048), texts)
    )
    return VerificationResult(
        ref=ref,
        role_arn=ROLE,
        role_assumed=role_assumed,
        permissions=permissions,
        trust=trust,
        account_id=account,
        assumed_role_arn=assumed_arn,
        permissions_status=permissions_status,
        trust_status=trust_status,
        notes=tuple(draw(st.lists(texts, max_size=3))),
    )


def previous_statuses() -> st.SearchStrategy[dict[str, Any] | None]:
    return st.none() | st.builds(
        lambda result: build_status(result, None, generation=1, now=NOW - timedelta(hours=1)), results()
    )
