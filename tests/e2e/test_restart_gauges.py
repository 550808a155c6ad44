"""After a restart the gauges show the providers as their statuses say (issue 14, item 5).

``awsip run`` verifies two providers (one Ready, one missing three permissions), stops, and starts
again. Nothing is due, so nothing is verified; the gauges must still be whole at once -- not empty
until the interval brings each provider back (alerts on them would resolve on every rollout).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from awsip.sandbox import scenarios
from awsip.sandbox.harness import Sandbox
from tests.e2e.e2e_helpers import has_verdict, provider
from tests.support.metrics_scrape import sample_key, scrape

pytestmark = pytest.mark.e2e

NAMESPACE = "restart-gauges"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def awsip_run(sandbox: Sandbox, metrics_port: int) -> Iterator[subprocess.Popen[str]]:
    command = [
        sys.executable, "-m", "awsip", "run", f"--namespace={NAMESPACE}", "--standalone",
        f"--metrics-port={metrics_port}", "--workers=2",
    ]  # fmt: skip
    env = {**os.environ, "KUBECONFIG": str(sandbox.kubeconfig)}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def samples_when(port: int, check: object, *, timeout: float = 30) -> dict[str, float]:
    deadline, last = time.monotonic() + timeout, {}
    while time.monotonic() < deadline:
        try:
            last = scrape(port)
        except OSError:
            last = {}
        if callable(check) and check(last):
            return last
        time.sleep(0.3)
    raise AssertionError(f"the metrics did not get there in {timeout:g} s: {last}")


def test_the_gauges_are_whole_right_after_a_restart(sandbox: Sandbox) -> None:
    sandbox.stop_operator()  # this module's world, with `awsip run` in place of the in-process operator
    try:
        sandbox.client.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
        production = {"roleARN": scenarios.PRODUCTION.arn, "externalID": scenarios.PRODUCTION.external_id}
        staging = {"roleARN": scenarios.STAGING.arn, "externalID": scenarios.STAGING.external_id}
        with awsip_run(sandbox, free_port()):
            sandbox.client.apply(provider(NAMESPACE, "production", production))
            sandbox.client.apply(provider(NAMESPACE, "staging", staging))
            sandbox.wait_for_provider(NAMESPACE, "production", has_verdict("True", "Verified"), timeout=60)
            sandbox.wait_for_provider(
                NAMESPACE, "staging", has_verdict("False", "MissingPermissions"), timeout=60
            )

        port = free_port()
        with awsip_run(sandbox, port):
            missing = sample_key("awsip_provider_missing_permissions", namespace=NAMESPACE, name="staging")
            samples = samples_when(
                port,
                lambda s: (
                    s.get(sample_key("awsip_providers", ready="False")) == 1
                    and s.get(sample_key("awsip_providers", ready="True")) == 1
                    and s.get(missing) == 3
                ),
            )
            # Nothing was verified after the restart: the statuses as stored made the gauges.
            verified = sum(v for k, v in samples.items() if k.startswith("awsip_verifications_total{"))
            assert verified == 0
            assert samples.get(sample_key("awsip_providers", ready="Unknown")) == 0
    finally:
        sandbox.start_operator()
