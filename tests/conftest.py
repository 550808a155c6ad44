"""Shared by every test package (keep it small)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# No test may wait for the EC2 instance-metadata service (boto3 probes it when it finds no keys).
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT
