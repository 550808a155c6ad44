"""Run the awsip operator (Kopf) in a background thread of this process.

``kopf.operator()`` runs in an event loop of its own thread, so that the caller -- a synchronous
test, or ``awsip sandbox`` -- keeps its thread. Stopping goes through Kopf's stop flag, which runs
the cleanup handlers like a SIGTERM would.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Collection

import kopf

from awsip.controller import handlers
from awsip.controller.backend import Backend
from awsip.controller.config import OperatorConfig


class OperatorRunner:
    def __init__(
        self,
        config: OperatorConfig,
        *,
        backend: Backend | None = None,
        namespaces: Collection[str] = (),
    ) -> None:
        self.config = config
        self.backend = backend
        self.namespaces = tuple(namespaces)
        self.memo = kopf.Memo()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self.exception: BaseException | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 30) -> OperatorRunner:
        self.memo[handlers.CONFIG_KEY] = self.config
        if self.backend is not None:
            self.memo[handlers.BACKEND_KEY] = self.backend
        self._thread = threading.Thread(target=self._main, name="awsip-operator", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError(f"the operator did not start in {timeout}s: {self.exception!r}")
        return self

    def _main(self) -> None:
        try:
            asyncio.run(
                kopf.operator(
                    clusterwide=not self.namespaces,
                    namespaces=self.namespaces,
                    standalone=True,
                    memo=self.memo,
                    stop_flag=self._stop,
                    ready_flag=self._ready,
                )
            )
        except BaseException as exc:
            self.exception = exc
            self._ready.set()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise RuntimeError(f"the operator did not stop in {timeout}s")
        self._thread = None

    def __enter__(self) -> OperatorRunner:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
