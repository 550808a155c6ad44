"""Benchmark of the ``awsip`` command line's start: wall time of whole commands, as a user sees it.

Each command runs as a fresh process through the installed ``awsip`` script (``python -m awsip``
when there is none), ``--runs`` times in turn with the others, so that a burst of load on a shared
machine hits every command alike. Printed: median and minimum per command, and the floor of a bare
``python -c pass`` for comparison.

Two columns: with awsip's bytecode cached, as an installed awsip starts (pip compiles it at
install; here a cache in a temporary folder, ``PYTHONPYCACHEPREFIX``), and compiling every module
on every start, as under ``PYTHONDONTWRITEBYTECODE=1`` (some development shells set it).

Target (issue 13): ``awsip --version`` and ``awsip policy simulate`` start in <= 0.3 s. Run:
``.venv/bin/python benchmarks/cli_startup.py [--runs N]``
"""

from __future__ import annotations

import argparse
import os
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


def environment(cache: str | None) -> dict[str, str]:
    """The child's environment: bytecode cached under ``cache``, or never written (None)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    if cache is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env["PYTHONPYCACHEPREFIX"] = cache
    return env


def timed(argv: list[str], cwd: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd, env=env, check=False
    )
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per command (default: %(default)s)")
    options = parser.parse_args()
    measured = commands()
    modes = ("cached", "compiling")
    times: dict[tuple[str, str], list[float]] = {(name, mode): [] for name in measured for mode in modes}
    with tempfile.TemporaryDirectory() as cwd, tempfile.TemporaryDirectory() as cache:
        envs = {"cached": environment(cache), "compiling": environment(None)}
        for argv in measured.values():  # fill the bytecode cache and the file cache; not counted
            timed(argv, cwd, envs["cached"])
        for _ in range(options.runs):
            for name, argv in measured.items():
                for mode in modes:
                    times[(name, mode)].append(timed(argv, cwd, envs[mode]))
    print(f"awsip command-line start, {options.runs} runs each (wall time of a fresh process, seconds):")
    print(f"  {'command':30} {'cached bytecode':>20} {'compiling':>20}")
    print(f"  {'':30} {'median':>10}{'min':>10} {'median':>10}{'min':>10}")
    for name in measured:
        cells = ""
        for mode in modes:
            values = times[(name, mode)]
            cells += f"{statistics.median(values):10.3f}{min(values):10.3f} "
        goal = ""
        if name in ("awsip --version", "awsip policy simulate"):
            median = statistics.median(times[(name, "cached")])
            goal = f" target <= {TARGET_SECONDS:.1f} s (cached): {'met' if median <= TARGET_SECONDS else 'NOT met'}"
        print(f"  {name:30} {cells}{goal}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
