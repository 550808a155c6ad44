"""Deciding whether a namespace may use a role: :class:`TenancyRules` and :class:`TenancyDecision`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from awsip.tenancy.schema import ACCOUNT_ID, TenancyRule
from awsip.textcap import cap

_MAX_LISTED = 5
_RULES_LOCATION = "awsip's tenancy rules (the rules.yaml key of the tenancy ConfigMap, set from Helm values)"


@dataclass(frozen=True)
class TenancyDecision:
    """Whether a namespace may use a role; ``rule`` names the rule that permits it."""

    allowed: bool
    rule: str | None
    message: str


@dataclass(frozen=True)
class TenancyRules:
    """Parsed tenancy rules. With no rules every namespace may use every account."""

    rules: tuple[TenancyRule, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.rules

    @property
    def warnings(self) -> list[str]:
        """Things that are valid but probably not meant, e.g. a rule that applies to no namespace."""
        return [
            f"rule {rule.name!r} has neither namespaces nor namespaceSelector, so it applies to no namespace"
            for rule in self.rules
            if not rule.selects_namespaces
        ]

    @property
    def selects_by_labels(self) -> bool:
        """Whether some rule has a ``namespaceSelector`` (deciding then needs the namespace's labels)."""
        return any(rule.namespace_selector is not None for rule in self.rules)

    def permits(
        self, namespace: str, namespace_labels: Mapping[str, str] | None, role_arn: str
    ) -> TenancyDecision:
        """Whether ``namespace`` (with ``namespace_labels``) may use ``role_arn``.

        ``namespace_labels`` None: the labels are not known (the namespace could not be read), so
        only rules that name the namespace apply -- never a selector, not even ``NotIn`` or
        ``DoesNotExist``, which an empty set of labels would satisfy.
        """
        if self.empty:
            return TenancyDecision(
                allowed=True,
                rule=None,
                message="no tenancy rules are configured: every namespace may use every AWS account",
            )
        account = account_of(role_arn)
        applicable = [rule for rule in self.rules if rule.applies_to(namespace, namespace_labels)]
        for rule in applicable:
            if rule.permits_role(role_arn, account):
                return TenancyDecision(
                    allowed=True,
                    rule=rule.name,
                    message=(
                        f"tenancy rule {_quote(rule.name)} permits namespace {_quote(_short(namespace))} "
                        f"to use {_target(role_arn, account)}"
                    ),
                )
        return TenancyDecision(
            allowed=False, rule=None, message=_denial(namespace, role_arn, account, applicable)
        )


def account_of(role_arn: str) -> str | None:
    """The account ID of an IAM role ARN, or None when it is not one."""
    parts = role_arn.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and parts[2] == "iam" and ACCOUNT_ID.fullmatch(parts[4]):
        return parts[4]
    return None


def _target(role_arn: str, account: str | None) -> str:
    role = _short(role_arn)
    return f"account {account} (role {role})" if account else f"role {role}"


def _denial(namespace: str, role_arn: str, account: str | None, applicable: list[TenancyRule]) -> str:
    ask = (
        f"ask a cluster administrator to add a rule to {_RULES_LOCATION} that matches namespace "
        f"{_quote(_short(namespace))} and lists "
        + (f"account {account} in accounts or the role in roleARNs" if account else "the role in roleARNs")
    )
    text = f"namespace {_quote(_short(namespace))} may not use {_target(role_arn, account)}: no tenancy rule permits it; {ask}"
    if account is None:
        text += f". {_quote(_short(role_arn))} is not an IAM role ARN, so no accounts rule can match it"
    if applicable:
        names = ", ".join(_quote(rule.name) for rule in applicable[:_MAX_LISTED])
        accounts = sorted({a for rule in applicable for a in rule.accounts})
        patterns = list(dict.fromkeys(p for rule in applicable for p in rule.role_arns))
        allowed = []
        if accounts:
            allowed.append(f"accounts {_listing(accounts)}")
        if patterns:
            allowed.append(f"roles matching {_listing([_quote(_short(p)) for p in patterns])}")
        text += f". The rules that apply to this namespace ({names}) allow only {' and '.join(allowed)}"
    else:
        text += ". No rule applies to this namespace at all"
    return text + "."


def _listing(items: list[str]) -> str:
    shown = ", ".join(items[:_MAX_LISTED])
    return f"{shown} and {len(items) - _MAX_LISTED} more" if len(items) > _MAX_LISTED else shown


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _short(text: str, limit: int = 300) -> str:
    return cap(text, limit)
