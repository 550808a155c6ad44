"""``awsip policy print``: the IAM documents a provider needs, with the placeholders filled in.

Like ``clusterawsadm bootstrap iam print-policy``: the provider role's permission policy (a
profile), its trust policy, and the management cluster's policy. The trust policy comes in two
forms (:data:`awsip.profiles.TRUST_FORMS`): ``operator-role``, the default and the one awsip
recommends, trusts only the operator's role (``--principal-arn``); ``seed`` is the seed's, which
trusts the whole management account and the EC2 service (awsip's trust analysis reports both).

Every value is checked with the patterns of the API types (:mod:`awsip.api.v1alpha1`, imported when
the command runs: pydantic is slow to import), so that nothing is printed that the CRD or IAM would
reject: a document with an account ID of 5 digits or an empty External ID -- what
``--external-id "$EXTERNAL_ID"`` gives when the variable is unset -- would fail later and further
from the cause. External IDs are never echoed in messages.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from awsip.profiles import (
    EXTERNAL_ID_PLACEHOLDER,
    PROFILES,
    TRUST_FORMS,
    load_profile,
    management_policy,
    operator_trust_policy,
    seed_trust_policy,
)

DEFAULT_PARTITION = "aws"


class BadPrintOption(ValueError):
    """An option of ``awsip policy print`` that would give a document the CRD or IAM rejects."""


def add_parser(commands: Any) -> argparse.ArgumentParser:
    show: argparse.ArgumentParser = commands.add_parser(
        "print",
        help="print the policy documents a provider role needs, placeholders filled in",
        description="Print the permission policy of a profile, the provider role's trust policy, or "
        "the management cluster's policy (like clusterawsadm bootstrap iam print-policy). The trust "
        "policy trusts only the operator's role (--principal-arn); --form seed prints the seed's "
        "broader form (the whole --account and the ec2.amazonaws.com service).",
    )
    show.add_argument("--profile", default="capa-minimal", choices=PROFILES)
    show.add_argument("--kind", choices=("permissions", "trust", "management"), default="permissions")
    show.add_argument(
        "--principal-arn",
        metavar="ARN",
        help="trust: the operator's IAM role, e.g. arn:aws:iam::111122223333:role/awsip-operator",
    )
    show.add_argument(
        "--form",
        choices=TRUST_FORMS,
        default=TRUST_FORMS[0],
        help="trust: %(choices)s (default: %(default)s, the least-privilege form)",
    )
    show.add_argument(
        "--account",
        metavar="ID",
        help="trust --form seed: the management account allowed to assume the role; "
        "management: the account that holds the provider role",
    )
    show.add_argument("--role-name", metavar="NAME", help="management: the provider role's name")
    show.add_argument(
        "--external-id",
        metavar="ID",
        nargs="?",
        const=EXTERNAL_ID_PLACEHOLDER,
        help=f"trust: require this External ID (without a value: {EXTERNAL_ID_PLACEHOLDER})",
    )
    show.add_argument(
        "--partition", metavar="P", help="aws (default), aws-cn or aws-us-gov; trust: that of --principal-arn"
    )
    show.add_argument("--session-tags", action="store_true", help="trust: also allow sts:TagSession")
    show.add_argument("--namespace", metavar="NS", help="trust: only sessions tagged with this namespace")
    return show


def document_for(args: argparse.Namespace) -> dict[str, Any]:
    """The document the options ask for; :class:`BadPrintOption` when one of them is wrong."""
    if args.kind == "permissions":
        partition = _partition(args.partition)
        document = load_profile(args.profile)
        return document if partition == DEFAULT_PARTITION else _with_partition(document, partition)
    if args.kind == "management":
        if not args.account or not args.role_name:
            raise BadPrintOption("--kind management needs --account (of the provider role) and --role-name")
        partition = _partition(args.partition)
        account = _account(args.account)
        return management_policy(account, _role_name(args.role_name, account, partition), partition=partition)
    external_id = _external_id(args.external_id)
    if args.form == "seed":
        if args.principal_arn:
            raise BadPrintOption(
                "--principal-arn is for the operator-role form; --form seed trusts --account"
            )
        if not args.account:
            raise BadPrintOption("--form seed needs --account (the management account it trusts)")
        return seed_trust_policy(
            _account(args.account),
            external_id=external_id,
            partition=_partition(args.partition),
            session_tags=args.session_tags,
            namespace=args.namespace,
        )
    if not args.principal_arn:
        raise BadPrintOption(
            "--kind trust needs --principal-arn, the ARN of the operator's IAM role (the only "
            "principal the provider role needs to trust); --form seed --account ID prints the seed's "
            "broader form"
        )
    if args.account:
        raise BadPrintOption("--account is for --form seed; the operator's account is in --principal-arn")
    principal = _role_arn(args.principal_arn)
    partition = principal.split(":")[1]
    if args.partition is not None and _partition(args.partition) != partition:
        raise BadPrintOption(
            f"--partition {args.partition} differs from that of --principal-arn ({partition})"
        )
    return operator_trust_policy(
        principal, external_id=external_id, session_tags=args.session_tags, namespace=args.namespace
    )


def run(args: argparse.Namespace) -> None:
    sys.stdout.write(json.dumps(document_for(args), indent=2) + "\n")


# -- checks, with the API types' patterns ---------------------------------------------------------


def _partition(partition: str | None) -> str:
    from awsip.api.v1alpha1 import PARTITIONS

    if partition is None:
        return DEFAULT_PARTITION
    if partition not in PARTITIONS:
        raise BadPrintOption(f"--partition {partition!r}: not an AWS partition ({', '.join(PARTITIONS)})")
    return partition


def _account(account: str) -> str:
    from awsip.api.v1alpha1 import ACCOUNT_ID_PATTERN

    if not re.fullmatch(ACCOUNT_ID_PATTERN, account):
        raise BadPrintOption(f"--account {account!r}: an AWS account ID is 12 digits")
    return account


def _role_arn(arn: str) -> str:
    from awsip.api.v1alpha1 import ROLE_ARN_PATTERN

    if not re.fullmatch(ROLE_ARN_PATTERN, arn):
        raise BadPrintOption(
            f"--principal-arn {arn!r}: not an IAM role ARN like arn:aws:iam::111122223333:role/NAME "
            f"(an assumed-role session arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION belongs to the "
            f"role arn:aws:iam::ACCOUNT:role/NAME)"
        )
    return arn


def _role_name(name: str, account: str, partition: str) -> str:
    """A role name (optionally with its path): the ARN it makes must be one the CRD accepts."""
    from awsip.api.v1alpha1 import ROLE_ARN_PATTERN

    if not re.fullmatch(ROLE_ARN_PATTERN, f"arn:{partition}:iam::{account}:role/{name}"):
        raise BadPrintOption(
            f"--role-name {name!r}: not an IAM role name (1 to 64 letters, digits and +=,.@_-, "
            "after an optional path/)"
        )
    return name


def _external_id(external_id: str | None) -> str | None:
    """The External ID, checked as the CRD's ``spec.externalID`` is (its value is never echoed)."""
    if external_id is None or external_id == EXTERNAL_ID_PLACEHOLDER:
        return external_id
    if external_id == "":
        raise BadPrintOption(
            "--external-id is empty (was the variable you passed unset?); give the External ID, or "
            f"--external-id without a value for a {EXTERNAL_ID_PLACEHOLDER} placeholder"
        )
    from pydantic import TypeAdapter, ValidationError

    from awsip.api.v1alpha1 import AWSInfrastructureProviderSpec

    rules: Any = AWSInfrastructureProviderSpec.model_fields["external_id"].annotation
    try:
        TypeAdapter(rules).validate_python(external_id)
    except ValidationError as exc:
        raise BadPrintOption(
            f"--external-id: {_constraint(exc)} (as the provider's spec.externalID)"
        ) from None
    return external_id


def _constraint(error: Any) -> str:
    """The broken constraint in words, without the value."""
    first = error.errors(include_input=False, include_url=False)[0]
    context = first.get("ctx") or {}
    if first["type"] == "string_too_short":
        return f"too short: at least {context.get('min_length')} characters"
    if first["type"] == "string_too_long":
        return f"too long: at most {context.get('max_length')} characters"
    if first["type"] == "string_pattern_mismatch":
        return f"only the characters of {context.get('pattern')} are allowed"
    return str(first.get("msg", "invalid"))


def _with_partition(document: dict[str, Any], partition: str) -> dict[str, Any]:
    """The permission policy with its ``arn:aws:`` resources moved to another partition."""

    def convert(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("arn:aws:"):
            return f"arn:{partition}:" + value[len("arn:aws:") :]
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value

    for statement in document["Statement"]:
        if "Resource" in statement:
            statement["Resource"] = convert(statement["Resource"])
    return document
