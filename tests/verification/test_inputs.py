from __future__ import annotations

import pytest

from awsip.api.v1alpha1 import AWSInfrastructureProviderSpec
from awsip.verification import InputNotFoundError, ProviderRef
from awsip.verification.inputs import InvalidInputError, resolve_external_id
from tests.verification.fakes import FakeInputs

ROLE = "arn:aws:iam::123456789012:role/capa"
REF = ProviderRef("team-a", "prod")


def spec(**fields: object) -> AWSInfrastructureProviderSpec:
    return AWSInfrastructureProviderSpec.model_validate({"roleARN": ROLE, **fields})


def test_external_id_from_the_spec_or_none() -> None:
    assert resolve_external_id(REF, spec(externalID="from-spec"), FakeInputs()) == "from-spec"
    assert resolve_external_id(REF, spec(), FakeInputs()) is None


def test_external_id_from_a_secret_in_the_providers_namespace() -> None:
    inputs = FakeInputs(secrets={("team-a", "aws", "externalID"): "from-secret\n"})
    ref = {"externalIDSecretRef": {"name": "aws", "key": "externalID"}}
    assert resolve_external_id(REF, spec(**ref), inputs) == "from-secret"
    assert inputs.reads == [("secret", "team-a", "aws", "externalID")]
    with pytest.raises(InputNotFoundError):
        resolve_external_id(ProviderRef("team-b", "prod"), spec(**ref), inputs)


def test_an_invalid_external_id_in_a_secret_is_reported_without_its_value() -> None:
    inputs = FakeInputs(secrets={("team-a", "aws", "externalID"): "has spaces in it"})
    with pytest.raises(InvalidInputError) as raised:
        resolve_external_id(REF, spec(externalIDSecretRef={"name": "aws", "key": "externalID"}), inputs)
    assert "has spaces" not in str(raised.value)
    assert "Secret team-a/aws" in str(raised.value)
