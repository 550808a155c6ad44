"""The provider's status from a verification (pure): conditions, times, generations.

```python
status = build_status(result, previous_status, generation=meta.generation, now=now)
if status_changed(previous_status, status): patch(status)
reconciling_status(previous_status, generation, now, "Verifying generation 3")  # when a new generation starts
not_permitted_status(previous_status, generation=3, now=now, message=decision.message)  # tenancy refusal
```
"""

from awsip.status.builder import StatusReason, build_status, reconciling_status, status_changed
from awsip.status.conditions import format_time
from awsip.status.refusal import NOT_PERMITTED, is_not_permitted, not_permitted_status
from awsip.status.size import MAX_STATUS_BYTES, fit_status

__all__ = [
    "MAX_STATUS_BYTES",
    "NOT_PERMITTED",
    "StatusReason",
    "build_status",
    "fit_status",
    "format_time",
    "is_not_permitted",
    "not_permitted_status",
    "reconciling_status",
    "status_changed",
]
