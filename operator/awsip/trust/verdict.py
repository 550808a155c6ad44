"""The result of a trust-policy analysis, and how findings are collected, ordered and capped."""

from __future__ import annotations

from dataclasses import dataclass, field

from awsip.api.condition_reasons import Reason
from awsip.api.v1alpha1 import MAX_MESSAGE_LENGTH, MAX_TRUST_FINDINGS, TrustFinding, TrustPolicyStatus
from awsip.textcap import cap
from awsip.trust import severities


@dataclass(frozen=True)
class TrustAnalysis:
    """What is wrong with a role's trust policy (``findings``, most severe first) and the verdict.

    - ``external_id_enforced``: every Allow statement that lets the operator's principal call
      sts:AssumeRole requires sts:ExternalId with an exact operator (or a Deny rejects any other
      value). False when no statement lets the operator in at all.
    - ``secure``: no Critical or High finding.
    - ``reason``: ``Secure`` when secure, else the code of the most severe finding.
    - ``message``: one paragraph for the ``TrustPolicySecure`` condition: what is wrong, the fix.
    - ``findings`` holds at most ``MAX_TRUST_FINDINGS``; ``truncated`` says more were found
      (``total_findings`` counts them all).
    """

    findings: list[TrustFinding]
    external_id_enforced: bool
    secure: bool
    reason: str
    message: str
    truncated: bool = False
    total_findings: int = 0

    def to_status(self) -> TrustPolicyStatus:
        return TrustPolicyStatus(
            externalIDEnforced=self.external_id_enforced,
            findings=list(self.findings),
            truncated=self.truncated,
        )

    @property
    def codes(self) -> list[str]:
        """The codes of the listed findings, in order."""
        return [finding.code for finding in self.findings]


@dataclass
class FindingCollector:
    """Findings in the order they were found; :meth:`result` sorts, deduplicates and caps them."""

    _items: list[tuple[int, int, int, int, TrustFinding]] = field(default_factory=list)
    _seen: set[tuple[str, str | None, str]] = field(default_factory=set)

    def add(self, code: str, message: str, *, statement: str | None = None, index: int = -1) -> None:
        severity = severities.SEVERITIES[code]
        finding = TrustFinding(
            severity=severity,
            code=code,
            message=cap(message, MAX_MESSAGE_LENGTH),
            statement=cap(statement, 256) if statement is not None else None,
        )
        key = (code, finding.statement, finding.message)
        if key in self._seen:
            return
        self._seen.add(key)
        self._items.append(
            (severities.severity_rank(severity), severities.code_rank(code), index, len(self._items), finding)
        )

    def result(self, *, external_id_enforced: bool) -> TrustAnalysis:
        ordered = [item[-1] for item in sorted(self._items, key=lambda item: item[:4])]
        listed = ordered[:MAX_TRUST_FINDINGS]
        secure = not any(finding.severity in severities.BLOCKING_SEVERITIES for finding in ordered)
        reason = Reason.SECURE if secure else ordered[0].code
        return TrustAnalysis(
            findings=listed,
            external_id_enforced=external_id_enforced,
            secure=secure,
            reason=reason,
            message=_summary(ordered, secure=secure, external_id_enforced=external_id_enforced),
            truncated=len(ordered) > len(listed),
            total_findings=len(ordered),
        )


def _summary(findings: list[TrustFinding], *, secure: bool, external_id_enforced: bool) -> str:
    enforced = " The External ID is enforced." if external_id_enforced else ""
    if not findings:
        return f"The trust policy has no findings.{enforced}"
    head = findings[0]
    where = f" (statement {head.statement})" if head.statement else ""
    opening = (
        f"The trust policy is acceptable, with {len(findings)} finding(s) to review.{enforced} "
        if secure
        else ""
    )
    also = ""
    counts: dict[str, int] = {}
    for finding in findings[1:]:
        counts[finding.code] = counts.get(finding.code, 0) + 1
    if counts:
        listed = ", ".join(
            f"{code} ({severities.SEVERITIES[code]}{f', x{count}' if count > 1 else ''})"
            for code, count in counts.items()
        )
        also = f" Also: {listed}; see status.trustPolicy.findings."
    text = f"{opening}{head.severity}{where}: {head.message}"
    return cap(text, MAX_MESSAGE_LENGTH - len(also)) + also
