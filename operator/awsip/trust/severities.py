"""How severe each trust-policy finding is (the codes themselves: ``awsip.api.condition_reasons.FindingCode``).

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

from awsip.api.condition_reasons import FindingCode
from awsip.api.v1alpha1 import Severity

#: Every finding code and its severity. Within a severity, earlier codes are listed (and chosen as
#: the condition's reason) first: a malformed document before what was analysed of it, exposure
#: before the role merely being unusable.
SEVERITIES: Final[dict[str, Severity]] = {
    FindingCode.WILDCARD_PRINCIPAL: "Critical",
    FindingCode.MALFORMED_TRUST_POLICY: "High",
    FindingCode.NOT_PRINCIPAL_ALLOW: "High",
    FindingCode.EXTERNAL_ID_NOT_ENFORCED: "High",
    FindingCode.EXTERNAL_ID_NOT_EXACT: "High",
    FindingCode.MANAGEMENT_PRINCIPAL_DENIED: "High",
    FindingCode.NO_ASSUME_ROLE_STATEMENT: "High",
    FindingCode.MANAGEMENT_PRINCIPAL_NOT_TRUSTED: "High",
    FindingCode.EXTERNAL_ID_NOT_CONFIGURED: "High",
    FindingCode.CONDITIONALLY_SCOPED_WILDCARD_PRINCIPAL: "Medium",
    FindingCode.PRINCIPAL_BROADER_THAN_MANAGEMENT_ACCOUNT: "Medium",
    FindingCode.FOREIGN_ACCOUNT_PRINCIPAL: "Medium",
    FindingCode.FEDERATED_PRINCIPAL: "Medium",
    FindingCode.EXTERNAL_ID_RECOMMENDED: "Low",
    FindingCode.UNRESOLVED_PRINCIPAL: "Low",
    FindingCode.DENY_NOT_PRINCIPAL: "Low",
    FindingCode.SERVICE_PRINCIPAL: "Info",
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
