"""A status shortened to fit is stable: building it again from the same result gives it again.

Found by tests/fuzz/test_status_fuzz.py: a check that was not reached keeps the previous
status's condition; when that condition was huge, the first build had to cut the fresh messages
hard, the second (whose kept condition was already cut) cut them less, and the status changed
with nothing new to say -- one needless patch. Parts taken over from the previous status are now
cut first, so the step chosen for the fresh parts never depends on how the previous one was cut.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from awsip.status import MAX_STATUS_BYTES, build_status, status_changed
from awsip.verification import ProviderRef, VerificationResult
from awsip.verification.outcome import Check

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
REF = ProviderRef("team-a", "p")
ARN = "arn:aws:iam::123456789012:role/capa"
HUGE = "\U00010000" * 4096  # 12 bytes each in ASCII-escaped JSON


def test_a_status_that_keeps_a_huge_condition_is_stable() -> None:
    # A previous status with a huge PermissionsVerified message (as an operator without the size
    # bound, or another writer, could have left it): 4096 characters of 12 bytes each.
    before = build_status(
        VerificationResult(
            REF,
            ARN,
            role_assumed=Check("True", "AssumeRoleSucceeded", "Assumed."),
            trust=Check("True", "Secure", "Secure."),
            permissions=Check("False", "MissingPermissions", "short"),
        ),
        None,
        generation=1,
        now=NOW - timedelta(hours=1),
    )
    for condition in before["conditions"]:
        if condition["type"] == "PermissionsVerified":
            condition["message"] = HUGE
    # Now AssumeRole fails: permissions and trust are not checked, their conditions are kept.
    result = VerificationResult(REF, ARN, role_assumed=Check("False", "AccessDenied", "\n" * 4000))
    status = build_status(result, before, generation=None, now=NOW)
    assert len(json.dumps(status, separators=(",", ":"))) <= MAX_STATUS_BYTES
    messages = {c["type"]: c["message"] for c in status["conditions"]}
    assert messages["RoleAssumed"] == "\n" * 4000  # the fresh verdict is not cut for the old one
    again = build_status(result, status, generation=None, now=NOW)
    assert not status_changed(status, again)
