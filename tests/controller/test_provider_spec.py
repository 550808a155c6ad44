"""A provider's spec, parsed once: typed, or why not -- without echoing any value."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from awsip.api.v1alpha1 import AWSInfrastructureProviderSpec
from awsip.controller.provider_spec import (
    DEFAULT_INTERVAL_SECONDS,
    InvalidSpec,
    ValidSpec,
    describe_validation_error,
    fingerprint,
    parse_spec,
)

ARN = "arn:aws:iam::123456789012:role/capa"
HOUR = 3600.0


def test_a_valid_spec_is_typed_and_fingerprinted() -> None:
    raw = {"roleARN": ARN, "externalID": "ext-id-1"}
    parsed = parse_spec(raw)
    assert isinstance(parsed, ValidSpec)
    assert parsed.role_arn == ARN and parsed.spec.external_id == "ext-id-1"
    assert parsed.fingerprint == fingerprint(raw) == parse_spec(dict(reversed(list(raw.items())))).fingerprint


@pytest.mark.parametrize(
    ("spec", "seconds"),
    [
        ({}, HOUR),
        ({"verification": {}}, HOUR),
        ({"verification": {"interval": "30m"}}, 1800),
        ({"verification": {"interval": "1h30m"}}, 5400),
    ],
)
def test_the_interval_of_a_valid_spec(spec: dict[str, Any], seconds: float) -> None:
    parsed = parse_spec({"roleARN": ARN, **spec})
    assert isinstance(parsed, ValidSpec) and parsed.interval_seconds == seconds


@pytest.mark.parametrize(
    "spec",
    [
        None,
        "a string",
        {"roleARN": "nope"},
        {"roleARN": ARN, "verification": {"interval": "10s"}},  # never below a minute
        {"roleARN": ARN, "verification": {"interval": "soon"}},
        {"roleARN": ARN, "verification": {"interval": 5}},
    ],
)
def test_an_invalid_spec_says_why_and_takes_the_default_interval(spec: Any) -> None:
    parsed = parse_spec(spec)
    assert isinstance(parsed, InvalidSpec)
    assert parsed.problem.startswith(("spec.", "spec: "))
    assert parsed.interval_seconds == DEFAULT_INTERVAL_SECONDS == HOUR
    assert parsed.fingerprint == fingerprint(spec)


def test_validation_errors_never_echo_values() -> None:
    secret = "my-very-secret-external-id with spaces"
    with pytest.raises(ValidationError) as caught:
        AWSInfrastructureProviderSpec.model_validate(
            {"roleARN": "arn:aws:iam::1:role/x", "externalID": secret, "durationSeconds": 5, "surprise": 1}
        )
    text = describe_validation_error(caught.value)
    assert "spec.roleARN" in text and "spec.externalID" in text and "spec.durationSeconds" in text
    assert secret not in text and "arn:aws:iam::1:role/x" not in text


def test_validation_error_summary_is_short() -> None:
    with pytest.raises(ValidationError) as caught:
        AWSInfrastructureProviderSpec.model_validate({f"unknown{i}": i for i in range(9)} | {"roleARN": "x"})
    text = describe_validation_error(caught.value, limit=3)
    assert text.count("spec.") == 3 and text.endswith("and 7 more")


def test_fingerprint() -> None:
    assert fingerprint({"a": 1, "b": [1, 2]}) == fingerprint({"b": [1, 2], "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})
    assert fingerprint(None) == fingerprint(None)
