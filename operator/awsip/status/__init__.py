"""Every status awsip writes, built here (pure): from a verification, or for a provider it does not verify.

```python
status = build_status(result, previous_status, generation=meta.generation, now=now)
if status_changed(previous_status, status): patch(uid_bound_patch(previous_status, status, uid=uid))
reconciling_status(previous_status, generation, now, "Verifying generation 3")  # when a new generation starts
invalid_spec_status(previous_status, generation=3, now=now, message="spec.roleARN: ...")  # spec refused
not_permitted_status(previous_status, generation=3, now=now, message=decision.message)  # tenancy refusal
```

The words they use (condition types, reasons) are :mod:`awsip.api.condition_reasons`'.
"""

from awsip.status.builder import build_status, reconciling_status
from awsip.status.diff import merge_patch, status_changed, uid_bound_patch
from awsip.status.size import MAX_STATUS_BYTES, fit_status
from awsip.status.stalled import invalid_spec_status, not_permitted_status
from awsip.status.transitions import format_time, parse_time

__all__ = [
    "MAX_STATUS_BYTES",
    "build_status",
    "fit_status",
    "format_time",
    "invalid_spec_status",
    "merge_patch",
    "not_permitted_status",
    "parse_time",
    "reconciling_status",
    "status_changed",
    "uid_bound_patch",
]
