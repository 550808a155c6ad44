"""The controller's one backoff: how long to wait after the n-th failure in a row (pure).

Used for a provider's transient failures (AWS unreachable, throttled; an unexpected error) and for
the watch of one object (:mod:`awsip.controller.object_watch`) when the API server fails it.
"""

from __future__ import annotations

import math

from awsip.controller.scheduling import fraction


def retry_delay(failures: int, *, base: float, cap: float, spread_key: str | None = None) -> float:
    """Seconds to wait after the ``failures``-th consecutive failure (1, 2, 3 ...).

    Exponential from ``base``, capped at ``cap``. With ``spread_key`` (a provider's uid) the delay
    is stretched by a fixed fraction of up to a quarter, derived from the key, so that providers
    failing together (an AWS outage) do not retry together.
    """
    exponent = min(max(failures, 1) - 1, 30)
    delay = min(cap, base * math.pow(2, exponent))
    if spread_key is None:
        return delay
    return delay * (1 + 0.25 * fraction(f"retry:{spread_key}"))
