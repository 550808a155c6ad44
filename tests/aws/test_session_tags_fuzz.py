"""Session tags (``--session-tags``): whatever the namespace and name, STS accepts the values.

STS's pattern for a tag value is ``[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*`` with at most 256 characters;
``regex`` (a dependency of moto's cfn-lint) checks it with Unicode properties, independently of
the implementation.
"""

from __future__ import annotations

from typing import Any

import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from awsip.aws.sts import assume_role, session_tag_value

STS_TAG_VALUE = regex.compile(r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*")
FUZZ = settings(max_examples=200, deadline=None)

dns_label = st.from_regex(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", fullmatch=True)
dns_subdomain = st.lists(dns_label, min_size=1, max_size=4).map(".".join).filter(lambda s: len(s) <= 253)


@FUZZ
@given(text=st.text(max_size=600))
def test_any_text_becomes_a_valid_tag_value(text: str) -> None:
    value = session_tag_value(text)
    assert STS_TAG_VALUE.fullmatch(value)
    assert len(value) <= 256
    assert len(value) == min(len(text), 256)  # one character for one: nothing shifts


@FUZZ
@given(namespace=dns_label, name=dns_subdomain)
def test_kubernetes_names_pass_unchanged(namespace: str, name: str) -> None:
    assert session_tag_value(namespace) == namespace
    assert session_tag_value(name) == name


class RecordingSts:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def assume_role(self, **params: Any) -> dict[str, Any]:
        self.calls.append(params)
        return {
            "Credentials": {"AccessKeyId": "A", "SecretAccessKey": "S", "SessionToken": "T"},
            "AssumedRoleUser": {
                "Arn": "arn:aws:sts::123456789012:assumed-role/capa/s",
                "AssumedRoleId": "X:s",
            },
        }


def test_assume_role_sends_valid_tag_values() -> None:
    sts = RecordingSts()
    assume_role(
        sts,
        role_arn="arn:aws:iam::123456789012:role/capa",
        session_name="s",
        duration_seconds=900,
        tags={"awsip:namespace": "team-a", "awsip:name": "bad\u0000name!" + "x" * 300},
    )
    (call,) = sts.calls
    assert call["Tags"][0] == {"Key": "awsip:namespace", "Value": "team-a"}
    value = call["Tags"][1]["Value"]
    assert value.startswith("bad_name_") and len(value) == 256 and STS_TAG_VALUE.fullmatch(value)
