"""One emulated world per e2e module: moto (IAM auth on) + kmock + the operator, in process.

The operator's logs are captured the way ``awsip run --verbose --log-format=json`` emits them, so
that the secret scan sees what an operator's log collector would.
"""

from __future__ import annotations

import argparse
import io
import logging
import re
from collections.abc import Iterator

import pytest

from awsip.commands.run import NOISY_LOGGERS, configure_logs
from awsip.sandbox import scenarios
from awsip.sandbox.harness import Sandbox


@pytest.fixture(scope="module")
def operator_logs() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    saved_levels = {name: logging.getLogger(name).level for name in (*NOISY_LOGGERS, "asyncio")}
    stream = io.StringIO()
    configure_logs(argparse.Namespace(log_format="json", verbose=True, debug=False), stream=stream)
    try:
        yield stream
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory, operator_logs: io.StringIO) -> Iterator[Sandbox]:
    with Sandbox(tmp_path_factory.mktemp("sandbox")) as world:
        assert world.operator_user is not None
        scenarios.seed_roles(world.iam(), world.operator_user.arn)
        world.enable_aws_auth()
        world.start_operator()
        yield world


@pytest.fixture()
def namespace(sandbox: Sandbox, request: pytest.FixtureRequest) -> str:
    """A namespace of its own for each test."""
    name = "e2e-" + re.sub(r"[^a-z0-9]+", "-", request.node.name.removeprefix("test_").lower()).strip("-")
    name = name[:63].rstrip("-")
    sandbox.client.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    return name
