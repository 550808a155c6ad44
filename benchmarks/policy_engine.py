"""Benchmark of the IAM policy engine: one coverage check and one simulate call.

The seed's minimal policy (profile capa-minimal) is checked against 10 attached AWS-managed
policies (tests/fixtures/policies/aws-managed). Times are CPU time of the measuring thread (the
machine is shared: wall time measures the neighbours too), medians over repeated runs:

- fresh process: the first check in a new interpreter (modules imported, nothing else done):
  it also opens the authorization catalog, reads the services' files it needs, compiles the
  required policy and works out its scopes. Measured twice, in new processes: with nothing
  prepared, and after what ``awsip run`` does at startup (``prepare_builtin_profiles``: the
  catalog opened and the built-in profiles prepared, timed on its own);
- cold: every cache of the engine empty (``default_engine().clear()``) and the attached documents
  freshly parsed (their matchers are compiled during the measured call; parsing is reported
  apart), in the state ``awsip run`` keeps: the catalog open and the built-in profiles prepared
  (``PolicyEngine.prepare``, which ``clear()`` keeps). "cold, nothing prepared" also drops those
  (``clear(prepared=True)``): every cache empty, the required policy compiled during the call
  (the cold figure before profiles were prepared at startup);
- warm: compiled matchers, patterns, automata and condition-solver answers cached, but the report
  and the per-statement outcomes recomputed (what a check of another role with the same managed
  policies costs when its inline policy differs);
- memoized: the very same inputs again (identical roles hit the report memo);
- a copy of capa-minimal under a new name as the role's only policy: what the operator checks for
  each account of an organisation (the name is new, so no report or outcome is reused).

Targets on a 2-core machine: coverage <= 5 ms (cold and warm), simulate <= 50 us. Run: make bench
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from awsip.policy import Request, check_coverage, default_engine, parse_policy, simulate
from awsip.policy.startup import prepare_builtin_profiles
from awsip.profiles import load_profile
from managed_policies import parse_attached

COVERAGE_TARGET_MS = 5.0
SIMULATE_TARGET_US = 50.0


def median(measure: Callable[[], float], runs: int) -> float:
    return statistics.median(measure() for _ in range(runs))


def timed(call: Callable[[], object]) -> float:
    """CPU time of one call, in seconds."""
    start = time.thread_time()
    call()
    return time.thread_time() - start


#: The first check in a new interpreter; prints its CPU time (and the startup preparation's).
FIRST_CHECK = textwrap.dedent(
    """
    import json, sys, time
    sys.path.insert(0, sys.argv[1])
    from managed_policies import parse_attached
    from awsip.policy import check_coverage, parse_policy
    from awsip.policy.startup import prepare_builtin_profiles
    from awsip.profiles import load_profile

    startup = 0.0
    if sys.argv[2] == "prepared":
        start = time.thread_time()
        prepare_builtin_profiles()
        startup = time.thread_time() - start
    required = parse_policy(load_profile("capa-minimal"), name="capa-minimal")
    policies = parse_attached()
    start = time.thread_time()
    check_coverage(required, policies)
    print(json.dumps({"startup": startup, "check": time.thread_time() - start}))
    """
)


def fresh_process(mode: str, runs: int) -> tuple[float, float]:
    """Medians of (startup preparation, first check) over ``runs`` new interpreters."""
    figures = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", FIRST_CHECK, str(Path(__file__).resolve().parent), mode],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        figures.append(json.loads(out))
    return (
        statistics.median(f["startup"] for f in figures),
        statistics.median(f["check"] for f in figures),
    )


def main() -> int:
    required = parse_policy(load_profile("capa-minimal"), name="capa-minimal")
    policies = parse_attached()
    statements = sum(len(p.statements) for p in policies)
    patterns = sum(
        len(s.actions.patterns) + len(s.resources.patterns) for p in policies for s in p.statements
    )
    required_pairs = sum(len(s.actions.patterns) for s in required.statements)
    report = check_coverage(required, policies)
    print(
        f"required: capa-minimal, {len(required.statements)} statements, {required_pairs} (statement, action) pairs"
    )
    print(
        f"attached: {len(policies)} AWS-managed policies, {statements} statements, {patterns} action/resource patterns"
    )
    print(f"result:   {report.summary()}")
    print()

    parse_s = median(lambda: timed(parse_attached), 20)
    fresh_ms = fresh_process("nothing", 5)[1] * 1e3
    startup_s, fresh_prepared_s = fresh_process("prepared", 5)

    def cold_coverage(*, prepared: bool) -> float:
        default_engine().clear(prepared=not prepared)
        fresh = parse_attached()
        # As the verification does: the required policy parsed again (a prepared one is found).
        again = parse_policy(load_profile("capa-minimal"), name="capa-minimal")
        return timed(lambda: check_coverage(again, fresh))

    def warm_coverage() -> float:
        default_engine().clear(results_only=True)
        return timed(lambda: check_coverage(required, policies))

    unprepared_ms = median(partial(cold_coverage, prepared=False), 30) * 1e3
    prepare_builtin_profiles()  # what awsip run does at startup
    cold_ms = median(partial(cold_coverage, prepared=True), 30) * 1e3
    check_coverage(required, policies)
    warm_ms = median(warm_coverage, 200) * 1e3
    check_coverage(required, policies)
    memo_ms = median(lambda: timed(lambda: check_coverage(required, policies)), 1000) * 1e3

    # A role whose only policy is the required one, copied into its own account (what the
    # operator checks for every account an organisation onboards): a name not seen before, so
    # no report or outcome to reuse; compiled patterns and automata warm.
    accounts = iter(range(10**6))
    minimal = load_profile("capa-minimal")

    def own_copy() -> float:
        copy = parse_policy(minimal, name=f"arn:aws:iam::{200000000000 + next(accounts)}:policy/capa-minimal")
        return timed(lambda: check_coverage(required, [copy]))

    own_copy()
    copy_ms = median(own_copy, 50) * 1e3

    requests = {
        "ec2:RunInstances": Request("ec2:RunInstances", "arn:aws:ec2:eu-west-1:123456789012:instance/i-1"),
        "iam:CreateServiceLinkedRole (condition)": Request(
            "iam:CreateServiceLinkedRole",
            "arn:aws:iam::123456789012:role/aws-service-role/spot.amazonaws.com/AWSServiceRoleForEC2Spot",
            {"iam:AWSServiceName": "spot.amazonaws.com"},
        ),
        "eks:CreateCluster (denied)": Request(
            "eks:CreateCluster", "arn:aws:eks:eu-west-1:123456789012:cluster/c"
        ),
    }

    def cold_simulate(request: Request) -> float:
        default_engine().clear()
        fresh = parse_attached()
        return timed(lambda: simulate(fresh, request))

    def warm_simulate(request: Request) -> float:
        loops = 200
        start = time.thread_time()
        for _ in range(loops):
            simulate(policies, request)
        return (time.thread_time() - start) / loops

    print("CPU time, medians")
    print(f"parse the 10 documents:              {parse_s * 1e3:8.2f} ms (not part of the figures below)")
    print(
        f"coverage check, fresh process:       {fresh_ms:8.2f} ms   (first check in a new interpreter, nothing prepared)"
    )
    print(
        f"coverage check, fresh process after awsip run's startup preparation: {fresh_prepared_s * 1e3:8.2f} ms "
        f"(the preparation: {startup_s * 1e3:.1f} ms, once)"
    )
    print(
        f"coverage check, cold, nothing prepared: {unprepared_ms:5.2f} ms   (every cache empty, required policy too)"
    )
    print(
        f"coverage check, cold:                {cold_ms:8.2f} ms   (target <= {COVERAGE_TARGET_MS} ms; caches empty, profiles prepared)"
    )
    print(f"coverage check, warm:                {warm_ms:8.2f} ms   (target <= {COVERAGE_TARGET_MS} ms)")
    print(f"coverage check, memoized:            {memo_ms * 1e3:8.2f} us")
    print(f"coverage check, capa-minimal's copy in a new account: {copy_ms:8.2f} ms (warm engine, new name)")
    worst_us = 0.0
    for label, request in requests.items():
        cold_us = median(partial(cold_simulate, request), 30) * 1e6
        warm_us = median(partial(warm_simulate, request), 25) * 1e6
        worst_us = max(worst_us, warm_us)
        print(f"simulate {label + ',':<40} cold {cold_us:8.1f} us, warm {warm_us:6.1f} us")
    print()

    def verdict(value: float, target: float) -> str:
        return "met" if value <= target else "MISSED"

    print(
        f"coverage <= {COVERAGE_TARGET_MS} ms: warm {verdict(warm_ms, COVERAGE_TARGET_MS)}, "
        f"cold {verdict(cold_ms, COVERAGE_TARGET_MS)} (nothing prepared: "
        f"{verdict(unprepared_ms, COVERAGE_TARGET_MS)}; fresh process: {verdict(fresh_ms, COVERAGE_TARGET_MS)}); "
        f"simulate <= {SIMULATE_TARGET_US} us: warm {verdict(worst_us, SIMULATE_TARGET_US)} "
        "(cold simulate includes compiling the 10 documents' matchers once)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
