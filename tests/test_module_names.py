"""Names that cannot be confused: no two modules of awsip, and no two test files, share a name,
and none is named like a module of the standard library (``operator``, ``types``, ``selectors``
...), which a reader, a traceback or an editor's "go to" would take for the other.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "operator" / "awsip"
TESTS = ROOT / "tests"
#: Names Python and pytest give to many files on purpose.
CONVENTIONAL = {"__init__", "__main__", "conftest"}


def python_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*.py") if "__pycache__" not in path.parts]


def shared_names(paths: list[Path]) -> dict[str, list[str]]:
    by_name: defaultdict[str, list[str]] = defaultdict(list)
    for path in paths:
        if path.stem not in CONVENTIONAL:
            by_name[path.stem].append(str(path.relative_to(ROOT)))
    return {name: sorted(found) for name, found in by_name.items() if len(found) > 1}


def test_the_checks_see_the_files() -> None:
    """Reading an empty tree would make the tests below pass vacuously."""
    assert len(python_files(PACKAGE)) > 100 and len(python_files(TESTS)) > 100
    assert shared_names([PACKAGE / "a" / "conditions.py", PACKAGE / "b" / "conditions.py"]) == {
        "conditions": ["operator/awsip/a/conditions.py", "operator/awsip/b/conditions.py"]
    }


def test_no_two_awsip_modules_share_a_name() -> None:
    assert shared_names(python_files(PACKAGE)) == {}


def test_no_two_test_files_share_a_name() -> None:
    assert shared_names(python_files(TESTS)) == {}


def test_no_module_is_named_like_a_standard_library_module() -> None:
    names = [
        str(path.relative_to(ROOT))
        for root in (PACKAGE, TESTS)
        for path in [*python_files(root), *(p for p in root.rglob("*") if p.is_dir())]
        if path.stem in sys.stdlib_module_names and path.stem not in CONVENTIONAL
    ]
    assert names == []
