"""An invalid spec's message says where and what in plain words (issue 13, item 6)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from awsip.api.v1alpha1 import AWSInfrastructureProviderSpec
from awsip.controller.provider_spec import describe_validation_error

ROLE = "arn:aws:iam::123456789012:role/capa"


def problem(spec: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        AWSInfrastructureProviderSpec.model_validate(spec)
    return describe_validation_error(caught.value)


def test_a_rule_across_fields_is_reported_at_spec_once_without_the_library_wording() -> None:
    text = problem({"roleARN": ROLE, "externalID": "abcd", "externalIDSecretRef": {"name": "s", "key": "k"}})
    assert text == "spec: externalID and externalIDSecretRef are mutually exclusive: set one of them"
    text = problem({"roleARN": ROLE, "region": "cn-north-1"})
    assert text.startswith("spec: region must belong to the role ARN's partition")


def test_a_field_is_reported_at_its_path_without_its_value() -> None:
    text = problem({"roleARN": ROLE, "externalID": "with spaces"})
    assert text == "spec.externalID: String should match pattern '^[A-Za-z0-9_+=,.@:/-]+$'"
    assert "with spaces" not in text
