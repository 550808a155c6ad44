"""An HTTP proxy in front of a loopback moto server that throttles chosen accounts, as AWS does.

moto never throttles. This proxy answers ``Throttling`` (HTTP 400, the query-protocol error body
that IAM and STS send) to a request of an account that already had ``limit`` requests accepted in
the last second, and passes everything else through unchanged (headers included, so signatures
still match). The account of a request is the account of its signing key, as moto resolves it:
the operator's user key belongs to the operator's account, an assumed-role session's key to the
role's account. It must run in the moto server's process (it asks moto's in-memory IAM).

Every request is logged with its arrival time, account, operation and whether it was throttled.
"""

from __future__ import annotations

import http.client
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

THROTTLING_BODY = (
    b'<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
    b"<Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
    b"<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
)
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})


@dataclass(frozen=True)
class ProxiedRequest:
    at: float
    account: str
    operation: str
    """``service:Action``, e.g. ``iam:GetRole``."""
    throttled: bool


def moto_account_of(access_key_id: str) -> str:
    """The account moto files ``access_key_id`` under (its default account for keys it does not know)."""
    from moto.iam.models import get_account_id_from

    return str(get_account_id_from(access_key_id))


class ThrottlingProxy:
    """``limits``: calls per second accepted from each throttled account (others: unlimited)."""

    def __init__(
        self,
        target: str,
        *,
        limits: Mapping[str, int],
        account_of: Callable[[str], str] = moto_account_of,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        parsed = urllib.parse.urlsplit(target)
        self._target = (parsed.hostname or "127.0.0.1", parsed.port or 80)
        self.limits = dict(limits)
        self._account_of = account_of
        self._clock = clock
        self._accepted: dict[str, deque[float]] = {}
        self._keys: dict[str, str] = {}
        self._lock = threading.Lock()
        self.requests: list[ProxiedRequest] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> ThrottlingProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                proxy._handle(self)

            do_GET = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="throttling-proxy", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> ThrottlingProxy:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def snapshot(self) -> list[ProxiedRequest]:
        with self._lock:
            return list(self.requests)

    # -- serving ---------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        service, key = _credential_scope(str(handler.headers.get("Authorization", "")))
        action = urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("Action", ["?"])[0]
        account = self._account(key) if key else ""
        throttled = not self._admit(account)
        with self._lock:
            self.requests.append(ProxiedRequest(self._clock(), account, f"{service}:{action}", throttled))
        if throttled:
            self._answer(handler, 400, [("Content-Type", "text/xml")], THROTTLING_BODY)
            return
        connection = http.client.HTTPConnection(*self._target, timeout=30)
        try:
            connection.request(
                handler.command, handler.path, body=body, headers=dict(handler.headers.items())
            )
            response = connection.getresponse()
            payload = response.read()
            headers = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
            self._answer(handler, response.status, headers, payload)
        finally:
            connection.close()

    def _account(self, access_key_id: str) -> str:
        account = self._keys.get(access_key_id)
        if account is None:
            account = self._keys[access_key_id] = self._account_of(access_key_id)
        return account

    def _admit(self, account: str) -> bool:
        limit = self.limits.get(account)
        if limit is None:
            return True
        with self._lock:
            now = self._clock()
            accepted = self._accepted.setdefault(account, deque())
            while accepted and accepted[0] <= now - 1.0:
                accepted.popleft()
            if len(accepted) >= limit:
                return False
            accepted.append(now)
            return True

    @staticmethod
    def _answer(
        handler: BaseHTTPRequestHandler, status: int, headers: list[tuple[str, str]], body: bytes
    ) -> None:
        handler.send_response(status)
        for name, value in headers:
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


def _credential_scope(authorization: str) -> tuple[str, str]:
    """(service, access key id) from a SigV4 Authorization header; ("?", "") if there is none."""
    if "Credential=" not in authorization:
        return "?", ""
    scope = authorization.split("Credential=", 1)[1].split(",", 1)[0].split("/")
    return (scope[3] if len(scope) > 3 else "?"), scope[0]
