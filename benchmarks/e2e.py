"""End-to-end latency: one provider applied -> Ready=True, 50 times.

The world is the scale benchmark's (benchmarks/harness.py): a moto server (IAM auth on) and kmock
on loopback in this process, kmock's request history bounded to the requests being served; the
operator is `awsip run` in a process of its own. Each run creates a new provider (a role of its own
that is compliant: capa-minimal and two AWS-managed policies) and measures from the moment the
create request is sent to the moment the API server stores a status with Ready=True (noted by the
emulator as it serves the status patch: no polling). The first runs warm up the emulators and the
operator (imports, moto's backends, the policy engine's caches, the operator's identity); they
are not counted.

Run: make bench (or python benchmarks/e2e.py [--runs N] [--warmup N]).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from harness import OperatorProcess, World, free_port, percentile, provider_manifest


def main() -> int:
    parser = argparse.ArgumentParser(description="awsip end-to-end latency benchmark")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="awsip-bench-e2e-"))
    total = args.warmup + args.runs
    with World(workdir) as world:
        roles = world.seed_roles(total, noncompliant_every=0)
        world.enable_aws_auth()
        world.create_namespaces(["bench-e2e"])
        liveness = f"http://127.0.0.1:{free_port()}/healthz"
        process = OperatorProcess.awsip(
            world, settings=["--workers=4"], metrics_port=free_port(), extra=[f"--liveness={liveness}"]
        ).start()
        try:
            process.wait_live(liveness)
            latencies = []
            for index, role in enumerate(roles):
                name = f"provider-{index:03d}"
                key = ("bench-e2e", name)
                world.emulator.expect([key])
                started = time.monotonic()
                world.client.create(provider_manifest("bench-e2e", name, role))
                if not world.emulator.all_settled.wait(60):
                    process.check_running()
                    raise TimeoutError(f"{name} has no final Ready after 60 s")
                settled_at = world.emulator.traces[key].settled_at
                assert settled_at is not None
                if world.emulator.traces[key].verdict != ("True", "Verified"):
                    raise AssertionError(f"{name}: {world.emulator.traces[key].verdict}")
                if index >= args.warmup:
                    latencies.append(settled_at - started)
        finally:
            process.stop()
    print(f"== e2e: one provider applied -> Ready=True, {args.runs} runs (after {args.warmup} warm-up runs)")
    print("   awsip run (4 workers) against kmock and a moto server (IAM auth on) on loopback")
    print(
        f"   median {1000 * statistics.median(latencies):.0f} ms, p95 {1000 * percentile(latencies, 95):.0f} ms, "
        f"min {1000 * min(latencies):.0f} ms, max {1000 * max(latencies):.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
