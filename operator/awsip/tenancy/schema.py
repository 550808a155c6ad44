"""The tenancy rules file (``rules.yaml``) as pydantic models.

```yaml
rules:
  - name: team-a
    namespaces: ["team-a", "team-a-*"]            # globs on namespace names
    namespaceSelector: {matchLabels: {team: a}}   # or a label selector (either suffices)
    accounts: ["111122223333"]                    # accounts the namespaces may use
    roleARNs: ["arn:aws:iam::444455556666:role/capa-*"]   # and/or role ARN globs
```
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from awsip.policy.wildcard import matches
from awsip.tenancy.label_selectors import LabelSelector

ACCOUNT_ID = re.compile(r"[0-9]{12}")
_NAMESPACE_GLOB = re.compile(r"[-a-z0-9*?]{1,253}")
_ROLE_ARN_GLOB = re.compile(r"arn:[-a-z*?]+:iam::[0-9*?]+:role/[!-~]+")
_RULE_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,251}[A-Za-z0-9])?")


def _account(value: Any) -> Any:
    # YAML reads an unquoted 111122223333 as an integer; twelve digits without a leading zero are
    # unambiguous. Anything else (a leading zero turns YAML's number octal) must be quoted.
    if isinstance(value, int) and not isinstance(value, bool):
        if 10**11 <= value < 10**12:
            return str(value)
        raise ValueError(
            f'account {value} is not 12 digits; write account IDs as quoted strings ("011122223333"): '
            "YAML reads unquoted numbers as integers and loses leading zeros"
        )
    return value


def _check_account(value: str) -> str:
    if not ACCOUNT_ID.fullmatch(value):
        raise ValueError(f"account {value[:80]!r} is not an AWS account ID (12 digits)")
    return value


def _check_namespace_glob(value: str) -> str:
    if not _NAMESPACE_GLOB.fullmatch(value):
        raise ValueError(
            f"namespace pattern {value[:80]!r} may contain only lower-case letters, digits, '-' and the "
            "wildcards '*' and '?'"
        )
    return value


def _check_role_arn_glob(value: str) -> str:
    if value != "*" and not _ROLE_ARN_GLOB.fullmatch(value):
        raise ValueError(
            f"role ARN pattern {value[:120]!r} is not an IAM role ARN (arn:aws:iam::111122223333:role/NAME; "
            "'*' and '?' are wildcards)"
        )
    return value


def _check_rule_name(value: str) -> str:
    if not _RULE_NAME.fullmatch(value):
        raise ValueError(
            f"rule name {value[:80]!r} must be 1 to 253 letters, digits, '-', '_' or '.', starting and "
            "ending with a letter or digit"
        )
    return value


AccountId = Annotated[str, BeforeValidator(_account), AfterValidator(_check_account)]
NamespaceGlob = Annotated[str, AfterValidator(_check_namespace_glob)]
RoleArnGlob = Annotated[str, AfterValidator(_check_role_arn_glob)]
RuleName = Annotated[str, AfterValidator(_check_rule_name)]


class TenancyRule(BaseModel):
    """Namespaces (by name glob or label selector) and the AWS accounts / role ARNs they may use.

    A rule applies to a namespace when one of ``namespaces`` matches its name or
    ``namespaceSelector`` matches its labels; a rule with neither applies to no namespace. It
    permits a role when the role's account is in ``accounts`` or the role ARN matches one of
    ``roleARNs``; a rule must list at least one of the two.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: RuleName
    namespaces: tuple[NamespaceGlob, ...] = ()
    namespace_selector: LabelSelector | None = Field(default=None, alias="namespaceSelector")
    accounts: tuple[AccountId, ...] = ()
    role_arns: tuple[RoleArnGlob, ...] = Field(default=(), alias="roleARNs")

    @model_validator(mode="after")
    def _grants_something(self) -> TenancyRule:
        if not self.accounts and not self.role_arns:
            raise ValueError(
                "the rule permits nothing: list the AWS accounts (accounts) or role ARN patterns "
                "(roleARNs) its namespaces may use"
            )
        return self

    @property
    def selects_namespaces(self) -> bool:
        """False for a rule that applies to no namespace (no ``namespaces``, no selector)."""
        return bool(self.namespaces) or self.namespace_selector is not None

    def applies_to(self, namespace: str, labels: Mapping[str, str] | None) -> bool:
        """``labels`` None: the namespace's labels are not known, and no selector matches."""
        if any(matches(pattern, namespace) for pattern in self.namespaces):
            return True
        return (
            labels is not None
            and self.namespace_selector is not None
            and self.namespace_selector.matches(labels)
        )

    def permits_role(self, role_arn: str, account: str | None) -> bool:
        if account is not None and account in self.accounts:
            return True
        return any(matches(pattern, role_arn) for pattern in self.role_arns)


class TenancyFile(BaseModel):
    """The whole ``rules.yaml`` document."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: tuple[TenancyRule, ...] = ()

    @model_validator(mode="after")
    def _unique_names(self) -> TenancyFile:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.name in seen:
                raise ValueError(f"two rules are named {rule.name!r}; rule names must be unique")
            seen.add(rule.name)
        return self
