"""Condition messages: what is wrong and what to change (pure; no value of a secret ever enters).

Every message is capped at ``MAX_MESSAGE_LENGTH``. Messages that quote AWS's own error text get
it already redacted by the caller (AWS may echo request parameters).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from awsip.api.v1alpha1 import MAX_MESSAGE_LENGTH
from awsip.aws.errors import ClassifiedError
from awsip.aws.sts import CallerIdentity
from awsip.profiles import EXTERNAL_ID_PLACEHOLDER, management_policy, operator_trust_policy
from awsip.textcap import cap

#: How many missing actions a MissingPermissions message names (status.permissions lists more).
MESSAGE_ACTIONS = 10


def condition_message(text: str) -> str:
    """``text`` as a condition message: cut to ``MAX_MESSAGE_LENGTH`` (see :func:`awsip.textcap.cap`)."""
    return cap(text, MAX_MESSAGE_LENGTH)


def compact_json(document: Mapping[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"))


def _aws_said(error: ClassifiedError) -> str:
    text = error.message.strip() or error.code
    return f" (AWS: {error.code}: {text})" if text != error.code else f" (AWS: {error.code})"


def _operator_name(operator: CallerIdentity) -> str:
    role = operator.role_name
    return f"the operator's IAM role {role}" if role else f"the operator's identity {operator.arn}"


def operator_policy_for(role_arn: str, *, session_tags: bool) -> dict[str, Any]:
    """The seed's management-cluster policy for this role (with sts:TagSession when tags are on)."""
    partition, account = role_arn.split(":")[1], role_arn.split(":")[4]
    document = management_policy(account, role_arn.rsplit("/", 1)[1], partition=partition)
    if session_tags:
        for statement in document["Statement"]:
            statement["Action"] = ["sts:AssumeRole", "sts:TagSession"]
    # A role with a path is named by its full ARN.
    for statement in document["Statement"]:
        statement["Resource"] = role_arn
    return document


def role_trust_policy_for(
    operator: CallerIdentity, *, external_id_configured: bool, session_tags: bool
) -> dict[str, Any]:
    """The least-privilege trust policy: only the operator's own principal, with the External ID
    placeholder (not the seed's form, which trusts the whole account and EC2)."""
    return operator_trust_policy(
        operator.principal_arn,
        external_id=EXTERNAL_ID_PLACEHOLDER if external_id_configured else None,
        session_tags=session_tags,
    )


def access_denied(
    *,
    role_arn: str,
    operator: CallerIdentity,
    external_id_configured: bool,
    session_tags: bool,
    error: ClassifiedError,
) -> str:
    steps = [
        f"(1) {_operator_name(operator)} may call sts:AssumeRole on the role: attach to it "
        f"{compact_json(operator_policy_for(role_arn, session_tags=session_tags))}",
        f"(2) the role's trust policy trusts {operator.principal_arn}"
        + (" (with the role's path, if it has one)" if operator.role_name else "")
        + (" and requires the External ID" if external_id_configured else "")
        + f": {compact_json(role_trust_policy_for(operator, external_id_configured=external_id_configured, session_tags=session_tags))}"
        + (
            f" (put the provider's External ID where it says {EXTERNAL_ID_PLACEHOLDER})"
            if external_id_configured
            else ""
        ),
    ]
    if external_id_configured:
        steps.append("(3) the provider's External ID is the one the trust policy requires")
    return condition_message(
        f"AWS denied sts:AssumeRole on {role_arn} to the operator, which runs as {operator.arn}{_aws_said(error)}. "
        f"Check that {'; '.join(steps)}."
    )


def role_not_found(*, role_arn: str) -> str:
    """The role was assumed (so the provider proved itself) but IAM does not know it.

    Never said to a provider whose AssumeRole failed: whether a role exists is the account's
    business (real AWS denies AssumeRole on a role that does not exist like any other).
    """
    account, name = role_arn.split(":")[4], role_arn.rsplit("/", 1)[1]
    return condition_message(
        f"The role {role_arn} does not exist (iam:GetRole: NoSuchEntity). "
        f"Check spec.roleARN: is there a role {name} in account {account}?"
    )


def assume_role_rejected(*, role_arn: str, error: ClassifiedError) -> str:
    """AssumeRole refused as invalid. Only AWS's error code is quoted: its message may describe
    the role (its maximum session duration) to a provider that has not proved it may assume it."""
    return condition_message(
        f"AWS rejected the AssumeRole request for {role_arn} (AWS: {error.code}). "
        "Check spec.durationSeconds against the role's maximum session duration, spec.sessionName, "
        "and that STS is activated in spec.region."
    )


def operator_credentials(error: ClassifiedError, *, step: str) -> str:
    return condition_message(
        f"The operator has no usable AWS credentials of its own ({step}: {error.code}: {error.message or 'no details'}); "
        "retrying. If it lasts, give the operator's service account an IAM role (IRSA or EKS Pod Identity) "
        "or an instance profile, or check the AWS_* environment variables of its Deployment."
    )


def aws_unavailable(error: ClassifiedError, *, step: str) -> str:
    return condition_message(
        f"AWS could not be reached or answered with a transient error during {step}{_aws_said(error)}; retrying."
    )


def aws_answer_unparsable(error: ClassifiedError, *, step: str) -> str:
    return condition_message(
        f"The answer to {step} is not in AWS's format{_aws_said(error)}: something other than AWS "
        "answered, such as a proxy or firewall that intercepts HTTPS, or an AWS_ENDPOINT_URL that is "
        "not AWS. Not retried until the next verification (spec.verification.interval) or a change "
        "of the spec."
    )


def internal_error(error: BaseException) -> str:
    return condition_message(
        f"awsip failed during the verification ({type(error).__name__}): a bug in awsip, not in "
        "this provider's spec or its AWS account. Retrying with backoff; please report it with the "
        "operator's log, which has the details."
    )


def kubernetes_unavailable(detail: str) -> str:
    return condition_message(f"The Kubernetes API could not be read ({detail}); retrying.")


def not_verified(because: str) -> str:
    return condition_message(f"Not verified: {because}.")


def secret_not_found(*, namespace: str, name: str, key: str, detail: str) -> str:
    return condition_message(
        f"The External ID could not be read from Secret {namespace}/{name}, key {key!r}: {detail}. "
        f"Create the Secret in namespace {namespace} with that key, or fix spec.externalIDSecretRef."
    )


def configmap_not_found(*, namespace: str, name: str, key: str, detail: str) -> str:
    return condition_message(
        f"The required policy could not be read from ConfigMap {namespace}/{name}, key {key!r}: {detail}. "
        f"Create the ConfigMap in namespace {namespace} with that key, or fix spec.requiredPolicy.configMapRef."
    )


def invalid_required_policy(*, source: str, detail: str) -> str:
    return condition_message(f"The required policy in {source} is not a valid IAM policy document: {detail}")


def policy_check_too_costly(*, source: str, cpu: float, wall: float, cpu_limit: float) -> str:
    return condition_message(
        f"Checking the role's policies against the required policy ({source}) was stopped after "
        f"{cpu:.1f} s of CPU time ({wall:.1f} s in all); one verification may use {cpu_limit:g} s. "
        "Its wildcard patterns ask for too many comparisons: name the required actions and "
        "resources, or use fewer wildcards in them."
    )


def all_granted(*, required_actions: int, method: str) -> str:
    how = {
        "Local": "the role's policies",
        "Simulate": "SimulatePrincipalPolicy",
        "LocalAndSimulate": "the role's policies and SimulatePrincipalPolicy",
    }
    return condition_message(
        f"All {required_actions} required actions are granted (checked with {how.get(method, method)})."
    )


def missing_permissions(
    *, missing: Sequence[str], required_actions: int, profile: str | None, config_map: str | None
) -> str:
    shown = ", ".join(missing[:MESSAGE_ACTIONS])
    more = (
        f" and {len(missing) - MESSAGE_ACTIONS} more (see status.permissions.missing)"
        if len(missing) > MESSAGE_ACTIONS
        else ""
    )
    if profile is not None:
        fix = (
            f"Attach the required policy to the role: print it with `awsip policy print --profile {profile}`."
        )
    else:
        fix = f"Grant the role the policy in ConfigMap {config_map}."
    return condition_message(
        f"The role lacks {len(missing)} of {required_actions} required actions: {shown}{more}. {fix}"
    )


def undecided_permissions(*, undecided: Sequence[str], required_actions: int) -> str:
    shown = ", ".join(undecided[:MESSAGE_ACTIONS])
    more = f" and {len(undecided) - MESSAGE_ACTIONS} more" if len(undecided) > MESSAGE_ACTIONS else ""
    return condition_message(
        f"{len(undecided)} of {required_actions} required actions could not be decided from the role's policies: "
        f"{shown}{more} (conditions or elements the local engine does not evaluate). Allow the operator "
        "iam:SimulatePrincipalPolicy on the role and use spec.verification.method Auto or Simulate."
    )


READ_PERMISSIONS = (
    "iam:GetRole, iam:ListAttachedRolePolicies, iam:GetPolicy, iam:GetPolicyVersion, "
    "iam:ListRolePolicies and iam:GetRolePolicy"
)


def _readers(role_arn: str, operator: CallerIdentity) -> str:
    """Who may be allowed IAM reads of the role: the operator only in the role's own account."""
    account = role_arn.split(":")[4]
    if operator.account == account:
        return f"the role itself or {_operator_name(operator)}"
    return (
        f"the role itself (the operator, in account {operator.account}, cannot read IAM in account {account})"
    )


def cannot_read_policies(
    *, role_arn: str, denied: Sequence[str], simulate_denied: bool, operator: CallerIdentity
) -> str:
    what = ", ".join(denied) if denied else "the role's policies"
    simulate = " and iam:SimulatePrincipalPolicy was denied too" if simulate_denied else ""
    return condition_message(
        f"The role's policies could not be read ({what} denied){simulate}. "
        f"Allow {READ_PERMISSIONS} on {role_arn} and its policies to {_readers(role_arn, operator)}, "
        "or allow iam:SimulatePrincipalPolicy on the role and use spec.verification.method Simulate."
    )


def cannot_simulate(*, role_arn: str, operator: CallerIdentity, error: ClassifiedError) -> str:
    return condition_message(
        f"iam:SimulatePrincipalPolicy on {role_arn} was denied{_aws_said(error)}. "
        f"Allow it to {_readers(role_arn, operator)}, or use spec.verification.method Local or Auto."
    )


def unsupported_role_policy(*, policy: str, detail: str) -> str:
    return condition_message(f"The role's policy {policy} could not be evaluated: {detail}")


def cannot_read_trust_policy(*, role_arn: str, operator: CallerIdentity, error: ClassifiedError) -> str:
    return condition_message(
        f"The trust policy of {role_arn} could not be read (iam:GetRole{_aws_said(error)}). "
        f"Allow iam:GetRole on the role to {_readers(role_arn, operator)}."
    )


def external_id_probe_succeeded(role_arn: str) -> str:
    return (
        f"AssumeRole on {role_arn} succeeded without the External ID (spec.verification.probeExternalID): "
        "the trust policy does not require it. Add a StringEquals condition on sts:ExternalId to every "
        "statement that trusts the operator."
    )
