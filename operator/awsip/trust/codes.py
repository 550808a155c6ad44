"""The vocabulary of trust-policy findings: codes (condition reasons) and their severities.

Severity answers "how urgently must this be fixed before awsip relies on the role":

- Critical: anyone outside your control can assume the role.
- High: the trust policy does not do what the provider needs -- an External ID that is configured
  but not enforced, or a policy that stops the operator from assuming the role at all. Any Critical
  or High finding makes ``TrustPolicySecure`` False.
- Medium: the policy trusts more principals than the operator needs.
- Low: hardening advice.
- Info: worth knowing, nothing to fix for awsip's sake.

See docs/trust-findings.md for the meaning of every code and its fix.
"""

from __future__ import annotations

from typing import Final

from awsip.api.types import Severity

SECURE: Final = "Secure"

WILDCARD_PRINCIPAL: Final = "WildcardPrincipal"
CONDITIONALLY_SCOPED_WILDCARD_PRINCIPAL: Final = "ConditionallyScopedWildcardPrincipal"
NOT_PRINCIPAL_ALLOW: Final = "NotPrincipalAllow"
MALFORMED_TRUST_POLICY: Final = "MalformedTrustPolicy"
NO_ASSUME_ROLE_STATEMENT: Final = "NoAssumeRoleStatement"
MANAGEMENT_PRINCIPAL_NOT_TRUSTED: Final = "ManagementPrincipalNotTrusted"
MANAGEMENT_PRINCIPAL_DENIED: Final = "ManagementPrincipalDenied"
EXTERNAL_ID_NOT_ENFORCED: Final = "ExternalIDNotEnforced"
EXTERNAL_ID_NOT_EXACT: Final = "ExternalIDNotExact"
EXTERNAL_ID_NOT_CONFIGURED: Final = "ExternalIDNotConfigured"
EXTERNAL_ID_RECOMMENDED: Final = "ExternalIDRecommended"
PRINCIPAL_BROADER_THAN_MANAGEMENT_ACCOUNT: Final = "PrincipalBroaderThanManagementAccount"
FOREIGN_ACCOUNT_PRINCIPAL: Final = "ForeignAccountPrincipal"
FEDERATED_PRINCIPAL: Final = "FederatedPrincipal"
UNRESOLVED_PRINCIPAL: Final = "UnresolvedPrincipal"
DENY_NOT_PRINCIPAL: Final = "DenyNotPrincipal"
SERVICE_PRINCIPAL: Final = "ServicePrincipal"

#: Every finding code and its severity. Within a severity, earlier codes are listed (and chosen as
#: the condition's reason) first: a malformed document before what was analysed of it, exposure
#: before the role merely being unusable.
SEVERITIES: Final[dict[str, Severity]] = {
    WILDCARD_PRINCIPAL: "Critical",
    MALFORMED_TRUST_POLICY: "High",
    NOT_PRINCIPAL_ALLOW: "High",
    EXTERNAL_ID_NOT_ENFORCED: "High",
    EXTERNAL_ID_NOT_EXACT: "High",
    MANAGEMENT_PRINCIPAL_DENIED: "High",
    NO_ASSUME_ROLE_STATEMENT: "High",
    MANAGEMENT_PRINCIPAL_NOT_TRUSTED: "High",
    EXTERNAL_ID_NOT_CONFIGURED: "High",
    CONDITIONALLY_SCOPED_WILDCARD_PRINCIPAL: "Medium",
    PRINCIPAL_BROADER_THAN_MANAGEMENT_ACCOUNT: "Medium",
    FOREIGN_ACCOUNT_PRINCIPAL: "Medium",
    FEDERATED_PRINCIPAL: "Medium",
    EXTERNAL_ID_RECOMMENDED: "Low",
    UNRESOLVED_PRINCIPAL: "Low",
    DENY_NOT_PRINCIPAL: "Low",
    SERVICE_PRINCIPAL: "Info",
}

#: Most severe first.
SEVERITY_ORDER: Final[tuple[Severity, ...]] = ("Critical", "High", "Medium", "Low", "Info")
#: Severities that make the trust policy insecure (``TrustPolicySecure`` False).
BLOCKING_SEVERITIES: Final[frozenset[Severity]] = frozenset({"Critical", "High"})


_CODE_ORDER: Final = {code: position for position, code in enumerate(SEVERITIES)}


def severity_rank(severity: Severity) -> int:
    """0 for Critical, 4 for Info: sort ascending to put the most severe first."""
    return SEVERITY_ORDER.index(severity)


def code_rank(code: str) -> int:
    """The position of ``code`` in :data:`SEVERITIES`: the tie-breaker within a severity."""
    return _CODE_ORDER[code]
