"""The runtime shares the AWS workers out by namespace (issue 14, item 2): one namespace's slow
providers cannot keep another namespace's provider from being verified."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from awsip.api.v1alpha1 import AWSInfrastructureProviderSpec
from awsip.controller.backend import Backend
from awsip.controller.config import OperatorConfig
from awsip.controller.runtime import Runtime
from awsip.verification import ProviderInputs, ProviderRef, VerificationResult
from tests.controller.runtime_fakes import SPEC, FakeKube, outcome
from tests.controller.waiting import Clock, until


class Blocking:
    """verify() that holds the greedy namespace's providers until released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.running: dict[str, int] = {}
        self.done: list[str] = []
        self.lock = threading.Lock()

    def __call__(
        self, namespace: str, name: str, spec: AWSInfrastructureProviderSpec, inputs: ProviderInputs
    ) -> VerificationResult:
        with self.lock:
            self.running[namespace] = self.running.get(namespace, 0) + 1
        try:
            if namespace == "greedy":
                self.release.wait(10)
            return outcome("ok")(ProviderRef(namespace, name))
        finally:
            with self.lock:
                self.running[namespace] -= 1
                self.done.append(f"{namespace}/{name}")


def provider(namespace: str, name: str) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": f"uid-{namespace}-{name}",
            "resourceVersion": "1",
        },
        "spec": dict(SPEC),
    }


async def test_another_namespace_is_verified_while_one_namespace_holds_its_share() -> None:
    verify = Blocking()
    config = OperatorConfig(workers=4, namespace_workers=2, retry_base_seconds=0.05, retry_max_seconds=0.2)
    runtime = Runtime(config=config, backend=Backend(verify=verify), kube=FakeKube(), clock=Clock())  # type: ignore[arg-type]
    try:
        for i in range(8):
            body = provider("greedy", f"g{i}")
            runtime.observe(body, requested=True)
            asyncio.get_running_loop().create_task(runtime.serve(body))
        await until(lambda: verify.running.get("greedy") == 2)
        assert runtime.shares.waiting("greedy") == 6

        victim = provider("victim", "good")
        runtime.observe(victim, requested=True)
        asyncio.get_running_loop().create_task(runtime.serve(victim))
        await until(lambda: "victim/good" in verify.done)

        assert verify.running.get("greedy") == 2  # never more than its share
        verify.release.set()
        await until(lambda: len(verify.done) == 9)
    finally:
        verify.release.set()
        await runtime.close()
