"""The real-Kubernetes test tier's two costs: building its tools cold, and running it.

- ``--cold-build``: scripts/build-kube-tools.sh into a temporary folder with an empty Go build
  cache and an empty module cache (so the modules are downloaded too), as on a fresh machine;
  prints the wall time. Tens of minutes on 2 cores: run it when the machine is otherwise idle.
- default: ``pytest tests/kubernetes_real`` (the tools already built; the control plane starts
  once for the session); prints the wall time and the number of tests.

Run: python benchmarks/kube_tier.py [--cold-build]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cold_build() -> float:
    with tempfile.TemporaryDirectory(prefix="kube-tools-cold-") as tmp:
        work = Path(tmp)
        env = {**os.environ, "GOCACHE": str(work / "gocache"), "GOMODCACHE": str(work / "gomodcache")}
        started = time.monotonic()
        subprocess.run(
            ["bash", str(ROOT / "scripts" / "build-kube-tools.sh"), str(work / "tools")], env=env, check=True
        )
        elapsed = time.monotonic() - started
        # The module cache is read-only by design; make it removable.
        subprocess.run(["chmod", "-R", "u+w", str(work)], check=False)
        shutil.rmtree(work / "gomodcache", ignore_errors=True)
    return elapsed


def tier() -> tuple[float, str]:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "tests/kubernetes_real"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.monotonic() - started
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-500:]
    if result.returncode != 0:
        raise SystemExit(f"the tier failed:\n{result.stdout[-3000:]}")
    return elapsed, re.sub(r"\s+in [0-9.]+s.*", "", summary)


def main() -> int:
    parser = argparse.ArgumentParser(description="cold build and run time of tests/kubernetes_real")
    parser.add_argument("--cold-build", action="store_true", help="build the tools with empty Go caches")
    args = parser.parse_args()
    if args.cold_build:
        seconds = cold_build()
        print(
            f"cold build of kube-apiserver, etcd, kstatus, argocdhealth: {seconds / 60:.1f} min ({seconds:.0f} s)"
        )
        return 0
    seconds, summary = tier()
    print(f"tests/kubernetes_real: {summary} in {seconds:.0f} s (wall, control plane start included)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
