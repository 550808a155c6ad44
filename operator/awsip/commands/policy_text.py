"""Text output of ``awsip policy``: lines that fit a terminal (100 columns, as the coverage report).

``simulate`` prints the decision, then the statements it did not name. The reason line already names the first deciding statement (``allowed by statement #0 of
policy X``); it is not repeated. Every other statement listed says what it did -- which matters
when the permissions boundary denies what the identity policies allow: the identity policy's
Allow is then shown as such, not as a bare statement that looks like the cause.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from awsip.policy import Decision
    from awsip.policy.findings import PolicyFinding
    from awsip.policy.model import StatementRef

#: As :data:`awsip.policy.report.TEXT_WIDTH` (not imported: the parser is built without the engine).
WIDTH = 100


def _role(ref: StatementRef) -> str:
    if ref.effect == "Deny":
        return "also denied by"
    return "allowed by the permissions boundary:" if ref.boundary else "allowed by the identity policies:"


def decision_text(decision: Decision) -> str:
    lines = [f"{decision.decision}: {decision.reason}"]
    lines += [f"  {_role(ref)} {ref}" for ref in decision.statements if str(ref) not in decision.reason]
    return "\n".join(lines) + "\n"


def findings_text(findings: list[PolicyFinding], width: int = WIDTH) -> str:
    """The findings after a coverage report, one wrapped entry each (info only)."""
    if not findings:
        return ""
    lines = [f"findings ({len(findings)}; info only, the verdict above already accounts for them):"]
    for finding in findings:
        lines += textwrap.wrap(
            f"{finding.code}: {finding.policy}, {finding.statement}: {finding.message}",
            width=width,
            initial_indent="  ",
            subsequent_indent="    ",
            break_long_words=False,
            break_on_hyphens=False,
        )
    return "\n".join(lines) + "\n"
