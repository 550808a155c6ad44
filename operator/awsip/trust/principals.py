"""Principals of a trust policy, and whether one of them is the operator.

IAM spells an AWS principal as ``"*"``, a bare account ID (same as ``arn:aws:iam::ID:root``), an
ARN of a user, role, assumed-role session or federated user, or -- after the principal it named was
deleted -- the principal's unique ID (``AROA...``). Wildcards inside an ARN are not valid in a
``Principal``; if one shows up anyway we treat its account part as "any account" (the worst case).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from awsip.policy.wildcard import has_wildcards, matches

ACCOUNT_ID = re.compile(r"[0-9]{12}")
UNIQUE_ID = re.compile(r"A[A-Z0-9]{15,127}")


class Form(enum.Enum):
    WILDCARD = "wildcard"  # "*": every principal of every account, and anonymous callers
    ACCOUNT_WILDCARD = "account wildcard"  # arn:aws:iam::*:... -- any account
    ACCOUNT = "account"  # arn:aws:iam::ID:root or ID: every principal of the account
    IDENTITY = "identity"  # a user, role, session or federated user
    UNIQUE_ID = "unique ID"  # the principal was deleted; IAM shows its unique ID
    UNRECOGNIZED = "unrecognized"


@dataclass(frozen=True)
class AwsPrincipal:
    """An ``AWS`` principal, classified."""

    value: str
    form: Form
    account: str | None = None  # 12 digits, or a wildcard pattern for ACCOUNT_WILDCARD
    resource: str | None = None  # "root", "role/path/name", "assumed-role/name/session", ...

    @property
    def account_root(self) -> str | None:
        return f"arn:aws:iam::{self.account}:root" if self.form is Form.ACCOUNT else None


def classify(value: str) -> AwsPrincipal:
    """Classify the value of an ``AWS`` principal."""
    if value == "*":
        return AwsPrincipal(value, Form.WILDCARD)
    if ACCOUNT_ID.fullmatch(value):
        return AwsPrincipal(value, Form.ACCOUNT, account=value, resource="root")
    if UNIQUE_ID.fullmatch(value):
        return AwsPrincipal(value, Form.UNIQUE_ID)
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] not in ("iam", "sts", "*") or not parts[5]:
        return AwsPrincipal(value, Form.UNRECOGNIZED)
    account, resource = parts[4], parts[5]
    if has_wildcards(account):
        return AwsPrincipal(value, Form.ACCOUNT_WILDCARD, account=account, resource=resource)
    if not ACCOUNT_ID.fullmatch(account):
        return AwsPrincipal(value, Form.UNRECOGNIZED)
    if resource == "root":
        return AwsPrincipal(value, Form.ACCOUNT, account=account, resource=resource)
    return AwsPrincipal(value, Form.IDENTITY, account=account, resource=resource)


@dataclass(frozen=True)
class OperatorIdentity:
    """What we know about the principal awsip calls ``sts:AssumeRole`` with.

    ``account`` comes from ``operator_principal_arn`` or else ``management_account_id``;
    ``resource`` is the path part of the operator's ARN (``role/path/name``, ``user/name``) and
    ``role_name`` the role's name when the ARN is an assumed-role session (whose ARN has no path).
    """

    account: str | None = None
    home_accounts: frozenset[str] = frozenset()
    arn: str | None = None
    resource: str | None = None
    role_name: str | None = None

    @classmethod
    def from_inputs(
        cls, management_account_id: str | None, operator_principal_arn: str | None
    ) -> OperatorIdentity:
        management = management_account_id if _is_account(management_account_id) else None
        parsed = classify(operator_principal_arn) if isinstance(operator_principal_arn, str) else None
        if parsed is None or parsed.form not in (Form.IDENTITY, Form.ACCOUNT) or parsed.account is None:
            return cls(account=management, home_accounts=frozenset([management] if management else []))
        resource = parsed.resource if parsed.form is Form.IDENTITY else None
        role_name = None
        if resource and resource.startswith("assumed-role/"):
            role_name = resource.split("/")[1] or None
        elif resource and resource.startswith("role/"):
            role_name = resource.rsplit("/", 1)[-1] or None
        homes = {parsed.account} | ({management} if management else set())
        return cls(
            account=parsed.account,
            home_accounts=frozenset(homes),
            arn=operator_principal_arn if parsed.form is Form.IDENTITY else None,
            resource=resource,
            role_name=role_name,
        )

    @property
    def known(self) -> bool:
        """Whether we know anything at all (an account) about the operator's principal."""
        return self.account is not None

    def is_home(self, account: str | None) -> bool:
        """Whether ``account`` is the management account (or the operator principal's)."""
        return account is not None and account in self.home_accounts

    def covered_by(self, principal: AwsPrincipal) -> bool:
        """Whether a trust statement naming ``principal`` may apply to the operator.

        Generous when we know little: with no account known, every AWS principal may be the
        operator; with only the account known, every principal of that account may be.
        """
        form = principal.form
        if form is Form.WILDCARD:
            return True
        if form in (Form.UNIQUE_ID, Form.UNRECOGNIZED) or principal.account is None:
            return False
        if self.account is None:
            return True
        if not matches(principal.account, self.account):
            return False
        if principal.resource in (None, "root", "*") or self.resource is None:
            return True
        return self._resource_matches(principal.resource)

    def _resource_matches(self, pattern: str) -> bool:
        assert self.resource is not None
        if matches(pattern, self.resource, ignore_case=True):
            return True
        # A session's ARN has no role path: a role principal with any path and the same name matches.
        if (
            self.resource.startswith("assumed-role/")
            and self.role_name
            and pattern.lower().startswith("role/")
        ):
            return matches(pattern.rsplit("/", 1)[-1], self.role_name, ignore_case=True)
        return False


def _is_account(value: str | None) -> bool:
    return isinstance(value, str) and ACCOUNT_ID.fullmatch(value) is not None
