"""The runtime sets a provider's gauges from its stored status when it sees it (issue 14, item 5):
after a restart, before any provider is due again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from awsip import status as statuses
from awsip.controller.backend import Backend
from awsip.controller.config import OperatorConfig
from awsip.controller.runtime import Runtime
from awsip.observability import metrics
from awsip.observability.metrics import Metrics
from awsip.verification import ProviderRef
from tests.controller.runtime_fakes import FakeKube, FakeVerify, body, outcome, verified_status
from tests.controller.waiting import Clock, idle, until


@pytest.fixture()
def gauges(monkeypatch: pytest.MonkeyPatch) -> Metrics:
    isolated = Metrics()
    monkeypatch.setattr(metrics, "METRICS", isolated)
    return isolated


@pytest.fixture()
async def runtime(gauges: Metrics, verify: FakeVerify) -> AsyncIterator[Runtime]:
    runtime = Runtime(
        config=OperatorConfig(workers=2), backend=Backend(verify=verify), kube=FakeKube(), clock=Clock()
    )  # type: ignore[arg-type]
    yield runtime
    await runtime.close()


async def test_gauges_are_rebuilt_from_the_stored_statuses_without_verifying(
    runtime: Runtime, gauges: Metrics, verify: FakeVerify
) -> None:
    lacking = statuses.build_status(
        outcome("denied")(ProviderRef("team-a", "q")),
        None,
        generation=None,
        now=datetime.now(UTC) - timedelta(minutes=5),
    )
    for obj in (body("p", status=verified_status(hours_ago=0.1)), body("q", status=lacking)):
        runtime.observe(obj)
        asyncio.get_running_loop().create_task(runtime.serve(obj))
    await until(idle(runtime, "uid-p", "uid-q"))

    assert gauges.providers.counts() == {"True": 1, "False": 1, "Unknown": 0}
    assert verify.calls == []  # nothing was due: the gauges come from the statuses as stored
