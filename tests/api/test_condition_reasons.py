"""The status vocabulary: one home, every word valid where the CRD puts it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from awsip.api.condition_reasons import ConditionType, FindingCode, Reason, find_condition
from awsip.api.v1alpha1 import CONDITION_REASON_PATTERN
from awsip.trust import SEVERITIES


def words(holder: type) -> dict[str, str]:
    return {name: value for name, value in vars(holder).items() if name.isupper() and isinstance(value, str)}


def test_every_reason_and_code_matches_the_crd_pattern_and_is_named_once() -> None:
    values = list(words(Reason).values()) + list(words(FindingCode).values())
    assert all(re.match(CONDITION_REASON_PATTERN, value) for value in values)
    assert len(values) == len(set(values))


def test_every_finding_code_has_a_severity() -> None:
    assert set(SEVERITIES) == set(words(FindingCode).values())


def test_condition_types_are_listed_once_in_order() -> None:
    # ClusterIdentityReady is set by the Cluster API step alone, outside the verification's list.
    own = {*ConditionType.ALL, ConditionType.CLUSTER_IDENTITY_READY}
    assert own == set(words(ConditionType).values())
    assert ConditionType.CLUSTER_IDENTITY_READY not in ConditionType.ALL
    assert len(ConditionType.ALL) == len(set(ConditionType.ALL))


@pytest.mark.parametrize(
    "status",
    [None, {}, {"conditions": None}, {"conditions": "x"}, {"conditions": [1, {"status": "True"}]}, []],
)
def test_find_condition_tolerates_any_stored_shape(status: Any) -> None:
    assert find_condition(status, ConditionType.READY) is None


def test_find_condition_finds_the_first_of_its_type() -> None:
    ready = {"type": "Ready", "status": "True"}
    status = {"conditions": [{"type": "Stalled"}, ready, {"type": "Ready", "status": "False"}]}
    assert find_condition(status, ConditionType.READY) is ready
