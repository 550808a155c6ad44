"""What the catalog knows about an action, as text and JSON (``awsip policy catalog ACTION``).

So that a user can see why a verdict came out as it did: which resource types a request for the
action can name (with their ARN formats), whether it is authorized against ``*``, which condition
keys it supports, and where the catalog only approximates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from awsip.catalog.authorization import Action, Catalog

#: Identifies the JSON layout below; bump it on an incompatible change.
JSON_FORMAT = "awsip.catalog.action/v1"
_LISTED_MATCHES = 50


@dataclass(frozen=True)
class Description:
    """The answer for one name: an action, the actions of a pattern, or nothing (with a suggestion)."""

    query: str
    actions: tuple[Action, ...]
    pattern: bool
    suggestion: str | None
    catalog: Catalog

    @property
    def found(self) -> bool:
        return bool(self.actions)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": JSON_FORMAT,
            "query": self.query,
            "found": self.found,
            "suggestion": self.suggestion,
            "catalog": self.catalog.source.to_json(),
            "actions": [_action_json(a) for a in self.actions],
        }

    def to_text(self) -> str:
        source = f"(catalog: {self.catalog.source})"
        if not self.actions:
            hint = f"; did you mean {self.suggestion}?" if self.suggestion else ""
            what = "matches no known action" if self.pattern else "is not an action any service defines"
            return f"{self.query} {what}{hint} {source}\n"
        if self.pattern:
            names = [a.full_name for a in self.actions]
            shown = names[:_LISTED_MATCHES]
            more = f"\n  ... and {len(names) - len(shown)} more" if len(names) > len(shown) else ""
            return (
                f"{self.query} matches {len(names)} actions {source}:\n  " + "\n  ".join(shown) + more + "\n"
            )
        return _action_text(self.actions[0]) + source + "\n"


def describe(catalog: Catalog, name: str) -> Description:
    """Look up an action (``eks:DescribeCluster``) or an action pattern (``eks:Describe*``)."""
    pattern = any(c in name for c in "*?")
    if pattern:
        return Description(name, tuple(catalog.matching(name)), True, None, catalog)
    lookup = catalog.lookup(name)
    found = (lookup.action,) if lookup.action is not None else ()
    return Description(name, found, False, lookup.suggestion, catalog)


def _action_json(action: Action) -> dict[str, Any]:
    return {
        "action": action.full_name,
        "access_level": action.access_level,
        "authorized_against_star": action.star,
        "resource_types": [
            {
                "name": row.resource_type.name,
                "required": row.required,
                "arn": row.resource_type.arn.text,
                "condition_keys": [k.name for k in row.resource_type.condition_keys],
            }
            for row in action.resource_types
        ],
        "condition_keys": [k.to_json() for k in action.condition_keys],
        "note": action.note or None,
        "formal": action.formal,
    }


def _action_text(action: Action) -> str:
    lines = [f"{action.full_name} ({action.access_level or 'no access level'})"]
    if action.note:
        lines.append(f"  note: {action.note}")
    if not action.resource_types:
        lines.append('  resource types: none -- authorized against *: only Resource "*" grants it')
    else:
        lines.append("  resource types (a request names an ARN of one of them):")
        width = max(len(r.resource_type.name) + (11 if r.required else 0) for r in action.resource_types)
        for row in action.resource_types:
            label = row.resource_type.name + (" (required)" if row.required else "")
            lines.append(f"    {label.ljust(width)}  {row.resource_type.arn.text}")
        if action.star:
            lines.append("    and *")
    if action.condition_keys:
        lines.append("  condition keys (and the global keys):")
        width = max(len(k.name) for k in action.condition_keys)
        for key in action.condition_keys:
            lines.append(f"    {key.name.ljust(width)}  {key.type}")
    else:
        lines.append("  condition keys: the global keys only")
    return "\n".join(lines) + "\n"
