"""An HTTP proxy on loopback that records what passes and answers chosen requests itself.

Between the operator and an emulator (moto, or the Kubernetes emulator)::

    operator  -->  FaultProxy  -->  moto / kmock

Every request is forwarded unchanged (the ``Host`` header included: AWS signatures cover it) and
recorded (:meth:`FaultProxy.seen`); a response is streamed back as it arrives, so Kubernetes watches
pass through. A fault (:meth:`FaultProxy.inject`) answers the requests it matches with its own
status and body instead -- an ``ExpiredToken`` from STS, a 500 from the API server -- for as long
as it is installed, or a number of times. For AWS's query protocol (STS, IAM) a request is parsed
into its service (from the signature's credential scope), action and parameters, so that faults
and assertions can name ``sts:AssumeRole``.

Test tooling only: the product never sees it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import aiohttp
import aiohttp.web

from awsip.sandbox.background import BackgroundServer

_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
    }
)


@dataclass(frozen=True)
class SeenRequest:
    """One request that reached the proxy."""

    id: int
    method: str
    path: str
    query: str
    body: bytes
    #: AWS: the service of the signature's credential scope (``sts``, ``iam``); else "".
    service: str = ""
    #: AWS query protocol: the ``Action`` parameter (``AssumeRole``); else "".
    action: str = ""
    #: AWS: the access key that signed the request (the operator's, or an assumed session's).
    access_key: str = ""
    #: AWS query protocol: the form parameters (first value of each).
    params: dict[str, str] = field(default_factory=dict)
    #: The request's headers, names in lower case (the last value of a repeated one).
    headers: dict[str, str] = field(default_factory=dict)
    #: The status answered: the emulator's, or the fault's.
    status: int = 0
    faulted: bool = False

    @property
    def operation(self) -> str:
        """``service:Action`` (``sts:AssumeRole``), or "" for a request that is not AWS's."""
        return f"{self.service}:{self.action}" if self.service and self.action else ""


@dataclass
class Fault:
    """Answers the requests that ``matches`` accepts with ``status`` and ``body``."""

    matches: Callable[[SeenRequest], bool]
    status: int
    body: bytes
    content_type: str
    #: How many more requests to answer (None: until removed).
    remaining: int | None = None
    #: Seconds to wait before answering (a slow endpoint).
    delay: float = 0.0
    hits: int = 0


def aws_error(code: str, message: str, *, status: int = 400) -> tuple[int, bytes, str]:
    """(status, body, content type) of an error of AWS's query protocol (STS, IAM)."""
    body = (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
    )
    return status, body.encode(), "text/xml"


def kube_error(status: int, reason: str, message: str) -> tuple[int, bytes, str]:
    """(status, body, content type) of a Kubernetes ``Status`` error."""
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": status,
    }
    return status, json.dumps(body).encode(), "application/json"


def operation(name: str) -> Callable[[SeenRequest], bool]:
    """A matcher of one AWS operation, ``sts:AssumeRole``."""
    return lambda request: request.operation == name


class FaultProxy(BackgroundServer):
    def __init__(self, target: str) -> None:
        super().__init__("the fault proxy")
        self.target = target.rstrip("/")
        self.port = 0
        self._faults: list[Fault] = []
        self._seen: list[SeenRequest] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._session: aiohttp.ClientSession | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- faults and records ----------------------------------------------------------------------

    def inject(
        self,
        matches: Callable[[SeenRequest], bool],
        response: tuple[int, bytes, str],
        *,
        times: int | None = None,
        delay: float = 0.0,
    ) -> Fault:
        status, body, content_type = response
        fault = Fault(matches, status, body, content_type, remaining=times, delay=delay)
        with self._lock:
            self._faults.append(fault)
        return fault

    def remove(self, fault: Fault) -> None:
        with self._lock:
            if fault in self._faults:
                self._faults.remove(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def seen(self, matches: Callable[[SeenRequest], bool] = lambda _: True) -> list[SeenRequest]:
        with self._lock:
            return [request for request in self._seen if matches(request)]

    def mark(self) -> int:
        """The id of the last request so far (``seen(lambda r: r.id > mark)``: what came after)."""
        with self._lock:
            return self._seen[-1].id if self._seen else 0

    # -- serving ---------------------------------------------------------------------------------

    async def serve(self, ready: Callable[[], None], stopping: asyncio.Event) -> None:
        server = aiohttp.web.Server(self._handle)
        runner = aiohttp.web.ServerRunner(server, handle_signals=False)
        await runner.setup()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        self.port = listener.getsockname()[1]
        await aiohttp.web.SockSite(runner, listener).start()
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=10)
        async with aiohttp.ClientSession(auto_decompress=False, timeout=timeout) as session:
            self._session = session
            ready()
            await stopping.wait()
        await runner.cleanup()

    def _record(self, request: SeenRequest) -> None:
        with self._lock:
            self._seen.append(request)

    def _fault_for(self, request: SeenRequest) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(request):
                    fault.hits += 1
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    async def _handle(self, request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        body = await request.read()
        seen = _describe(next(self._ids), request, body)
        fault = self._fault_for(seen)
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            self._record(_with_status(seen, fault.status, faulted=True))
            return aiohttp.web.Response(status=fault.status, body=fault.body, content_type=fault.content_type)
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        url = self.target + request.rel_url.path_qs
        try:
            upstream = await self._session.request(
                request.method,
                url,
                headers=headers,
                data=body if body else None,
                allow_redirects=False,
                skip_auto_headers=("User-Agent", "Content-Type", "Accept", "Accept-Encoding"),
            )
        except aiohttp.ClientError:
            self._record(_with_status(seen, 502))
            return aiohttp.web.Response(status=502, text="the emulator behind the fault proxy is unreachable")
        self._record(_with_status(seen, upstream.status))
        response = aiohttp.web.StreamResponse(status=upstream.status, reason=upstream.reason)
        for key, value in upstream.headers.items():
            if key.lower() not in _HOP_BY_HOP:
                response.headers.add(key, value)
        try:
            await response.prepare(request)
            async for chunk in upstream.content.iter_any():
                await response.write(chunk)
            await response.write_eof()
        except (ConnectionResetError, aiohttp.ClientError, asyncio.CancelledError):
            pass
        finally:
            upstream.release()
        return response


def _describe(id_: int, request: aiohttp.web.BaseRequest, body: bytes) -> SeenRequest:
    authorization = request.headers.get("Authorization", "")
    service = access_key = action = ""
    params: dict[str, str] = {}
    if "Credential=" in authorization:
        scope = authorization.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        if len(scope) >= 4:
            access_key, service = scope[0], scope[3]
    if service and request.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
        parsed = urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        params = {key: values[0] for key, values in parsed.items()}
        action = params.get("Action", "")
    return SeenRequest(
        id=id_,
        method=request.method,
        path=request.path,
        query=request.query_string,
        body=body,
        service=service,
        action=action,
        access_key=access_key,
        params=params,
        headers={name.lower(): value for name, value in request.headers.items()},
    )


def _with_status(request: SeenRequest, status: int, *, faulted: bool = False) -> SeenRequest:
    return replace(request, status=status, faulted=faulted)


__all__ = ["Fault", "FaultProxy", "SeenRequest", "aws_error", "kube_error", "operation"]
