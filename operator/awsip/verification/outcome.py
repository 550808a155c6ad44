"""The outcome of one verification: one check per condition, and the details for the status.

The reasons a check may carry are :class:`awsip.api.condition_reasons.Reason`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from awsip.api.v1alpha1 import ConditionStatus, PermissionsStatus, TrustPolicyStatus
from awsip.verification.inputs import ProviderRef


@dataclass(frozen=True)
class Check:
    """The outcome of one check, as its condition will show it.

    ``transient``: the check could not be completed because of a failure worth retrying soon
    (throttling, timeouts, 5xx, connection errors); its status is then ``Unknown``.
    Any other status than ``True`` that is not transient needs a person to change something.
    """

    status: ConditionStatus
    reason: str
    message: str
    transient: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "True"


@dataclass(frozen=True)
class VerificationResult:
    """One verification of one provider.

    ``trust`` / ``permissions`` are None when the check was not attempted because an earlier
    step failed transiently: the status then keeps what the previous verification found.
    ``permissions_status`` / ``trust_status`` are the details for ``status.permissions`` and
    ``status.trustPolicy`` (None when the check produced none).
    """

    ref: ProviderRef
    role_arn: str
    role_assumed: Check
    trust: Check | None = None
    permissions: Check | None = None
    account_id: str | None = None
    assumed_role_arn: str | None = None
    permissions_status: PermissionsStatus | None = None
    trust_status: TrustPolicyStatus | None = None
    notes: tuple[str, ...] = field(default=())
    """Things worth a log line that do not change the verdict (e.g. Simulate skipped in Auto)."""

    @property
    def checks(self) -> tuple[Check, ...]:
        """The checks made, in the order that decides which failure Ready reports."""
        return tuple(c for c in (self.role_assumed, self.permissions, self.trust) if c is not None)

    @property
    def transient(self) -> bool:
        """True when a check failed transiently: the controller should retry soon, with backoff."""
        return any(check.transient for check in self.checks)

    @property
    def verified(self) -> bool:
        """Role assumed, every required permission granted, trust policy secure."""
        return all(
            check is not None and check.ok for check in (self.role_assumed, self.permissions, self.trust)
        )
