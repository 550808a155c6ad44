"""Keeping a provider's status small, whatever AWS or a policy document put into it (pure).

Every field of the status already has its own cap (messages 4096 characters, 50 missing
permissions, 20 trust findings, 20 policy findings, ...), but together, and with characters that
take several bytes, they could still add up to hundreds of KiB -- and every status patch, watch
event and ``kubectl get`` carries the whole object. :func:`fit_status` therefore bounds the status
as a whole: when its JSON exceeds :data:`MAX_STATUS_BYTES`, lists are shortened (``truncated`` is
set; the counts ``missingActions``/``unknownActions``/``findingCount`` stay exact) and long texts
are cut (ending in "..."), in steps, until it fits. The last step leaves at most 128 characters per
message and reason and no list entries, which fits whatever AWS answered; only conditions of other
controllers (kept from the status before, at most 16 conditions in all) could still make a status
larger.

The size is measured as ``json.dumps`` writes it by default, with every non-ASCII character as a
``\\uXXXX`` escape: never less than its UTF-8 size, so the bound holds for either encoding.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Final

from awsip.api.v1alpha1 import MAX_MESSAGE_LENGTH, MAX_MISSING_LISTED, MAX_TRUST_FINDINGS
from awsip.status.transitions import safe_reason
from awsip.textcap import cap

#: The most a status may take as JSON, far below Kubernetes' object size limit (about 1.5 MiB).
MAX_STATUS_BYTES: Final = 48 * 1024


@dataclass(frozen=True)
class _Step:
    missing: int  # missing permissions listed
    findings: int  # trust findings listed
    message: int  # characters per message
    text: int  # characters per other text (actions, resources, reasons of list entries)
    #: The last resort also cuts condition reasons and the assumed-role ARN (which STS keeps far
    #: shorter than this).
    reason: int | None = None
    arn: int | None = None


#: From the usual caps down to the last resort.
_STEPS: Final = (
    _Step(MAX_MISSING_LISTED, MAX_TRUST_FINDINGS, MAX_MESSAGE_LENGTH, 2048),
    _Step(20, 10, 1024, 512),
    _Step(10, 5, 256, 256),
    _Step(0, 0, 128, 128, reason=128, arn=512),
)


def json_size(value: Any) -> int:
    """Bytes of ``value`` as compact, ASCII-escaped JSON."""
    return len(json.dumps(value, separators=(",", ":"), default=str))


def fit_status(
    status: dict[str, Any],
    *,
    max_bytes: int = MAX_STATUS_BYTES,
    carried_conditions: Collection[str] = (),
    carried_keys: Collection[str] = (),
) -> dict[str, Any]:
    """``status`` itself when it fits in ``max_bytes``; else a shortened copy (see the module docs).

    ``carried_conditions`` (condition types) and ``carried_keys`` (top-level keys) name the parts
    taken over from the previous status rather than computed now. When the status does not fit,
    those are cut to the last resort first, and only then is a step chosen for the fresh parts:
    so the step never depends on how the previous status was cut, and building the status again
    from the same result and this status as the previous one gives this status again.
    """
    if json_size(status) <= max_bytes:
        return status
    if carried_conditions or carried_keys:
        status = _precut(status, set(carried_conditions), set(carried_keys))
        if json_size(status) <= max_bytes:
            return status
    fitted = status
    for step in _STEPS[1:]:
        fitted = _shortened(status, step)
        if json_size(fitted) <= max_bytes:
            break
    return fitted


def _precut(status: Mapping[str, Any], conditions: set[str], keys: set[str]) -> dict[str, Any]:
    """``status`` with the named conditions and top-level keys cut to the last resort."""
    carried = {key: status[key] for key in keys if key in status}
    carried["conditions"] = [
        c for c in status.get("conditions") or [] if isinstance(c, dict) and c.get("type") in conditions
    ]
    cut = _shortened(carried, _STEPS[-1])
    out = dict(status)
    for key in keys:
        if key in cut:
            out[key] = cut[key]
    replaced = {c["type"]: c for c in cut["conditions"]}
    out["conditions"] = [
        replaced.get(c.get("type"), c) if isinstance(c, dict) else c for c in status.get("conditions") or []
    ]
    return out


def _shortened(status: Mapping[str, Any], step: _Step) -> dict[str, Any]:
    out = copy.deepcopy(dict(status))
    for condition in out.get("conditions") or []:
        if not isinstance(condition, dict):
            continue
        if isinstance(condition.get("message"), str):
            condition["message"] = cap(condition["message"], step.message)
        if step.reason is not None and isinstance(condition.get("reason"), str):
            condition["reason"] = safe_reason(condition["reason"][: step.reason])
    if step.arn is not None and isinstance(out.get("assumedRoleARN"), str):
        out["assumedRoleARN"] = cap(out["assumedRoleARN"], step.arn)
    permissions = out.get("permissions")
    if isinstance(permissions, dict) and isinstance(permissions.get("missing"), list):
        missing = permissions["missing"]
        if len(missing) > step.missing:
            permissions["truncated"] = True
        permissions["missing"] = [_capped(item, step.text) for item in missing[: step.missing]]
    if isinstance(permissions, dict) and isinstance(permissions.get("findings"), list):
        # Policy findings are listed like trust findings; ``findingCount`` stays exact.
        permissions["findings"] = [
            _capped(item, step.text, message_chars=step.message)
            for item in permissions["findings"][: step.findings]
        ]
    trust = out.get("trustPolicy")
    if isinstance(trust, dict) and isinstance(trust.get("findings"), list):
        findings = trust["findings"]
        if len(findings) > step.findings:
            trust["truncated"] = True
        trust["findings"] = [
            _capped(item, step.text, message_chars=step.message) for item in findings[: step.findings]
        ]
    return out


def _capped(item: Any, text_chars: int, *, message_chars: int | None = None) -> Any:
    if not isinstance(item, dict):
        return item
    capped = dict(item)
    for key, value in item.items():
        if isinstance(value, str):
            limit = message_chars if key == "message" and message_chars is not None else text_chars
            capped[key] = cap(value, limit)
    return capped
