"""Benchmark of the ``awsip`` command line's start: wall time of whole commands, as a user sees it.

Each command runs as a fresh process through the installed ``awsip`` script (``python -m awsip``
when there is none), ``--runs`` times in turn with the others, so that a burst of load on a shared
machine hits every command alike. Printed: median and minimum per command, and the floor of a bare
``python -c pass`` for comparison.

Target (issue 13): ``awsip --version`` and ``awsip policy simulate`` start in <= 0.3 s. Run:
``.venv/bin/python benchmarks/cli_startup.py [--runs N]``
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 0.3
PROFILE = Path(__file__).resolve().parents[1] / "operator" / "awsip" / "profiles" / "capa-minimal.json"


def awsip_command() -> list[str]:
    script = Path(sys.executable).parent / "awsip"
    if script.exists():
        return [str(script)]
    found = shutil.which("awsip")
    return [found] if found else [sys.executable, "-m", "awsip"]


def commands() -> dict[str, list[str]]:
    awsip = awsip_command()
    simulate = ["policy", "simulate", "--policy", str(PROFILE), "--action", "ec2:RunInstances"]
    return {
        "python -c pass (floor)": [sys.executable, "-c", "pass"],
        "awsip --version": [*awsip, "--version"],
        "awsip --help": [*awsip, "--help"],
        "awsip policy simulate": [*awsip, *simulate, "--resource", "*"],
        "awsip policy print": [*awsip, "policy", "print", "--kind", "management", "--account",
                               "111122223333", "--role-name", "capa-manager"],
        "awsip crd": [*awsip, "crd"],
    }  # fmt: skip


def timed(argv: list[str], cwd: str) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per command (default: %(default)s)")
    options = parser.parse_args()
    measured = commands()
    times: dict[str, list[float]] = {name: [] for name in measured}
    with tempfile.TemporaryDirectory() as cwd:
        for argv in measured.values():  # warm the file cache; not counted
            timed(argv, cwd)
        for _ in range(options.runs):
            for name, argv in measured.items():
                times[name].append(timed(argv, cwd))
    print(f"awsip command-line start, {options.runs} runs each (wall time of a fresh process):")
    print(f"  {'command':36} {'median':>8} {'min':>8}")
    for name, values in times.items():
        median, best = statistics.median(values), min(values)
        goal = ""
        if name in ("awsip --version", "awsip policy simulate"):
            goal = f"  (target <= {TARGET_SECONDS:.1f} s: {'met' if median <= TARGET_SECONDS else 'NOT met'})"
        print(f"  {name:36} {median:7.3f}s {best:7.3f}s{goal}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
