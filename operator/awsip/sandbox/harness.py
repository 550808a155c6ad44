"""The emulated world the operator runs in, for ``awsip sandbox`` and the end-to-end tests.

Everything listens on 127.0.0.1 only::

    moto server  <--  TCP proxy (switchable: AWS outages)  <--  operator (boto3, this process)
    kmock Kubernetes emulator  <--  operator (Kopf + kubernetes client), kubectl, tests

Usage::

    with Sandbox(workdir) as sandbox:            # moto, proxy, kmock; the operator's IAM user
        seed(sandbox)                              # roles etc. (moto's auth mode is still off)
        sandbox.enable_aws_auth()                  # from now on moto checks signatures and policies
        sandbox.start_operator()
        sandbox.client.apply(manifest)
        sandbox.wait_for_provider(namespace, name, lambda p: ready(p) == "True")

The operator's AWS credentials and endpoint are process environment variables (boto3's default
chain, as in production); :class:`Sandbox` sets them on start and restores them on close. moto
keeps its state (and its auth mode) process-wide, whatever server serves it: one Sandbox runs at a
time in a process, and each starts from an empty moto.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from awsip.controller.backend import Backend
from awsip.controller.config import OperatorConfig
from awsip.observability.logs import configure_logging
from awsip.sandbox.aws_seed import MotoServer, OperatorUser, create_operator_user
from awsip.sandbox.client import SandboxClient
from awsip.sandbox.emulator_logs import EMULATOR_LOGGERS as EMULATOR_LOGGERS
from awsip.sandbox.emulator_logs import EmulatorLogs
from awsip.sandbox.kube import KubeEmulator
from awsip.sandbox.operator_runner import OperatorRunner
from awsip.sandbox.proxy import TcpProxy
from awsip.sandbox.verdicts import condition as condition
from awsip.sandbox.verdicts import is_settled as is_settled
from awsip.sandbox.verdicts import verdict as verdict

logger = logging.getLogger("awsip.sandbox")

#: Operator settings for emulated runs: quick retries, a small pool (2-core CI machines).
SANDBOX_OPERATOR_CONFIG = OperatorConfig(
    workers=4, aws_calls_per_second=50, retry_base_seconds=1.0, retry_max_seconds=5.0
)


def quiet_logging(verbose: bool) -> None:
    """Logging for ``awsip sandbox``: the operator's warnings (all its logs with ``verbose``),
    nothing from the client libraries below warnings."""
    configure_logging("text", logging.INFO if verbose else logging.WARNING)
    for name in ("botocore", "boto3", "urllib3", "kubernetes", "werkzeug", "aiohttp.access"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # "OS signals are ignored: running not in the main thread" -- by design here.
    logging.getLogger("kopf._core.reactor.running").setLevel(logging.INFO if verbose else logging.ERROR)


class SandboxTimeoutError(AssertionError):
    pass


class KubeServer(Protocol):
    """What the sandbox needs of a Kubernetes API: kmock's emulator or the real control plane."""

    url: str

    def start(self) -> Any: ...

    def stop(self) -> None: ...

    def write_kubeconfig(self, path: Path) -> Path: ...

    def client(self) -> SandboxClient: ...


class Sandbox:
    _active: Sandbox | None = None

    def __init__(
        self,
        workdir: Path,
        *,
        operator_config: OperatorConfig = SANDBOX_OPERATOR_CONFIG,
        kube: KubeServer | None = None,
    ) -> None:
        """``kube``: the Kubernetes API to run against; kmock's emulator by default, or a real
        control plane (:class:`awsip.sandbox.apiserver.ControlPlane`, with the CRD installed)."""
        self.workdir = workdir
        self.operator_config = operator_config
        self.moto = MotoServer()
        self.kube: KubeServer = kube if kube is not None else KubeEmulator()
        self.proxy: TcpProxy | None = None
        self.operator: OperatorRunner | None = None
        self.operator_user: OperatorUser | None = None
        self.kubeconfig = workdir / "kubeconfig"
        self._saved_environment: dict[str, str | None] = {}
        self.emulator_logs = EmulatorLogs(workdir / "emulators.log")

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> Sandbox:
        if Sandbox._active is not None:
            raise RuntimeError("another Sandbox is running in this process (moto's state is process-wide)")
        Sandbox._active = self
        self.workdir.mkdir(parents=True, exist_ok=True)
        # The emulators log into this process too; their lines (moto's tracebacks) go to a file.
        self.emulator_logs.start()
        self.moto.start()
        self.moto.reset()  # a sandbox before this one (in this process) may have left roles, and auth on
        host, port = self.moto.endpoint.removeprefix("http://").rsplit(":", 1)
        self.proxy = TcpProxy(host, int(port)).start()
        self.operator_user = create_operator_user(self.moto.client("iam"))
        self._set_environment(self.operator_user.environment(self.proxy.endpoint))
        self.kube.start()
        self.kube.write_kubeconfig(self.kubeconfig)
        return self

    def _set_environment(self, values: Mapping[str, str]) -> None:
        isolated = {
            # Nothing from the developer's machine: no profiles, no instance metadata.
            "AWS_CONFIG_FILE": str(self.workdir / "aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.workdir / "aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_PROFILE": None,
            "AWS_SESSION_TOKEN": None,
        }
        for key, value in {**isolated, **values}.items():
            self._saved_environment.setdefault(key, os.environ.get(key))
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def close(self) -> None:
        try:
            self.stop_operator()
        finally:
            self.kube.stop()
            if self.proxy is not None:
                self.proxy.stop()
            self.moto.stop()
            for key, value in self._saved_environment.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            self._saved_environment.clear()
            self.emulator_logs.stop()
            Sandbox._active = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.close()

    def enable_aws_auth(self) -> None:
        """moto checks signatures and IAM policies from now on (seed before this)."""
        self.moto.set_iam_auth(True)

    def start_operator(self, *, backend: Backend | None = None, **overrides: Any) -> OperatorRunner:
        if self.operator is not None and self.operator.running:
            raise RuntimeError("the operator is already running")
        config = replace(self.operator_config, kubeconfig=str(self.kubeconfig), **overrides)
        self.operator = OperatorRunner(config, backend=backend).start()
        return self.operator

    def stop_operator(self) -> None:
        if self.operator is not None:
            self.operator.stop()
            self.operator = None

    # -- helpers ---------------------------------------------------------------------------------

    @property
    def client(self) -> SandboxClient:
        return self.kube.client()

    def iam(self) -> Any:
        """An IAM client with the seeding credentials (works while moto's auth mode is off)."""
        return self.moto.client("iam")

    def set_aws_available(self, available: bool) -> None:
        """Cut (False) or restore (True) the operator's connection to AWS."""
        if self.proxy is None:
            raise RuntimeError("the sandbox is not started")
        self.proxy.set_available(available)

    def wait_for_provider(
        self,
        namespace: str,
        name: str,
        predicate: Callable[[dict[str, Any]], bool],
        *,
        timeout: float = 30,
        what: str = "the expected status",
    ) -> dict[str, Any]:
        """Poll the provider until ``predicate(provider)``; the last state is in the error."""
        deadline = time.monotonic() + timeout
        last: dict[str, Any] | None = None
        while True:
            last = self.client.provider(namespace, name)
            if last is not None and predicate(last):
                return last
            if time.monotonic() > deadline:
                status = (last or {}).get("status")
                raise SandboxTimeoutError(
                    f"{namespace}/{name}: no {what} within {timeout}s; status: {status}"
                )
            time.sleep(0.2)
