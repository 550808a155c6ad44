"""SIGTERM stops ``awsip run`` while the policy engine is busy (issue 14, item 2).

A tenant's costly policies (a required policy of wildcard patterns under IAM's size limit, and a
role of its own full of them) keep a worker computing for minutes. Python cannot kill a thread,
and the interpreter waits for the pool's threads at exit: the process must not run on for the
length of that work after SIGTERM. The engine's checkpoints end it once the operator stops.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from awsip.sandbox import scenarios
from awsip.sandbox.aws_seed import create_managed_policy, create_provider_role
from awsip.sandbox.harness import Sandbox, condition
from tests.e2e.e2e_helpers import provider
from tests.support.hostile_policies import costly_required_policy, costly_role_policy

pytestmark = pytest.mark.e2e

NAMESPACE = "sigterm-costly"
EXTERNAL_ID = "costly-ext-4d2a"
#: What the process may take to stop (Kopf's own shutdown, the watch, the pools).
STOP_SECONDS = 20.0


def cpu_seconds(pid: int) -> float:
    """The CPU time a process has used, from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_sigterm_ends_the_policy_engines_work_under_way(sandbox: Sandbox) -> None:
    assert sandbox.operator_user is not None
    sandbox.stop_operator()  # this module's world, with `awsip run` in place of the in-process operator
    sandbox.moto.set_iam_auth(False)
    iam = sandbox.iam()
    policies = [create_managed_policy(iam, f"costly-{i}", costly_role_policy(i + 1, 45)) for i in range(4)]
    role = create_provider_role(
        iam,
        "capa-costly",
        trusted_principal_arn=sandbox.operator_user.arn,
        external_id=EXTERNAL_ID,
        managed_policy_arns=policies,
    )
    sandbox.enable_aws_auth()
    sandbox.client.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
    sandbox.client.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "required", "namespace": NAMESPACE},
            "data": {"policy.json": json.dumps(costly_required_policy(100))},
        }
    )
    command = [
        sys.executable, "-m", "awsip", "run", f"--namespace={NAMESPACE}", "--standalone",
        "--workers=2", "--policy-check-seconds=3600",  # no budget: only SIGTERM may end the work
    ]  # fmt: skip
    env = {**os.environ, "KUBECONFIG": str(sandbox.kubeconfig)}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        spec = {
            "roleARN": role,
            "externalID": EXTERNAL_ID,
            "requiredPolicy": {"configMapRef": {"name": "required", "key": "policy.json"}},
            "verification": {"method": "Local"},
        }
        sandbox.client.apply(provider(NAMESPACE, "costly", spec))
        sandbox.wait_for_provider(
            NAMESPACE, "costly", lambda o: condition(o, "Reconciling").get("reason") == "Verifying"
        )
        # The engine is at work once the process has computed for a while since (on a shared
        # machine the process may get a fraction of a core).
        before, deadline = cpu_seconds(process.pid), time.monotonic() + 60
        while cpu_seconds(process.pid) - before < 2.0:
            assert time.monotonic() < deadline, "the policy check did not start"
            time.sleep(0.2)

        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        try:
            _, stderr = process.communicate(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(f"awsip run was still running {STOP_SECONDS:g} s after SIGTERM")
        stopped_in = time.monotonic() - started
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
        sandbox.start_operator()
    assert process.returncode == 0, stderr[-3000:]
    assert stopped_in < STOP_SECONDS
    assert scenarios.PRODUCTION.external_id not in stderr and EXTERNAL_ID not in stderr
