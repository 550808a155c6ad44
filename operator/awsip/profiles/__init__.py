"""Built-in policy documents, shipped as package data.

- ``capa-minimal``: the minimal permission policy Cluster API Provider AWS needs (the seed's first
  document, unchanged in meaning; a test pins it).
- The provider role's trust policy in two forms. :func:`operator_trust_policy`, the one awsip
  recommends, trusts the operator's own role and nothing else. :func:`seed_trust_policy` is the
  seed's: it trusts the whole management account (``arn:aws:iam::ACCOUNT:root``) and the
  ``ec2.amazonaws.com`` service, both of which awsip's trust analysis reports
  (``PrincipalBroaderThanManagementAccount``, ``ServicePrincipal``): every role of that account
  allowed ``sts:AssumeRole``, and every EC2 instance with the role in its profile, could assume it.
- The management-cluster policy (may assume the provider role).

The seed's documents are templates whose placeholders (``YOURACCOUNTRESTRICTION``,
``THEROLEYOUCREATED``) this module fills in. The seed names its management statement
``AssumeRoleKommander`` after the product it was written for; printed documents carry the neutral
:data:`MANAGEMENT_SID` instead.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

PROFILES: tuple[str, ...] = ("capa-minimal",)
EXTERNAL_ID_PLACEHOLDER = "<EXTERNAL_ID>"
#: The Sid of the management policy's statement (the seed's is a product name).
MANAGEMENT_SID = "AssumeProviderRole"
#: The forms of the trust policy ``awsip policy print --kind trust --form`` knows, recommended first.
TRUST_FORMS: tuple[str, ...] = ("operator-role", "seed")

_ACCOUNT = "YOURACCOUNTRESTRICTION"
_ROLE = "THEROLEYOUCREATED"


class UnknownProfileError(ValueError):
    pass


@cache
def _load(filename: str) -> str:
    # importlib.resources brings tempfile, shutil and the compression modules: imported only when a
    # document is read, not by every command line that names the profiles.
    from importlib import resources

    return resources.files(__name__).joinpath(filename).read_text(encoding="utf-8")


def load_profile(name: str) -> dict[str, Any]:
    """The policy document of a built-in profile (a fresh copy the caller may change)."""
    if name not in PROFILES:
        raise UnknownProfileError(f"unknown policy profile {name!r}; known profiles: {', '.join(PROFILES)}")
    document: dict[str, Any] = json.loads(_load(f"{name}.json"))
    return document


def _template(filename: str) -> dict[str, Any]:
    return copy.deepcopy(json.loads(_load(filename)))


def _fill(node: Any, replacements: dict[str, str]) -> Any:
    if isinstance(node, str):
        for placeholder, value in replacements.items():
            node = node.replace(placeholder, value)
        return node
    if isinstance(node, list):
        return [_fill(item, replacements) for item in node]
    if isinstance(node, dict):
        return {key: _fill(value, replacements) for key, value in node.items()}
    return node


def operator_trust_policy(
    principal_arn: str,
    *,
    external_id: str | None = None,
    session_tags: bool = False,
    namespace: str | None = None,
) -> dict[str, Any]:
    """The least-privilege trust policy: only ``principal_arn`` (the operator's role) may assume it.

    No service principal and no account root, so awsip's trust analysis finds nothing to report
    (with an External ID). ``external_id``, ``session_tags`` and ``namespace`` as in
    :func:`seed_trust_policy`.
    """
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": principal_arn},
        "Action": "sts:AssumeRole",
    }
    _add_conditions(statement, external_id=external_id, session_tags=session_tags, namespace=namespace)
    return {"Version": "2012-10-17", "Statement": [statement]}


def seed_trust_policy(
    trusted_account_id: str,
    *,
    external_id: str | None = None,
    partition: str = "aws",
    session_tags: bool = False,
    namespace: str | None = None,
) -> dict[str, Any]:
    """The seed's trust policy for the provider role, trusting ``trusted_account_id`` (and EC2).

    Broader than awsip needs (see the module docstring); :func:`operator_trust_policy` is the
    recommended form. With ``external_id`` the statement requires it (``sts:ExternalId``); pass
    :data:`EXTERNAL_ID_PLACEHOLDER` to print a policy without disclosing a real value. With
    ``session_tags`` it also allows ``sts:TagSession`` so that awsip's session tags reach the role,
    and with ``namespace`` it restricts the role to sessions tagged with that workspace. In a trust
    policy the tags passed with AssumeRole are ``aws:RequestTag/...`` (``aws:PrincipalTag`` there
    would be the tags of the operator's own role); once assumed, the session's permission policies
    can match the same tags as ``aws:PrincipalTag/awsip:namespace``.
    """
    document = _fill(_template("seed-trust-policy.json"), {_ACCOUNT: trusted_account_id})
    statement = document["Statement"][0]
    statement["Principal"]["AWS"] = statement["Principal"]["AWS"].replace("arn:aws:", f"arn:{partition}:")
    _add_conditions(statement, external_id=external_id, session_tags=session_tags, namespace=namespace)
    return dict(document)


#: The seed's form under the name it always had (callers that analyse the seed's document use it).
trust_policy = seed_trust_policy


def _add_conditions(
    statement: dict[str, Any], *, external_id: str | None, session_tags: bool, namespace: str | None
) -> None:
    if external_id is not None:
        statement.setdefault("Condition", {}).setdefault("StringEquals", {})["sts:ExternalId"] = external_id
    if session_tags or namespace is not None:
        statement["Action"] = ["sts:AssumeRole", "sts:TagSession"]
    if namespace is not None:
        statement.setdefault("Condition", {}).setdefault("StringEquals", {})[
            "aws:RequestTag/awsip:namespace"
        ] = namespace


def management_policy(role_account_id: str, role_name: str, *, partition: str = "aws") -> dict[str, Any]:
    """The seed's policy for the management cluster's own role: may assume the provider role."""
    document = _fill(_template("seed-management-policy.json"), {_ACCOUNT: role_account_id, _ROLE: role_name})
    statement = document["Statement"][0]
    statement["Sid"] = MANAGEMENT_SID
    statement["Resource"] = statement["Resource"].replace("arn:aws:", f"arn:{partition}:")
    return dict(document)
