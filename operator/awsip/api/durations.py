"""Go-style durations (``90s``, ``5m``, ``1h30m``), as Kubernetes, Flux and Argo CD write them."""

import functools
import re

_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


@functools.lru_cache(maxsize=256)
def parse_duration(text: str) -> float:
    """Seconds in a Go duration string. Raises ValueError for anything else.

    Remembered: the spec's validation and the scheduler read the same few intervals again and
    again (every turn of every provider)."""
    pos, total = 0, 0.0
    for match in _PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if not text or pos != len(text):
        raise ValueError(f"not a duration: {text!r} (use forms like 30s, 5m, 1h or 1h30m)")
    return total
