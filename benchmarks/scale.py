"""Scale benchmark: 1,000 providers created at once, then one steady-state re-verification pass.

The world (benchmarks/harness.py): a moto server (IAM auth on, AWS-managed policies loaded) and
kmock on loopback, in this process; the operator (`awsip run`) in a process of its own. kmock's
request history is bounded to its last few entries (kmock scans all of it for each new request,
which is quadratic); the Kubernetes calls are counted as they are served, the AWS calls as moto
receives them (and, on the operator's side, from its /metrics).

Seeding: 100 roles, each trusting the operator with an External ID of its own, each with the
shared customer-managed capa-minimal policy (every 10th role: a copy lacking three actions) and
two AWS-managed policies (AmazonEKSClusterPolicy, AmazonEKSWorkerNodePolicy). 1,000 providers in
50 namespaces, ten per role, `verification.interval: 1m` (the shortest there is).

1. First pass: all 1,000 providers are created at once (4 client threads); measured until every
   one has a final Ready (True or False) as stored by the API server.
2. Steady state: between the passes 5 compliant roles get the lacking policy instead of
   capa-minimal (their 50 providers must turn MissingPermissions); the benchmark waits until every
   provider has been re-verified (its lastVerifiedTime patched again) and counts what happened in
   that window, per verification.

`--floor`: the same world and providers with the minimal operator of benchmarks/floor_operator.py
(one AssumeRole and one status patch per provider): what the emulators alone cost.

Targets (2 cores): all Ready within 60 s, operator peak RSS under 250 MiB, no GetPolicyVersion for
unchanged policies in the steady state, no status patch that rewrites unchanged conditions, and
AWS calls in any 1-s window at most the limit. Run: make bench (or python benchmarks/scale.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

from harness import (
    AwsRequest,
    OperatorProcess,
    Profiler,
    World,
    aws_calls_by_operation,
    free_port,
    max_per_window,
    percentile,
    print_table,
    profile_summary,
    provider_manifest,
    wait_for_metrics,
    wait_until,
)

TARGET_SECONDS = 60.0
TARGET_RSS_MIB = 250.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="awsip scale benchmark")
    parser.add_argument("--floor", action="store_true", help="the minimal operator instead of awsip")
    parser.add_argument("--providers", type=int, default=1000)
    parser.add_argument("--namespaces", type=int, default=50)
    parser.add_argument("--roles", type=int, default=100)
    parser.add_argument("--workers", type=int, default=32, help="awsip's --workers (and the floor's pool)")
    parser.add_argument(
        "--calls-per-second", type=float, default=250.0, help="awsip's --aws-calls-per-second"
    )
    parser.add_argument("--changed-roles", type=int, default=5, help="roles changed before the steady state")
    parser.add_argument("--no-steady", action="store_true", help="first pass only")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy both processes during the first pass (into the workdir)",
    )
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="awsip-bench-scale-"))
    with World(workdir) as world:
        return run(world, args)


def wait_ready(url: str, process: OperatorProcess, timeout: float = 60) -> None:
    def ready() -> bool:
        process.check_running()
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    wait_until(ready, timeout=timeout, interval=0.1, what="the operator's liveness endpoint")


def run(world: World, args: argparse.Namespace) -> int:
    mode = "floor (minimal operator)" if args.floor else "awsip run"
    print(f"== scale: {args.providers} providers, {args.namespaces} namespaces, {args.roles} roles; {mode}")
    settings = f"--workers={args.workers}"
    if not args.floor:
        settings += f" --aws-calls-per-second={args.calls_per_second:g}"
    print(f"   {settings}; kmock and a moto server (IAM auth on) in this process, the operator in its own")
    print("   kmock's request history bounded to the requests being served (it scans it for every request)")
    started = time.monotonic()
    roles = world.seed_roles(args.roles)
    admin = world.create_admin()
    world.enable_aws_auth()
    namespaces = [f"bench-{i:02d}" for i in range(args.namespaces)]
    world.create_namespaces(namespaces)
    manifests = [
        provider_manifest(
            namespaces[i % len(namespaces)], f"provider-{i:04d}", roles[i % len(roles)], interval="1m"
        )
        for i in range(args.providers)
    ]
    keys = [(m["metadata"]["namespace"], m["metadata"]["name"]) for m in manifests]
    print(f"   seeded in {time.monotonic() - started:.1f}s")

    liveness = f"http://127.0.0.1:{free_port()}/healthz"
    metrics_port = free_port()
    if args.floor:
        process = OperatorProcess(
            [sys.executable, str(Path(__file__).with_name("floor_operator.py")), f"--workers={args.workers}",
             f"--liveness={liveness}"],
            env=world.operator_environment(),
            log=world.workdir / "floor-operator.log",
        )  # fmt: skip
    else:
        process = OperatorProcess.awsip(
            world,
            workers=args.workers,
            calls_per_second=args.calls_per_second,
            metrics_port=metrics_port,
            extra=[f"--liveness={liveness}"],
        )
    process.start()
    try:
        wait_ready(liveness, process)
        baseline_metrics = {} if args.floor else wait_for_metrics(metrics_port)
        emulator = world.emulator
        aws_before = len(world.aws_log.snapshot())
        kube_before = Counter(emulator.calls)
        cpu_before = process.cpu_seconds()
        own_before = own_cpu_seconds()

        profilers = []
        if args.profile:
            profilers = [
                Profiler(process.pid, world.workdir / "profile-operator.txt"),
                Profiler(os.getpid(), world.workdir / "profile-emulators.txt"),
            ]
            time.sleep(1.0)  # py-spy attaches
        t0 = time.monotonic()
        emulator.expect(keys)
        world.create_providers(manifests)
        created = time.monotonic() - t0
        while not emulator.all_settled.wait(1.0):
            process.check_running()
            if time.monotonic() - t0 > args.timeout:
                done = sum(1 for key in keys if emulator.traces[key].settled_at is not None)
                raise TimeoutError(f"only {done}/{len(keys)} providers settled in {args.timeout:g}s")
        first_pass = time.monotonic() - t0
        profiles = [profiler.stop() for profiler in profilers]
        latencies = [emulator.traces[key].settled_at - t0 for key in keys]  # type: ignore[operator]
        first_aws = world.aws_log.snapshot()[aws_before:]
        first_kube = Counter(emulator.calls) - kube_before
        first_metrics = {} if args.floor else wait_for_metrics(metrics_port)
        first_cpu = process.cpu_seconds() - cpu_before
        emulators_cpu = own_cpu_seconds() - own_before
        verdicts = Counter(emulator.traces[key].verdict for key in keys)
        rss = process.peak_rss_mib()

        print(f"\n-- first pass ({mode})")
        print(f"   created {args.providers} providers in {created:.1f}s")
        print(
            f"   all {args.providers} with a final Ready after {first_pass:.1f}s (target {TARGET_SECONDS:g}s)"
        )
        print(
            f"   per provider: median {percentile(latencies, 50):.1f}s, p95 {percentile(latencies, 95):.1f}s"
        )
        print(f"   verdicts: {', '.join(f'{s}/{r}: {n}' for (s, r), n in sorted(verdicts.items(), key=str))}")
        print(f"   operator: peak RSS {rss:.0f} MiB (target {TARGET_RSS_MIB:g}), CPU {first_cpu:.1f}s")
        print(
            f"   emulators (moto, kmock and the creating client, one process): CPU {emulators_cpu:.1f}s "
            f"= {100 * emulators_cpu / first_pass:.0f}% of a core over the pass"
        )
        report_aws(
            first_aws,
            args.providers,
            first_metrics,
            baseline_metrics,
            None if args.floor else args.calls_per_second,
        )
        report_kube(first_kube, args.providers, keys, emulator, since=t0)
        for path in profiles:
            print(f"\n   profile of the first pass, {path.stem.removeprefix('profile-')} ({path}):")
            print("\n".join(f"   {line}" for line in profile_summary(path)))

        if args.floor or args.no_steady:
            return 0

        steady_start = time.monotonic()
        changed = world.make_lacking(admin, [r for r in roles if r.compliant][: args.changed_roles])
        changed_keys = {
            key
            for key, manifest in zip(keys, manifests, strict=True)
            if manifest["spec"]["roleARN"] in changed
        }

        def reverified() -> bool:
            process.check_running()
            return all(
                any(
                    at > steady_start and "lastVerifiedTime" in fields
                    for at, fields in emulator.traces[key].patches
                )
                for key in keys
            )

        wait_until(reverified, timeout=args.timeout, interval=1.0, what="every provider re-verified")
        steady_end = time.monotonic()
        steady_aws = [r for r in world.aws_log.snapshot() if steady_start < r.at <= steady_end]
        steady_kube = Counter(emulator.calls) - first_kube - kube_before
        steady_metrics = wait_for_metrics(metrics_port)
        rss = process.peak_rss_mib()

        verifications = 0
        rewritten_unchanged = 0
        changed_patches = Counter[int]()
        for key in keys:
            window = [
                fields for at, fields in emulator.traces[key].patches if steady_start < at <= steady_end
            ]
            verifications += sum(1 for fields in window if "lastVerifiedTime" in fields)
            if key in changed_keys:
                changed_patches[sum(1 for fields in window if fields - {"lastVerifiedTime"})] += 1
            else:
                rewritten_unchanged += sum(1 for fields in window if fields - {"lastVerifiedTime"})
        turned = sum(
            1 for key in changed_keys if emulator.traces[key].verdict == ("False", "MissingPermissions")
        )

        print(
            f"\n-- steady state: every provider re-verified ({verifications} verifications in {steady_end - steady_start:.0f}s)"
        )
        print(f"   {len(changed_keys)} providers of {len(changed)} changed roles: {turned} now MissingPermissions; "
              f"patches beyond the heartbeat per changed provider: {dict(changed_patches)}")  # fmt: skip
        print(
            f"   patches that rewrote anything but lastVerifiedTime for unchanged providers: {rewritten_unchanged}"
        )
        print(f"   operator: peak RSS {rss:.0f} MiB")
        report_aws(
            steady_aws,
            verifications,
            steady_metrics,
            first_metrics,
            args.calls_per_second,
            per="verification",
        )
        report_kube(steady_kube, verifications, keys, emulator, since=steady_start, per="verification")
        return 0
    finally:
        code = process.stop()
        if code not in (0, -15):
            print(f"(the operator exited with {code}; log: {process.log})")


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def report_aws(
    requests: list[AwsRequest],
    count: int,
    metrics: dict[str, float],
    baseline: dict[str, float],
    limit: float | None,
    *,
    per: str = "provider",
) -> None:
    received = Counter(r.operation for r in requests)
    failed = Counter(r.operation for r in requests if r.status >= 300)
    counted = aws_calls_by_operation(metrics) - aws_calls_by_operation(baseline) if metrics else Counter()
    rows = []
    for operation in sorted(set(received) | set(counted)):
        rows.append(
            [operation, received[operation], f"{received[operation] / count:.2f}", failed[operation],
             counted[operation] if metrics else "-"]
        )  # fmt: skip
    total = sum(received.values())
    rows.append(
        [
            "total",
            total,
            f"{total / count:.2f}",
            sum(failed.values()),
            sum(counted.values()) if metrics else "-",
        ]
    )
    print(f"   AWS requests received by moto (and calls counted by the operator's metrics), per {per}:")
    print_table(rows, header=["   operation", "requests", f"per {per}", "failed", "operator's count"])
    if requests:
        peak = max_per_window([r.at for r in requests])
        limit_text = f" (limit {limit:g}/s)" if limit else ""
        print(f"   most AWS requests in any 1-s window: {peak}{limit_text}")


def report_kube(
    calls: Counter[str],
    count: int,
    keys: list[tuple[str, str]],
    emulator: Any,
    *,
    since: float,
    per: str = "provider",
) -> None:
    rows = [[kind, n, f"{n / count:.2f}"] for kind, n in sorted(calls.items())]
    print(f"   Kubernetes API requests, per {per}:")
    print_table(rows, header=["   request", "count", f"per {per}"])
    if emulator.failures:
        print(f"   !! requests the emulator failed (5xx): {dict(emulator.failures)}")
    patches = [sum(1 for at, _ in emulator.traces[key].patches if at > since) for key in keys]
    print(f"   status patches per provider: {dict(sorted(Counter(patches).items()))} (patches: providers)")


if __name__ == "__main__":
    sys.exit(main())
