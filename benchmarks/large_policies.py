"""Benchmark of large policies: coverage of capa-minimal against one policy of N statements.

Two shapes, each at sizes around the old cliff (8,192 compiled patterns) and beyond IAM's sizes:

- wildcards: ``ec2:*<i>`` on ``*``, every statement with its own action pattern (the issue's
  10,000-statement policy took 42 s where 8,000 took 2.8 s);
- conditions: ``ec2:*`` on ``*`` when ``aws:RequestTag/team`` is like ``t<i>*`` (a few hundred of
  these took minutes: each step of the condition search tried two values per condition).

Each check runs in a fresh engine (nothing cached), through the engine directly: the command line
refuses a document past IAM's sizes (``awsip.policy.limits``) before analysing it, which is
printed last. The times are one run each, in seconds; a flat ratio per statement is the point.
Run: ``.venv/bin/python benchmarks/large_policies.py`` (about a minute).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from awsip.policy import PolicyEngine, parse_policy
from awsip.policy.limits import LARGEST_DOCUMENT, beyond_iam_limits, iam_size
from awsip.profiles import load_profile

SIZES = (2_000, 4_000, 8_000, 10_000, 16_000)
CONDITION_SIZES = (200, 400, 800, 1_100, 2_000)


def wildcards(i: int) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": f"ec2:*{i}", "Resource": "*"}


def conditions(i: int) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Action": "ec2:*",
        "Resource": "*",
        "Condition": {"StringLike": {"aws:RequestTag/team": f"t{i}*"}},
    }


def document(shape: Callable[[int], dict[str, Any]], count: int) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [shape(i) for i in range(count)]}


def measure(shape: Callable[[int], dict[str, Any]], count: int) -> tuple[float, int, str]:
    raw = document(shape, count)
    required = parse_policy(load_profile("capa-minimal"), name="capa-minimal")
    policy = parse_policy(raw, name=f"{shape.__name__}-{count}")
    engine = PolicyEngine()
    started = time.perf_counter()
    report = engine.check_coverage(required, [policy])
    return time.perf_counter() - started, iam_size(raw), report.summary()


def main() -> int:
    print(
        f"coverage of capa-minimal against one policy of N statements (IAM size limit used: {LARGEST_DOCUMENT:,})"
    )
    print(f"  {'shape':11} {'N':>7} {'characters':>11} {'seconds':>8} {'ms/100 st.':>10}  within IAM's size")
    for shape, sizes in ((wildcards, SIZES), (conditions, CONDITION_SIZES)):
        for count in sizes:
            seconds, size, _ = measure(shape, count)
            within = "yes" if size <= LARGEST_DOCUMENT else "no (the CLI refuses it)"
            per = seconds * 1000 * 100 / count
            print(f"  {shape.__name__:11} {count:7,} {size:11,} {seconds:8.2f} {per:10.1f}  {within}")
    huge = document(wildcards, 10_000)
    started = time.perf_counter()
    refused = beyond_iam_limits(huge)
    assert refused is not None
    print(f"\nthe command line on 10,000 statements ({time.perf_counter() - started:.3f} s to decide):")
    print(f"  {refused}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
