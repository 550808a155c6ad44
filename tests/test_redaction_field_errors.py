"""Field errors are messages, not key-value pairs: their words survive redaction, and the value a
Kubernetes field error quotes does not (issue 13, item 6)."""

from __future__ import annotations

import logging

import pytest

from awsip.observability.logs import RedactFilter
from awsip.redaction import MASK, redact

PATTERN_PROBLEM = "spec.externalID: String should match pattern '^[A-Za-z0-9_+=,.@:/-]+$'"


@pytest.mark.parametrize(
    "text",
    [
        f"The spec is invalid, not verifying it: {PATTERN_PROBLEM}",
        f"{PATTERN_PROBLEM}; spec.region: String should match pattern '^[a-z]{{2}}$'",
        "spec.externalID: String should have at least 2 characters",
        "spec.verification.externalId: Field required",
    ],
)
def test_the_words_of_a_field_error_are_kept(text: str) -> None:
    assert redact(text) == text


def test_the_log_line_of_an_invalid_spec_keeps_its_words() -> None:
    record = logging.makeLogRecord(
        {"msg": "The spec is invalid, not verifying it: %s", "args": (PATTERN_PROBLEM,)}
    )
    RedactFilter().filter(record)
    assert record.getMessage() == f"The spec is invalid, not verifying it: {PATTERN_PROBLEM}"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # What the API server answers to an External ID outside the CRD's pattern: the value is quoted.
        (
            'spec.externalID: Invalid value: "with spaces": spec.externalID in body should match',
            f'spec.externalID: Invalid value: "{MASK}": spec.externalID in body should match',
        ),
        ("spec.externalID: Invalid value: s3cr3t-id", f"spec.externalID: Invalid value: {MASK}"),
        # Still key-value pairs: no sentence follows, "=", JSON, YAML.
        ("spec.externalID: s3cr3t-id", f"spec.externalID: {MASK}"),
        ("spec.externalID: s3cr3t-id, next", f"spec.externalID: {MASK}, next"),
        ("spec.externalID=s3cr3t-id and more", f"spec.externalID={MASK} and more"),
        ('{"spec.externalID": "s3cr3t-id"}', f'{{"spec.externalID": "{MASK}"}}'),
        ("externalID: s3cr3t-id", f"externalID: {MASK}"),
        ("ExternalId: s3cr3t-id said", f"ExternalId: {MASK} said"),
    ],
)
def test_values_are_still_masked(text: str, masked: str) -> None:
    assert redact(text) == masked
    assert redact(masked) == masked
