"""Text output of ``awsip policy simulate``: the decision, then the statements it did not name.

The reason line already names the first deciding statement (``allowed by statement #0 of
policy X``); it is not repeated. Every other statement listed says what it did -- which matters
when the permissions boundary denies what the identity policies allow: the identity policy's
Allow is then shown as such, not as a bare statement that looks like the cause.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from awsip.policy import Decision
    from awsip.policy.model import StatementRef


def _role(ref: StatementRef) -> str:
    if ref.effect == "Deny":
        return "also denied by"
    return "allowed by the permissions boundary:" if ref.boundary else "allowed by the identity policies:"


def decision_text(decision: Decision) -> str:
    lines = [f"{decision.decision}: {decision.reason}"]
    lines += [f"  {_role(ref)} {ref}" for ref in decision.statements if str(ref) not in decision.reason]
    return "\n".join(lines) + "\n"
