"""The scale benchmark still runs: awsip and its floor each bring a handful of providers to a verdict.

A benchmark is only run by hand (``make bench``), so a change elsewhere can break it unnoticed: the
floor operator once sent a merge patch to a status API that had moved to uid-bound JSON patches,
every write failed, and the 1,000-provider comparison timed out. This runs both operators on a
tiny world (figures are not judged here: they are the benchmark's to print).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["--providers", "6", "--namespaces", "2", "--roles", "2", "--accounts", "2", "--no-steady"]


@pytest.mark.parametrize("mode", ["--floor", "--defaults"])
def test_the_scale_benchmark_brings_a_small_world_to_its_verdicts(mode: str, tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "benchmarks/scale.py", mode, *SMALL, "--timeout", "90", "--workdir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "all 6 with a final Ready after" in completed.stdout


def test_the_comparison_with_the_floor_repeats_and_summarizes(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "benchmarks/scale.py", "--versus-floor", "--repeat", "2", *SMALL, "--timeout", "90",
         "--workdir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert completed.stdout.count("all 6 with a final Ready after") == 6  # 2 rounds of 3 setups
    assert "== versus the floor, 2 rounds" in completed.stdout
    assert "awsip / floor with the same settings, per round:" in completed.stdout
