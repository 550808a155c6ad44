"""Cooperative interruption of the engine's long work: one hook its loops call, set by the caller.

The engine is pure and knows nothing of deadlines or of the operator stopping; its caller does.
The caller installs a check with :func:`interruptible` (a context variable: it holds for the
calls in that thread and context only), and the engine's work loops -- a step of an automaton
search, a required statement of a coverage check, a branch of the condition solver -- call
:func:`checkpoint`, which runs the check. The check raises whatever the caller wants to stop the
work with; the engine never catches it (it is no :class:`~awsip.policy.wildcard.Undecided`), so it
reaches the caller, and caches keep only what was finished. Without a check, a checkpoint costs a
context-variable lookup.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar

_CHECK: ContextVar[Callable[[], None] | None] = ContextVar("awsip_policy_check", default=None)


def checkpoint() -> None:
    """Run the caller's check, if any (it may raise to stop the work under way)."""
    check = _CHECK.get()
    if check is not None:
        check()


@contextlib.contextmanager
def interruptible(check: Callable[[], None]) -> Iterator[None]:
    """Within the block, the engine's checkpoints call ``check``."""
    token = _CHECK.set(check)
    try:
        yield
    finally:
        _CHECK.reset(token)
