"""A good provider's time to Ready while a hostile tenant's providers are processed, and idle.

Issue 14: 16 providers (as many as ``--workers``) of one namespace, each with a costly required
policy, held every worker, and another namespace's good provider waited minutes. Here the world of
the other benchmarks (benchmarks/harness.py: moto with IAM auth, kmock, ``awsip run`` in a process
of its own, default settings: 16 workers, an eighth of them per namespace, 5 s of CPU per policy
check) gets:

* the hostile namespace: 16 providers, each with a required policy of its own (a ConfigMap: 100
  statements of ``?``/``*`` patterns, under IAM's 10,240 characters, so it is not refused for its
  size) and a role full of wildcard statements (4 managed policies, 45 statements each): each
  check would take minutes; the budget stops it;
* the good namespace: providers with compliant roles (capa-minimal and two AWS-managed policies),
  applied one after the other, each measured from its create request to the moment the API
  server stores Ready=True (as the emulator serves the status patch: no polling).

Printed: the good provider's median time to Ready on the idle operator and while the hostile
providers are processed (target: within 2x), what became of the hostile ones, the operator's
peak memory, and how long it took to stop after SIGTERM with work under way. ``--namespace-workers
16`` shows the same without the per-namespace share (one namespace may hold every worker).

Run: python benchmarks/hostile_tenants.py [--runs N] [--namespace-workers N]. It takes a minute
or two, and its figures depend on what else the machine runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from awsip.sandbox.aws_seed import create_managed_policy, create_provider_role, provider_trust_policy
from harness import OperatorProcess, RoleSpec, World, free_port, provider_manifest, wait_until

HOSTILE, GOOD = "hostile", "good"
HOSTILE_PROVIDERS = 16


def main() -> int:
    parser = argparse.ArgumentParser(description="time to Ready next to a hostile tenant")
    parser.add_argument("--runs", type=int, default=5, help="good providers measured per phase")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--namespace-workers", type=int, default=0, help="0: the operator's default")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()

    from tests.support.hostile_policies import costly_required_policy, costly_role_policy

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="awsip-bench-hostile-"))
    with World(workdir) as world:
        good_roles = world.seed_roles(args.warmup + 2 * args.runs, noncompliant_every=0)
        assert world.operator_user is not None
        iam = world.iam()
        costly = [create_managed_policy(iam, f"costly-{i}", costly_role_policy(i + 1, 45)) for i in range(4)]
        hostile_role = RoleSpec("capa-hostile", "hostile-4d2a9c1e", True)
        create_provider_role(
            iam,
            hostile_role.name,
            trust_policy=provider_trust_policy(world.operator_user.arn, external_id=hostile_role.external_id),
            managed_policy_arns=costly,
        )
        world.enable_aws_auth()
        world.create_namespaces([HOSTILE, GOOD])
        liveness = f"http://127.0.0.1:{free_port()}/healthz"
        extra = [f"--liveness={liveness}"]
        if args.namespace_workers:
            extra.append(f"--namespace-workers={args.namespace_workers}")
        process = OperatorProcess.awsip(
            world, settings=["--workers=16"], metrics_port=free_port(), extra=extra
        ).start()
        stopped_in = float("nan")
        try:
            process.wait_live(liveness)
            roles = iter(good_roles)
            for index in range(args.warmup):
                _time_to_ready(world, process, f"warmup-{index}", next(roles))
            idle = [
                _time_to_ready(world, process, f"idle-{index}", next(roles)) for index in range(args.runs)
            ]

            hostile = [(HOSTILE, f"tenant-{index:02d}") for index in range(HOSTILE_PROVIDERS)]
            for index, (namespace, name) in enumerate(hostile):  # each a policy of its own
                world.client.apply(_configmap(namespace, name, costly_required_policy(100, variant=index)))
            hostile_started = time.monotonic()
            world.create_providers([_hostile_manifest(ns, name, hostile_role) for ns, name in hostile])
            wait_until(
                lambda: process.cpu_seconds() > 0 and _verifying(world, hostile) > 0, timeout=60, what="work"
            )
            loaded: list[float] = []
            unsettled: list[int] = []
            for index in range(args.runs):
                loaded.append(_time_to_ready(world, process, f"loaded-{index}", next(roles)))
                unsettled.append(sum(1 for key in hostile if world.emulator.traces[key].settled_at is None))
            world.emulator.expect(hostile)
            if not world.emulator.all_settled.wait(600):
                process.check_running()
                raise TimeoutError("the hostile providers have no final Ready after 10 minutes")
            hostile_seconds = time.monotonic() - hostile_started
            verdicts = [world.emulator.traces[key].verdict for key in hostile]
            peak = process.peak_rss_mib()

            # SIGTERM while costly work is under way (the hostile providers once more).
            for namespace, name in hostile:
                world.client.patch_provider(namespace, name, {"spec": {"displayName": "again"}})
            time.sleep(3)
            started = time.monotonic()
            process.stop(timeout=300)
            stopped_in = time.monotonic() - started
        finally:
            process.stop()

    share = args.namespace_workers or "2 (an eighth of 16)"
    print(
        "== hostile tenants: a good provider's time to Ready next to 16 costly providers of another namespace"
    )
    print(
        f"   awsip run: 16 workers, namespace share {share}, 5 s of CPU per policy check; moto + kmock on loopback"
    )
    print(f"   idle operator:         median {_ms(idle)} (runs: {', '.join(_ms([v]) for v in idle)})")
    print(f"   16 hostile providers:  median {_ms(loaded)} (runs: {', '.join(_ms([v]) for v in loaded)})")
    print(
        f"   ratio {statistics.median(loaded) / statistics.median(idle):.2f}x (target: within 2x), "
        f"worst {max(loaded) / statistics.median(idle):.2f}x"
    )
    print(f"   hostile providers still being processed when each good one was Ready: {unsettled}")
    reasons: dict[str, int] = {}
    for status, reason in verdicts:
        reasons[f"{status}/{reason}"] = reasons.get(f"{status}/{reason}", 0) + 1
    print(f"   hostile verdicts: {json.dumps(reasons)}, all settled after {hostile_seconds:.0f} s")
    print(
        f"   operator peak RSS {peak:.0f} MiB; stopped {stopped_in:.1f} s after SIGTERM with checks under way"
    )
    return 0


def _time_to_ready(world: World, process: OperatorProcess, name: str, role: RoleSpec) -> float:
    key = (GOOD, name)
    world.emulator.expect([key])
    started = time.monotonic()
    world.client.create(provider_manifest(GOOD, name, role))
    if not world.emulator.all_settled.wait(600):
        process.check_running()
        raise TimeoutError(f"{name} has no final Ready after 600 s")
    trace = world.emulator.traces[key]
    if trace.verdict != ("True", "Verified") or trace.settled_at is None:
        raise AssertionError(f"{name}: {trace.verdict}")
    return trace.settled_at - started


def _verifying(world: World, keys: list[tuple[str, str]]) -> int:
    return sum(1 for key in keys if world.emulator.traces[key].patches)


def _configmap(namespace: str, name: str, document: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": {"policy.json": json.dumps(document)},
    }


def _hostile_manifest(namespace: str, name: str, role: RoleSpec) -> dict[str, Any]:
    manifest = provider_manifest(namespace, name, role)
    manifest["spec"]["requiredPolicy"] = {"configMapRef": {"name": name, "key": "policy.json"}}
    manifest["spec"]["verification"] = {"method": "Local"}
    return manifest


def _ms(values: list[float]) -> str:
    return f"{1000 * statistics.median(values):.0f} ms"


if __name__ == "__main__":
    sys.exit(main())
