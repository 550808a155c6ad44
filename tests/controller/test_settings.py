from __future__ import annotations

import json
import logging
from typing import Any

import kopf
import pytest

from awsip.controller import settings
from awsip.controller.handlers import QuietWatchHandler


def body(spec: dict[str, Any], uid: str = "uid-1") -> kopf.Body:
    return kopf.Body({"metadata": {"name": "p", "namespace": "ns", "uid": uid}, "spec": spec})


def test_settings() -> None:
    operator = kopf.OperatorSettings()
    settings.apply(operator)
    assert isinstance(operator.persistence.progress_storage, kopf.AnnotationsProgressStorage)
    assert isinstance(operator.persistence.diffbase_storage, settings.NoDiffBaseStorage)
    assert operator.persistence.finalizer == "awsip.io/finalizer"
    assert operator.posting.loggers is False and operator.posting.level == logging.WARNING
    assert operator.watching.server_timeout == 600 and operator.watching.client_timeout == 660


@pytest.mark.parametrize(
    ("level", "message", "debug", "shown"),
    [
        (logging.INFO, "Handler 'watched' succeeded.", False, False),
        (logging.INFO, "Handler 'watched' succeeded.", True, True),
        (logging.INFO, "Handler 'created' succeeded.", False, True),
        (logging.ERROR, "Handler 'watched' succeeded.", False, True),
    ],
)
def test_the_watch_handler_success_is_a_debug_line(
    level: int, message: str, debug: bool, shown: bool
) -> None:
    root = logging.getLogger()
    saved = root.level
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    try:
        record = logging.LogRecord("kopf.objects", level, __file__, 1, message, None, None)
        assert QuietWatchHandler().filter(record) is shown
    finally:
        root.setLevel(saved)


def test_the_diff_base_is_never_written_nor_read() -> None:
    storage = settings.NoDiffBaseStorage(prefix="awsip.io", key="last-handled-configuration")
    spec = {"roleARN": "arn:aws:iam::123456789012:role/capa", "externalID": "very-secret-id"}
    left_by_an_older_awsip = kopf.Body(
        {
            "metadata": {
                "name": "p",
                "namespace": "ns",
                "uid": "uid-1",
                "annotations": {"awsip.io/last-handled-configuration": json.dumps({"spec": spec})},
            },
            "spec": spec,
        }
    )
    assert storage.fetch(body=left_by_an_older_awsip) is None
    patch = kopf.Patch()
    storage.store(body=body(spec), patch=patch, essence=storage.build(body=body(spec)))
    assert not patch
    # What Kopf compares and logs at debug level: nothing of the spec, the External ID included.
    assert storage.build(body=body(spec)) == {}
    assert storage.build(body=body(spec)) is not storage.build(body=body(spec))  # Kopf may change it
