"""Fixtures of the observability tests: a moto server on loopback and an isolated logging setup."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from awsip.observability.logs import KOPF_OBJECTS_LOGGER
from awsip.observability.metrics import Metrics
from awsip.sandbox.aws_seed import MotoServer


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    # MotoServer switches moto's process-wide IAM auth mode off, which other tests may have left on.
    with MotoServer() as server:
        yield server.endpoint


@pytest.fixture
def aws_env(moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> str:
    """boto3 talks to the moto server only, with fake credentials and no user configuration."""
    empty = tmp_path_factory.mktemp("aws") / "none"
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    return moto_url


@pytest.fixture
def metrics() -> Metrics:
    """A fresh set of metrics on a registry of its own."""
    return Metrics()


@pytest.fixture
def isolated_logging() -> Iterator[None]:
    """Restore the root logger and Kopf's object logger after a test that configures logging."""
    root = logging.getLogger()
    objects = logging.getLogger(KOPF_OBJECTS_LOGGER)
    handlers, level, filters = list(root.handlers), root.level, list(objects.filters)
    levels = {name: logging.getLogger(name).level for name in ("botocore", "boto3", "urllib3")}
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        objects.filters[:] = filters
        for name, old in levels.items():
            logging.getLogger(name).setLevel(old)
