"""Fixtures of the delivery tests (chart, plain manifests, image, GitOps health checks)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.delivery.delivery_helpers import CRD_FILE, render


@pytest.fixture(scope="session")
def default_docs() -> list[dict[str, Any]]:
    """The chart rendered with its default values."""
    return render()


@pytest.fixture(scope="session")
def crd() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(CRD_FILE.read_text())
    return document
