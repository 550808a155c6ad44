"""The layering rule, checked on the source: awsip's imports go strictly down its floors.

docs/architecture.md ("Layers") draws the same floors. A package imports only packages on lower
floors, never one beside it or above it, and no modules import each other in a circle (not even
lazily, inside a function). A new package must be given a floor here before it can be imported.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

from tests.support.import_graph import PACKAGE_ROOT, cycles, import_graph, module_names

#: Each top-level package or module of awsip and its floor (0: imports nothing of awsip).
FLOORS = {
    "awsip": 0,  # the package itself: its version
    "textcap": 0,
    "redaction": 0,
    "api": 0,
    "catalog": 0,
    "profiles": 0,
    "policy": 1,
    "observability": 1,
    "clusterapi": 1,  # the CAPA identity of a provider: api only
    "trust": 2,
    "tenancy": 2,
    "aws": 2,
    "verification": 3,
    "status": 4,
    "controller": 5,
    "sandbox": 6,
    "commands": 7,
    "cli": 8,
    "__main__": 9,
}

#: Packages that must stay pure: the policy engine knows nothing of the CRD, Kubernetes or AWS's SDK.
PURE = ("policy", "catalog")
IO_LIBRARIES = ("kopf", "kubernetes", "boto3", "botocore", "pydantic", "moto", "kmock", "aiohttp")
#: The adapters: only they may import Kopf (the core library works without it).
KOPF_USERS = ("controller", "commands", "sandbox")


@functools.cache
def graph() -> dict[str, set[str]]:
    """Read once for all the tests of this file (each read parses every module)."""
    return import_graph()


def top(module: str) -> str:
    """``awsip.policy.model`` -> ``policy``; ``awsip`` -> ``awsip``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_the_graph_reader_sees_the_package() -> None:
    """A reader that found nothing would make the tests below pass vacuously."""
    read = graph()
    assert "awsip.policy.engine" in read and "awsip.controller.runtime" in read
    assert "awsip.policy.model" in read["awsip.policy.engine"]
    assert "awsip.trust.severities" in read["awsip.trust.verdict"]  # from awsip.trust import severities
    assert sum(len(targets) for targets in read.values()) > 200


def test_cycles_are_found() -> None:
    circles = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a", "e"}, "e": {"d"}, "f": set()}
    assert cycles(circles) == [["a", "b", "c"], ["d", "e"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle() -> None:
    assert cycles(graph()) == []


def test_every_package_has_a_floor() -> None:
    packages = {top(module) for module in module_names()}
    assert not packages - set(FLOORS), "give each new package a floor in FLOORS (and docs/architecture.md)"
    assert not set(FLOORS) - packages, "a package in FLOORS is gone: drop it (and from docs/architecture.md)"


def test_imports_go_strictly_down_the_floors() -> None:
    upward = sorted(
        f"{module} -> {target} (floor {FLOORS[top(module)]} -> {FLOORS[top(target)]})"
        for module, targets in graph().items()
        for target in targets
        if top(module) != top(target) and FLOORS[top(target)] >= FLOORS[top(module)]
    )
    assert upward == [], "an import must go to a lower floor (docs/architecture.md, 'Layers')"


def _third_party(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", PURE)
def test_the_pure_packages_import_no_io_library_and_nothing_of_the_crd(package: str) -> None:
    for path in (PACKAGE_ROOT / package).rglob("*.py"):
        assert not _third_party(path) & set(IO_LIBRARIES), path.name
    assert not [
        (m, t) for m, targets in graph().items() if top(m) == package for t in targets if top(t) == "api"
    ]


def test_only_the_adapters_import_kopf() -> None:
    users = {top(name) for name, path in module_names().items() if "kopf" in _third_party(path)}
    assert users and users <= set(KOPF_USERS)
