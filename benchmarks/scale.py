"""Scale benchmark: 1,000 providers created at once, then one steady-state re-verification pass.

The world (benchmarks/harness.py): a moto server (IAM auth on) and kmock on loopback, in this
process; the operator (`awsip run`) in a process of its own. kmock's request history is bounded to
its last few entries (kmock scans all of it for each new request, which is quadratic); the
Kubernetes calls are counted as they are served, the AWS calls as moto receives them (and, on the
operator's side, from its /metrics).

Seeding: 100 roles, each trusting the operator with an External ID of its own, each with the
shared customer-managed capa-minimal policy (every 10th role: a copy lacking three actions) and
two AWS-managed policies (AmazonEKSClusterPolicy, AmazonEKSWorkerNodePolicy). 1,000 providers in
50 namespaces, ten per role, `verification.interval: 1m` (the shortest there is).
`--accounts N`: the roles go round-robin into N accounts (not the operator's), each with its own
customer-managed policies (letting the role also read itself) and no AWS-managed policy: what an
organisation onboarding its accounts looks like (one role per account with `--roles N`).

1. First pass: all 1,000 providers are created at once (4 client threads); measured until every
   one has a final Ready (True or False) as stored by the API server.
2. Steady state (one account only): between the passes 5 compliant roles get the lacking policy
   instead of capa-minimal (their 50 providers must turn MissingPermissions); the benchmark waits
   until every provider has been re-verified (its lastVerifiedTime patched again) and counts what
   happened in that window, per verification.

Settings: by default the benchmark's own (`--workers 32`, STS and per-account limits of 250
calls/s: the emulators, not the limits, are what is measured); `--defaults`: awsip's defaults
(`awsip run` with no flags of its own); `--floor`: the minimal operator of
benchmarks/floor_operator.py (AssumeRole and the reads a verification makes with the role's
session, one status patch per provider): what the emulators alone cost.

`--versus-floor` (first pass only, each in a fresh world): awsip with its default settings, awsip
with the floor's settings (the same workers, no rate limits) and the floor, then the figures side
by side: the first pass with the defaults (target: 60 s for 1,000 providers over 100 accounts)
and the ratio of awsip to the floor with the same settings (target: 1.5). ``--repeat N`` runs N
rounds of the three and prints the medians and each round's ratios (the machine's speed drifts:
a ratio is only taken within a round).

Targets (2 cores): all Ready within 60 s, operator peak RSS under 250 MiB, no GetPolicyVersion for
unchanged policies in the steady state, no status patch that rewrites unchanged conditions, and
AWS calls in any 1-s window at most the limit of their bucket. Run: make bench (or python
benchmarks/scale.py); the many-accounts figures: python benchmarks/scale.py --versus-floor
--accounts 100 (and --accounts 1000 --roles 1000).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import (
    AwsRequest,
    OperatorProcess,
    Profiler,
    World,
    accounts_of,
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

#: The operator's own account in the emulated world (moto's default).
OPERATOR_ACCOUNT = "123456789012"
TARGET_SECONDS = 60.0
TARGET_RSS_MIB = 250.0
TARGET_FLOOR_RATIO = 1.5
#: awsip run's own defaults (for the figures printed about them; the flags are not passed).
DEFAULT_WORKERS = 16


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="awsip scale benchmark")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--floor", action="store_true", help="the minimal operator instead of awsip")
    mode.add_argument("--defaults", action="store_true", help="awsip with its default settings")
    mode.add_argument(
        "--versus-floor",
        action="store_true",
        help="first passes of awsip (defaults), awsip (the floor's settings) and the floor, compared",
    )
    parser.add_argument("--providers", type=int, default=1000)
    parser.add_argument("--namespaces", type=int, default=50)
    parser.add_argument("--roles", type=int, default=100)
    parser.add_argument("--accounts", type=int, default=1, help="spread the roles over this many accounts")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="awsip's --workers and the floor's pool (default 32; 16 with --versus-floor)",
    )
    parser.add_argument(
        "--sts-calls-per-second", type=float, default=250.0, help="awsip's, unless --defaults"
    )
    parser.add_argument(
        "--account-calls-per-second", type=float, default=250.0, help="awsip's, unless --defaults"
    )
    parser.add_argument("--calls-per-second", type=float, default=0.0, help="awsip's global cap (0: none)")
    parser.add_argument("--changed-roles", type=int, default=5, help="roles changed before the steady state")
    parser.add_argument("--no-steady", action="store_true", help="first pass only")
    parser.add_argument(
        "--repeat", type=int, default=1, help="--versus-floor: rounds of the three setups, then medians"
    )
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy both processes during the first pass (into the workdir; the operator: where it holds the GIL)",
    )
    args = parser.parse_args()
    if args.workers is None:
        args.workers = DEFAULT_WORKERS if args.versus_floor else 32
    return args


@dataclass(frozen=True)
class Setup:
    """One operator configuration of a run."""

    label: str
    floor: bool = False
    #: awsip run's flags for --workers and the rate limits (none: its defaults).
    flags: tuple[str, ...] = ()
    #: The per-account and STS limits in force (0: none), for the rate checks.
    account_limit: float = 0.0
    sts_limit: float = 0.0


def setups(args: argparse.Namespace) -> list[Setup]:
    defaults = Setup("awsip run, default settings", account_limit=10.0, sts_limit=50.0)
    floor = Setup("floor (minimal operator)", floor=True)
    if args.versus_floor:
        same = Setup(
            "awsip run, the floor's settings",
            flags=(f"--workers={args.workers}", "--sts-calls-per-second=0", "--account-calls-per-second=0"),
        )
        return [defaults, same, floor]
    if args.floor:
        return [floor]
    if args.defaults:
        return [defaults]
    flags = (
        f"--workers={args.workers}",
        f"--sts-calls-per-second={args.sts_calls_per_second:g}",
        f"--account-calls-per-second={args.account_calls_per_second:g}",
        f"--aws-calls-per-second={args.calls_per_second:g}",
    )
    return [Setup("awsip run", flags=flags, account_limit=args.account_calls_per_second,
                  sts_limit=args.sts_calls_per_second)]  # fmt: skip


@dataclass
class FirstPass:
    setup: Setup
    seconds: float
    median: float
    p95: float
    cpu: float
    rss: float
    status_patches: float
    kube_writes: float
    aws_requests: float
    load: tuple[float, float]


def main() -> int:
    args = parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="awsip-bench-scale-"))
    rounds: list[list[FirstPass]] = []
    for repetition in range(args.repeat if args.versus_floor else 1):
        results = []
        for index, setup in enumerate(setups(args)):
            world_dir = workdir / f"run-{repetition}-{index}" if args.versus_floor else workdir
            with World(world_dir, aws_managed_policies=args.accounts <= 1) as world:
                results.append(run(world, args, setup))
        if args.versus_floor:
            compare(args, results)
        rounds.append(results)
    if args.versus_floor and len(rounds) > 1:
        summarize(rounds)
    return 0


def summarize(rounds: list[list[FirstPass]]) -> None:
    """Medians over the rounds (each round runs the three setups one after the other, so that a
    change of the machine's speed weighs on all three), and each round's ratios."""
    print(f"\n== versus the floor, {len(rounds)} rounds")
    labels = [result.setup.label for result in rounds[0]]
    for column, label in enumerate(labels):
        seconds = sorted(r[column].seconds for r in rounds)
        cpu = sorted(r[column].cpu for r in rounds)
        print(f"   {label}: first pass median {statistics.median(seconds):.1f}s ({seconds[0]:.1f}-{seconds[-1]:.1f}), "
              f"CPU median {statistics.median(cpu):.1f}s")  # fmt: skip
    same = sorted(r[1].seconds / r[2].seconds for r in rounds)
    defaults = sorted(r[0].seconds / r[2].seconds for r in rounds)
    print(f"   awsip / floor with the same settings, per round: {', '.join(f'{x:.2f}x' for x in same)}; "
          f"median {statistics.median(same):.2f}x (target {TARGET_FLOOR_RATIO:g}x)")  # fmt: skip
    print(f"   with awsip's defaults, per round: {', '.join(f'{x:.2f}x' for x in defaults)}; "
          f"median {statistics.median(defaults):.2f}x")  # fmt: skip


def compare(args: argparse.Namespace, results: list[FirstPass]) -> None:
    print(
        f"\n== versus the floor: {args.providers} providers, {args.roles} roles in {args.accounts} account(s)"
    )
    rows = [
        [r.setup.label, f"{r.seconds:.1f}s", f"{r.median:.1f}s / {r.p95:.1f}s", f"{r.cpu:.1f}s", f"{r.rss:.0f} MiB",
         f"{r.status_patches:.2f}", f"{r.kube_writes:.2f}", f"{r.aws_requests:.2f}",
         f"{r.load[0]:.1f} -> {r.load[1]:.1f}"]
        for r in results
    ]  # fmt: skip
    print_table(rows, header=["   operator", "first pass", "p50 / p95", "CPU", "peak RSS", "status patches",
                              "kube writes", "AWS requests", "load (1 min)"])  # fmt: skip
    print("   (per provider: status patches, Kubernetes writes, AWS requests; load: the machine's, 2 cores)")
    defaults, same, floor = results
    print(f"   awsip with its defaults: {defaults.seconds:.1f}s (target {TARGET_SECONDS:g}s); peak RSS "
          f"{defaults.rss:.0f} MiB (target {TARGET_RSS_MIB:g})")  # fmt: skip
    print(f"   awsip / floor with the same settings: {same.seconds / floor.seconds:.2f}x "
          f"(target {TARGET_FLOOR_RATIO:g}x); with awsip's defaults: {defaults.seconds / floor.seconds:.2f}x")  # fmt: skip


def run(world: World, args: argparse.Namespace, setup: Setup) -> FirstPass:
    where = f"{args.roles} roles" + (f" in {args.accounts} accounts" if args.accounts > 1 else "")
    print(f"\n== scale: {args.providers} providers, {args.namespaces} namespaces, {where}; {setup.label}")
    if setup.floor:
        settings = f"--workers={args.workers}"
    else:
        settings = " ".join(setup.flags) or "(no flags: awsip's defaults)"
    print(f"   {settings}; kmock and a moto server (IAM auth on) in this process, the operator in its own")
    print("   kmock's request history bounded to the requests being served (it scans it for every request)")
    started = time.monotonic()
    roles = world.seed_roles(args.roles, accounts=args.accounts)
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
    if setup.floor:
        process = OperatorProcess(
            [sys.executable, str(Path(__file__).with_name("floor_operator.py")), f"--workers={args.workers}",
             f"--liveness={liveness}"],
            env=world.operator_environment(),
            log=world.workdir / "floor-operator.log",
        )  # fmt: skip
    else:
        process = OperatorProcess.awsip(
            world, settings=setup.flags, metrics_port=metrics_port, extra=[f"--liveness={liveness}"]
        )
    process.start()
    try:
        process.wait_live(liveness)
        baseline_metrics = {} if setup.floor else wait_for_metrics(metrics_port)
        emulator = world.emulator
        aws_before = len(world.aws_log.snapshot())
        kube_before = Counter(emulator.calls)
        cpu_before = process.cpu_seconds()
        own_before = own_cpu_seconds()

        profilers = []
        if args.profile:
            profilers = [
                Profiler(process.pid, world.workdir / "profile-operator.txt", gil=True),
                Profiler(os.getpid(), world.workdir / "profile-emulators.txt"),
            ]
            time.sleep(1.0)  # py-spy attaches
        load_before = os.getloadavg()[0]
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
        load_after = os.getloadavg()[0]
        first_metrics = {} if setup.floor else wait_for_metrics(metrics_port)
        first_cpu = process.cpu_seconds() - cpu_before
        emulators_cpu = own_cpu_seconds() - own_before
        verdicts = Counter(emulator.traces[key].verdict for key in keys)
        rss = process.peak_rss_mib()

        print(f"\n-- first pass ({setup.label}; machine load {load_before:.1f} -> {load_after:.1f})")
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
        report_aws(first_aws, args.providers, first_metrics, baseline_metrics, setup)
        report_kube(first_kube, args.providers, keys, emulator, since=t0)
        for path in profiles:
            print(f"\n   profile of the first pass, {path.stem.removeprefix('profile-')} ({path}):")
            print("\n".join(f"   {line}" for line in profile_summary(path)))
        result = FirstPass(
            setup=setup,
            seconds=first_pass,
            median=percentile(latencies, 50),
            p95=percentile(latencies, 95),
            cpu=first_cpu,
            rss=rss,
            status_patches=sum(first_kube[k] for k in first_kube if k.endswith("/status")) / args.providers,
            kube_writes=sum(n for k, n in first_kube.items() if k.split(" ", 1)[0] in WRITES)
            / args.providers,
            aws_requests=len(first_aws) / args.providers,
            load=(load_before, load_after),
        )

        if setup.floor or args.no_steady or args.versus_floor:
            return result
        if args.accounts > 1:
            print("\n   (no steady state in a world of several accounts)")
            return result

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
        report_aws(steady_aws, verifications, steady_metrics, first_metrics, setup, per="verification")
        report_kube(steady_kube, verifications, keys, emulator, since=steady_start, per="verification")
        return result
    finally:
        code = process.stop()
        if code not in (0, -15):
            print(f"(the operator exited with {code}; log: {process.log})")


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


#: Kubernetes requests that write (what the emulator counts as "METHOD kind").
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def report_aws(
    requests: list[AwsRequest],
    count: int,
    metrics: dict[str, float],
    baseline: dict[str, float],
    setup: Setup,
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
    if not requests:
        return
    peak = max_per_window([r.at for r in requests])
    print(f"   most AWS requests in any 1-s window: {peak} (all accounts together)")
    # Per bucket, as AWS counts them: STS calls signed by the operator in its account, the others
    # in the account whose key signed them.
    by_bucket: dict[str, list[float]] = {}
    for request, account in zip(requests, accounts_of(requests), strict=True):
        sts = request.operation.startswith("sts:") and account == OPERATOR_ACCOUNT
        by_bucket.setdefault("sts" if sts else account, []).append(request.at)
    sts_peak = max_per_window(by_bucket.pop("sts", []))
    account_peaks = {account: max_per_window(times) for account, times in by_bucket.items()}
    busiest = max(account_peaks.items(), key=lambda item: item[1], default=("-", 0))
    limits = (f" (limits {setup.sts_limit:g}/s and {setup.account_limit:g}/s)"
              if setup.sts_limit or setup.account_limit else " (no limits)")  # fmt: skip
    print(
        f"   most in any 1-s window: operator's STS calls {sts_peak}, in one account {busiest[1]} "
        f"(account {busiest[0]}, of {len(account_peaks)}){limits}"
    )


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
