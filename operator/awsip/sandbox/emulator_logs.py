"""The emulators' own log lines go to a file of the sandbox, not to the operator's log or the terminal.

moto, werkzeug (moto's HTTP server), kmock and aiohttp run in the sandbox's process and would log
into the same root logger as the operator. Their lines are not the operator's output: a request
moto could not serve was about 60 lines of traceback on the user's terminal per retry, and moto's
debug lines dump whole AWS requests, External IDs included. While the sandbox runs, these loggers
write their warnings and errors to one file (``emulators.log`` in the working folder) and nowhere
else; their levels, handlers and propagation are restored when it stops.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Final

EMULATOR_LOGGERS: Final = ("moto", "werkzeug", "kmock", "aiohttp.server", "aiohttp.access", "aiohttp.web")


class EmulatorLogs:
    def __init__(self, path: Path, names: tuple[str, ...] = EMULATOR_LOGGERS) -> None:
        self.path = path
        self.names = names
        self._handler: logging.Handler | None = None
        self._saved: dict[str, tuple[int, list[logging.Handler], bool]] = {}

    def start(self) -> EmulatorLogs:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(self.path, encoding="utf-8", delay=True)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        self._handler = handler
        for name in self.names:
            log = logging.getLogger(name)
            self._saved[name] = (log.level, list(log.handlers), log.propagate)
            log.handlers = [handler]
            log.propagate = False
            log.setLevel(logging.WARNING)
        return self

    def stop(self) -> None:
        for name, (level, handlers, propagate) in self._saved.items():
            log = logging.getLogger(name)
            log.handlers = handlers
            log.propagate = propagate
            log.setLevel(level)
        self._saved.clear()
        if self._handler is not None:
            self._handler.close()
            self._handler = None
