"""``awsip run`` as a process, as the container runs it, against the emulators."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request

import pytest

from awsip.sandbox import scenarios
from awsip.sandbox.harness import Sandbox
from tests.e2e.e2e_helpers import has_verdict, provider
from tests.support.metrics_scrape import sample_key, scrape

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_awsip_run_serves_providers_health_metrics_and_json_logs(sandbox: Sandbox) -> None:
    # The session's world (moto is process-wide), with `awsip run` in place of the in-process operator.
    sandbox.stop_operator()
    namespace = "run-command"
    liveness, metrics = free_port(), free_port()
    command = [
        sys.executable, "-m", "awsip", "run", f"--namespace={namespace}", "--standalone", "--log-format=json",
        f"--liveness=http://127.0.0.1:{liveness}/healthz", f"--metrics-port={metrics}",
        "--workers=2", "--aws-calls-per-second=20",
    ]  # fmt: skip
    # The AWS credentials and endpoint are in this process's environment (set by the Sandbox).
    env = {**os.environ, "KUBECONFIG": str(sandbox.kubeconfig)}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    failure: BaseException | None = None
    try:
        sandbox.client.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
        spec = {"roleARN": scenarios.PRODUCTION.arn, "externalID": scenarios.PRODUCTION.external_id}
        sandbox.client.apply(provider(namespace, "via-awsip-run", spec))
        sandbox.wait_for_provider(namespace, "via-awsip-run", has_verdict("True", "Verified"), timeout=60)

        with urllib.request.urlopen(f"http://127.0.0.1:{liveness}/healthz", timeout=10) as response:
            health = json.loads(response.read())
        assert health["providers"]["providers"] == 1  # only its namespace
        samples = scrape(metrics)
        verified = samples[sample_key("awsip_verifications_total", result="ready", reason="Verified")]
        assert verified >= 1
        assert samples[sample_key("awsip_providers", ready="True")] == 1
        assert samples["awsip_verification_duration_seconds_count"] == verified
        assert samples["awsip_verification_duration_seconds_sum"] > 0

        def calls(service: str, operation: str, error_code: str = "") -> float:
            key = sample_key(
                "awsip_aws_calls_total", service=service, operation=operation, error_code=error_code
            )
            return samples.get(key, 0.0)

        # The role's session reads the role and its attachments; capa-minimal denies it the rest,
        # which the operator reads; neither may simulate, and that is asked once, then remembered.
        assert calls("sts", "GetCallerIdentity") == 1  # the operator's own, once per process
        assert calls("sts", "AssumeRole") == verified
        assert calls("iam", "GetRole") == verified
        assert calls("iam", "ListAttachedRolePolicies") == verified
        assert calls("iam", "GetPolicy", "AccessDenied") == 1
        assert calls("iam", "GetPolicyVersion", "AccessDenied") == 1
        assert calls("iam", "GetPolicyVersion") == 1  # the document, then from the cache
        assert calls("iam", "SimulatePrincipalPolicy", "AccessDenied") == 2
        assert samples[sample_key("awsip_policy_cache_requests_total", result="miss")] == 1
        assert samples[sample_key("awsip_policy_cache_requests_total", result="hit")] == verified - 1
        aws_calls = sum(v for k, v in samples.items() if k.startswith("awsip_aws_calls_total{"))
        assert aws_calls >= 9
        assert samples["awsip_rate_limiter_wait_seconds_count"] == aws_calls  # each call waited its turn once
    except BaseException as exc:
        failure = exc
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
        sandbox.start_operator()
    if failure is not None:
        raise AssertionError(f"{failure}\n--- awsip run's log ---\n{stderr[-5000:]}") from failure

    assert process.returncode == 0, stderr[-3000:]
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert lines, stderr[-3000:]
    about = [line for line in lines if line.get("name") == "via-awsip-run"]
    assert about and all(line.get("namespace") == namespace for line in about)
    assert scenarios.PRODUCTION.external_id not in stderr
