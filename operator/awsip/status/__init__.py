"""The provider's status from a verification (pure): conditions, times, generations.

```python
status = build_status(result, previous_status, generation=meta.generation, now=now)
if status_changed(previous_status, status): patch(status)
reconciling_status(previous_status, generation, now, "Verifying generation 3")  # when a new generation starts
```
"""

from awsip.status.builder import StatusReason, build_status, reconciling_status, status_changed
from awsip.status.conditions import format_time

__all__ = ["StatusReason", "build_status", "format_time", "reconciling_status", "status_changed"]
