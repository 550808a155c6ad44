"""The result of a coverage check, as objects, as stable JSON and as text that fits a terminal."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from awsip.catalog import CatalogSource
from awsip.policy.model import Request

Status = Literal["Covered", "NotCovered", "Unknown"]
#: Which requests a result is about: those AWS can make for the action (the authorization
#: catalog's resource types), or every string (the formal check, where the catalog cannot say).
RequestScope = Literal["catalog", "formal"]

#: Columns of :meth:`CoverageReport.to_text` (the command line gives its terminal's, up to this).
TEXT_WIDTH = 100
#: Identifies the JSON layout below; bump it on an incompatible change.
JSON_FORMAT = "awsip.policy.coverage/v1"


class ActionResult(NamedTuple):
    """Coverage of one required action (or action pattern) of one required statement.

    ``resource`` is the required statement's resource pattern(s), ``statement`` names the required
    statement. A NotCovered result carries a ``witness``: a concrete request inside the required
    one that :func:`awsip.policy.simulate` denies, with the reason it is denied.

    A named tuple: a check makes one per required action (114 for capa-minimal), and a frozen
    dataclass cost several times more to make.
    """

    action: str
    resource: str
    status: Status
    reason: str
    witness: Request | None = None
    statement: str = ""
    requests: RequestScope = "formal"
    note: str = ""  # why the formal check applies, or how the catalog approximates

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "resource": self.resource,
            "statement": self.statement,
            "status": self.status,
            "reason": self.reason,
            "witness": None if self.witness is None else self.witness.to_json(),
            "requests": self.requests,
            "note": self.note or None,
        }


def _distinct(results: list[ActionResult]) -> int:
    return len({r.action.lower() for r in results})


@dataclass
class CoverageReport:
    """Whether the policies grant everything the required policy grants."""

    required: str
    policies: tuple[str, ...]
    boundary: str | None
    results: list[ActionResult] = field(default_factory=list)
    catalog: CatalogSource | None = None  # the data the requests were shaped by (None: formal only)

    @property
    def missing(self) -> list[ActionResult]:
        return [r for r in self.results if r.status == "NotCovered"]

    @property
    def unknown(self) -> list[ActionResult]:
        return [r for r in self.results if r.status == "Unknown"]

    @property
    def covered(self) -> bool:
        """True only when every required action is Covered (nothing missing, nothing unknown)."""
        return all(r.status == "Covered" for r in self.results)

    @property
    def required_actions(self) -> int:
        return _distinct(self.results)

    @property
    def missing_actions(self) -> int:
        return _distinct(self.missing)

    @property
    def unknown_actions(self) -> int:
        """Distinct actions with an Unknown result and no NotCovered one."""
        missing = {r.action.lower() for r in self.missing}
        return len({r.action.lower() for r in self.unknown} - missing)

    def copy(self) -> CoverageReport:
        return CoverageReport(self.required, self.policies, self.boundary, list(self.results), self.catalog)

    def to_json(self) -> dict[str, Any]:
        """The stable JSON form (documented in docs/policy-engine.md)."""
        return {
            "format": JSON_FORMAT,
            "covered": self.covered,
            "required": self.required,
            "policies": list(self.policies),
            "boundary": self.boundary,
            "catalog": None if self.catalog is None else self.catalog.to_json(),
            "required_actions": self.required_actions,
            "missing_actions": self.missing_actions,
            "unknown_actions": self.unknown_actions,
            "missing": [r.to_json() for r in self.missing],
            "unknown": [r.to_json() for r in self.unknown],
        }

    def summary(self) -> str:
        if self.covered:
            return f"covered: all {self.required_actions} required actions are allowed"
        parts = []
        if self.missing:
            parts.append(f"{self.missing_actions} of {self.required_actions} required actions missing")
        if self.unknown:
            parts.append(f"{self.unknown_actions} undecided")
        return "NOT covered: " + ", ".join(parts)

    def to_text(self, width: int = TEXT_WIDTH) -> str:
        """The summary, then one block per missing or undecided action, wrapped at ``width``::

            NotCovered  eks:CreateCluster on *
                        denied by statement "DenyEKS" of policy deny-eks.json
                        e.g. eks:CreateCluster on arn:aws:eks:us-east-1:123456789012:example

        (A word longer than the line -- an ARN -- is not broken: it may run past ``width``.)
        """
        lines = [f"{self.required}: {self.summary()}"]
        results = self.missing + self.unknown
        indent = " " * (max((len(r.status) for r in results), default=0) + 2)
        for result in results:
            head = f"{result.status.ljust(len(indent) - 2)}  {result.action} on {result.resource}"
            lines += _wrapped(head, width, "", indent)
            lines += _wrapped(result.reason, width, indent, indent)
            if result.witness is not None:
                lines += _wrapped(f"e.g. {result.witness}", width, indent, indent + "     ")
        return "\n".join(lines) + "\n"


def _wrapped(text: str, width: int, first: str, rest: str) -> list[str]:
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [first.rstrip()]
