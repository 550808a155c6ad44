"""Provider tables and failure details, as ``kubectl get awsip -A`` would show them (pure).

The columns are the CRD's printer columns (:data:`awsip.api.crd_manifest.PRINTER_COLUMNS`), evaluated with
the small subset of JSONPath they use: ``.a.b`` and ``[?(@.key=="value")]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from awsip.api.condition_reasons import ConditionType, find_condition
from awsip.api.crd_manifest import PRINTER_COLUMNS
from awsip.status import parse_time

_FILTER = re.compile(r'\[\?\(@\.(?P<key>[A-Za-z0-9_]+)=="(?P<value>[^"]*)"\)\]')
_STEP = re.compile(r'\.(?P<field>[A-Za-z0-9_]+)|\[\?\(@\.[A-Za-z0-9_]+=="[^"]*"\)\]')


def json_path(obj: Any, path: str) -> Any:
    """The value at ``path`` (``.status.conditions[?(@.type=="Ready")].status``), or None."""
    current: list[Any] = [obj]
    position = 0
    while position < len(path):
        step = _STEP.match(path, position)
        if step is None:
            raise ValueError(f"unsupported JSONPath: {path!r}")
        position = step.end()
        selected: list[Any] = []
        if step.group("field") is not None:
            for item in current:
                if isinstance(item, Mapping) and step.group("field") in item:
                    selected.append(item[step.group("field")])
        else:
            condition = _FILTER.fullmatch(step.group(0))
            assert condition is not None
            for item in current:
                for element in item if isinstance(item, list) else []:
                    if (
                        isinstance(element, Mapping)
                        and str(element.get(condition["key"])) == condition["value"]
                    ):
                        selected.append(element)
        current = selected
    return current[0] if current else None


def human_age(timestamp: Any, now: datetime) -> str:
    """kubectl's short durations: 45s, 12m, 5h, 3d."""
    moment = parse_time(timestamp)
    if moment is None:
        return "<unknown>"
    seconds = max(int((now - moment).total_seconds()), 0)
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 48 * 3600:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def columns(*, wide: bool = False) -> list[dict[str, Any]]:
    return [c for c in PRINTER_COLUMNS if wide or not c.get("priority")]


def cell(obj: Mapping[str, Any], column: Mapping[str, Any], now: datetime) -> str:
    value = json_path(obj, column["jsonPath"])
    if column["type"] == "date":
        return human_age(value, now) if value is not None else "<unknown>"
    return "" if value is None else str(value)


def rows(providers: Iterable[Mapping[str, Any]], now: datetime, *, wide: bool = False) -> list[list[str]]:
    header = ["NAMESPACE", "NAME"] + [c["name"].upper() for c in columns(wide=wide)]
    body = [
        [str(p["metadata"].get("namespace", "")), str(p["metadata"]["name"])]
        + [cell(p, c, now) for c in columns(wide=wide)]
        for p in sorted(providers, key=lambda p: (p["metadata"].get("namespace", ""), p["metadata"]["name"]))
    ]
    return [header, *body]


def render(table: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns separated by three spaces, like kubectl."""
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = [
        "   ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip()
        for row in table
    ]
    return "\n".join(lines) + "\n"


def provider_table(providers: Iterable[Mapping[str, Any]], now: datetime, *, wide: bool = False) -> str:
    return render(rows(providers, now, wide=wide))


def failure_details(provider: Mapping[str, Any]) -> list[str]:
    """What is wrong with a provider that is not Ready, and how to fix it (empty if Ready)."""
    status = provider.get("status") or {}
    ready = find_condition(status, ConditionType.READY) or {}
    if ready.get("status") == "True":
        return []
    meta = provider.get("metadata") or {}
    lines = [
        f"{meta.get('namespace')}/{meta.get('name')}: {ConditionType.READY}={ready.get('status', '?')} ({ready.get('reason', '?')})"
    ]
    findings = (status.get("trustPolicy") or {}).get("findings") or []
    checks = (
        ConditionType.ROLE_ASSUMED,
        ConditionType.PERMISSIONS_VERIFIED,
        ConditionType.TRUST_POLICY_SECURE,
    )
    for type_ in checks:
        item = find_condition(status, type_)
        if (
            item is None
            or item.get("status") == "True"
            or (type_ == ConditionType.TRUST_POLICY_SECURE and findings)
        ):
            continue  # (the findings below say it better than the condition's summary)
        lines.append(f"  {type_}={item.get('status')} ({item.get('reason')}): {item.get('message', '')}")
    permissions = status.get("permissions") or {}
    missing = permissions.get("missing") or []
    if missing:
        lines.append(f"  missing permissions ({permissions.get('missingActions', len(missing))}):")
        lines += [f"    - {m.get('action')} on {m.get('resource')}" for m in missing]
        if permissions.get("truncated"):
            lines.append("    - ... (more; the list is truncated)")
    if findings:
        lines.append("  trust-policy findings:")
        lines += [f"    - {f.get('severity')} {f.get('code')}: {f.get('message')}" for f in findings]
    if len(lines) == 1 and ready.get("message"):
        lines.append(f"  {ready['message']}")
    return lines
