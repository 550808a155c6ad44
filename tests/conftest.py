"""Shared by every test package (keep it small)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]

# No test may wait for the EC2 instance-metadata service (boto3 probes it when it finds no keys).
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

# In CI (CI=true) the property and fuzz tests draw the same examples on every run, so that a
# landing is decided by the code, not by the luck of a seed; on developers' machines they explore
# new inputs each run (and hypothesis's local database replays what failed before).
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI", "").lower() in ("true", "1"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT
