"""The runtime tests' fixtures: the fakes of tests/controller/runtime_fakes.py and the moved clock.

A module with doubles of its own (the tenancy tests) declares fixtures of the same names, which
take precedence there.
"""

from __future__ import annotations

import pytest

from tests.controller.runtime_fakes import FakeKube, FakeVerify
from tests.controller.waiting import Clock


@pytest.fixture()
def verify() -> FakeVerify:
    return FakeVerify()


@pytest.fixture()
def kube() -> FakeKube:
    return FakeKube()


@pytest.fixture()
def clock() -> Clock:
    return Clock()
