"""How much CPU-bound work one verification may do, and stopping it when the operator stops.

A provider names its required policy; anyone who may create a provider may therefore hand the
policy engine a document, and the role's own policies may be the tenant's too. The engine bounds
each of its searches, and a document larger than IAM lets a role have is refused before it is
analysed (:mod:`awsip.policy.limits`), but a document of many wildcard statements within IAM's
sizes still asks for very many searches: without a bound on the whole, one tenant's providers hold
every worker for minutes and the process keeps computing after SIGTERM. So:

- **work**: the engine's work in one verification stops at :attr:`WorkLimits.cpu_seconds` of the
  thread's CPU time or :attr:`WorkLimits.wall_seconds` of wall time (contention for the GIL
  stretches the one into the other), through the engine's checkpoints
  (:mod:`awsip.policy.interrupt`); the check is reported as too costly, and not retried before the
  next interval;
- **stopping**: when the operator stops (SIGTERM), ``stopping`` is set and the work under way ends
  at its next checkpoint, instead of holding the process for as long as the work would take.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from awsip.policy.interrupt import interruptible

#: Checkpoints between two looks at the clocks and at ``stopping`` (a look costs about a microsecond).
_CLOCK_EVERY: Final = 32


@dataclass(frozen=True)
class WorkLimits:
    """The engine's work in one verification: at most this much CPU time of its thread, and this
    much wall time. The seed's policy against ten AWS-managed policies takes a few milliseconds."""

    cpu_seconds: float = 5.0
    wall_seconds: float = 20.0

    def __post_init__(self) -> None:
        if self.cpu_seconds <= 0 or self.wall_seconds <= 0:
            raise ValueError("the work limits must be positive")


class WorkBudgetExceeded(Exception):
    """The engine's work went beyond the limits."""

    def __init__(self, limits: WorkLimits, cpu: float, wall: float) -> None:
        super().__init__(f"{cpu:.1f} s of CPU time in {wall:.1f} s")
        self.limits = limits
        self.cpu = cpu
        self.wall = wall


class Stopping(Exception):
    """The operator is stopping: the work under way is abandoned."""


@contextlib.contextmanager
def bounded_work(limits: WorkLimits, stopping: threading.Event | None = None) -> Iterator[None]:
    """Within the block, the engine's work raises :class:`WorkBudgetExceeded` beyond ``limits``
    (counted from the start of the block) and :class:`Stopping` once ``stopping`` is set."""
    cpu_start, wall_start = time.thread_time(), time.monotonic()
    calls = 0

    def check() -> None:
        nonlocal calls
        calls += 1
        if calls % _CLOCK_EVERY:
            return
        if stopping is not None and stopping.is_set():
            raise Stopping()
        cpu, wall = time.thread_time() - cpu_start, time.monotonic() - wall_start
        if cpu > limits.cpu_seconds or wall > limits.wall_seconds:
            raise WorkBudgetExceeded(limits, cpu, wall)

    with interruptible(check):
        yield
