"""Benchmark of the authorization catalog: what loading it costs a process, once.

Each figure is measured in a fresh Python process (the catalog is loaded once per process, so a
warm figure would say nothing), median over several processes:

- open: import ``awsip.catalog`` and open the default catalog (the service list, the data's
  version, botocore's partitions);
- capa services: open, then every action of the seed's minimal policy (capa-minimal) looked up
  with its resource types and ARN formats (what the operator needs for coverage);
- every service: open, then every action of all ~450 services built (the worst case, never needed
  by one check);
- findings: open, then the findings of capa-minimal, and of the 10 AWS-managed policies of the
  policy-engine benchmark (ReadOnlyAccess names ~300 services).

and, end to end, ``awsip policy check`` of capa-minimal against those 10 policies on the command
line (text output, findings included): the wall time of the whole process.

Targets: the catalog loads in <= 300 ms once per process; the command runs in <= 1 s wall.
Run: python benchmarks/catalog.py
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from managed_policies import ROOT, attached_paths, parse_attached

LOAD_TARGET_MS = 300.0
CLI_TARGET_S = 1.0
PROCESSES = 7


def child(mode: str) -> float:
    """One measurement inside a fresh process (seconds)."""
    from awsip.policy import parse_policy
    from awsip.profiles import load_profile

    required = parse_policy(load_profile("capa-minimal"), name="capa-minimal")
    attached = parse_attached()
    start = time.perf_counter()
    from awsip.catalog import default_catalog

    catalog = default_catalog()
    if mode == "capa":
        for statement in required.statements:
            for pattern in statement.actions.patterns:
                action = catalog.action(pattern.text)
                assert action is not None, pattern.text
                _ = [fmt.regex for fmt in action.formats]
    elif mode == "all":
        for prefix in catalog.prefixes:
            service = catalog.service(prefix)
            if service is not None:
                service.matching("*")
    elif mode in ("findings-capa", "findings-managed"):
        from awsip.policy.findings import findings_for

        findings_for([required] if mode == "findings-capa" else attached, catalog)
    return time.perf_counter() - start


def in_process(mode: str) -> float:
    output = subprocess.run(
        [sys.executable, __file__, "--child", mode], check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout
    return float(json.loads(output.strip().splitlines()[-1])["seconds"])


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps({"seconds": child(sys.argv[2])}))
        return
    from awsip.catalog import default_catalog

    print(f"catalog: {default_catalog().source} (median of {PROCESSES} fresh processes)")
    rows = [
        ("open (service list, version, partitions)", "open"),
        ("open + the actions of capa-minimal", "capa"),
        ("open + findings of capa-minimal", "findings-capa"),
        ("open + findings of the 10 managed policies", "findings-managed"),
        ("open + every action of every service", "all"),
    ]
    figures = {}
    for label, mode in rows:
        figures[mode] = statistics.median(in_process(mode) for _ in range(PROCESSES)) * 1000
        print(f"  {label:<48} {figures[mode]:8.1f} ms")
    load = figures["capa"]
    verdict = "met" if load <= LOAD_TARGET_MS else "MISSED"
    print(f"catalog load for a coverage check: {load:.1f} ms (target {LOAD_TARGET_MS:.0f} ms: {verdict})")
    wall = statistics.median(cli_check() for _ in range(PROCESSES))
    verdict = "met" if wall <= CLI_TARGET_S else "MISSED"
    print(
        f"awsip policy check (capa-minimal, 10 managed policies): {wall:.2f} s wall (target 1 s: {verdict})"
    )


def cli_check() -> float:
    awsip = Path(sys.executable).with_name("awsip")
    command = [str(awsip), "policy", "check", "--policy", *map(str, attached_paths())]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - start
    assert done.returncode in (0, 1), done.stderr
    return elapsed


if __name__ == "__main__":
    main()
