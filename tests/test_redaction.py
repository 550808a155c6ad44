"""redact() and redact_values(): credentials and External IDs are masked in every shape they are
likely to be logged or echoed in, with one marker."""

from __future__ import annotations

import base64
import json
import os
from urllib.parse import quote, quote_plus

import pytest

from awsip import redaction
from awsip.redaction import (
    MASK,
    RememberedSecrets,
    is_secret_key,
    redact,
    redact_values,
    remember_secret,
    values_redactor,
)

ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
TEMP_ACCESS_KEY_ID = "ASIAQ3EGUYJ7ZLXK4T2B"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = "FQoGZXIvYXdzEBYaD" + base64.b64encode(os.urandom(300)).decode()
EXTERNAL_ID = "tenant-7f3c:42"

SECRETS = (ACCESS_KEY_ID, TEMP_ACCESS_KEY_ID, SECRET_KEY, SESSION_TOKEN, EXTERNAL_ID)

LEAKY = [
    f"using {ACCESS_KEY_ID}",
    f"temporary key {TEMP_ACCESS_KEY_ID}.",
    f"Authorization: AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/20240501/us-east-1/sts/aws4_request, ...",
    f"secret {SECRET_KEY} in a sentence",
    f"aws_secret_access_key = {SECRET_KEY}",
    f"AWS_SECRET_ACCESS_KEY={SECRET_KEY}",
    f"token {SESSION_TOKEN}",
    f"X-Amz-Security-Token: {SESSION_TOKEN}",
    f"aws_session_token={SESSION_TOKEN}",
    json.dumps(
        {
            "Credentials": {
                "AccessKeyId": TEMP_ACCESS_KEY_ID,
                "SecretAccessKey": SECRET_KEY,
                "SessionToken": SESSION_TOKEN,
            }
        }
    ),
    repr({"AccessKeyId": TEMP_ACCESS_KEY_ID, "SecretAccessKey": SECRET_KEY, "SessionToken": SESSION_TOKEN}),
    f"<Credentials><AccessKeyId>{TEMP_ACCESS_KEY_ID}</AccessKeyId><SecretAccessKey>{SECRET_KEY}"
    f"</SecretAccessKey><SessionToken>{SESSION_TOKEN}</SessionToken></Credentials>",
    f"assume_role(RoleArn='arn:aws:iam::123456789012:role/x', ExternalId='{EXTERNAL_ID}')",
    f"ExternalId={EXTERNAL_ID}",
    f"Action=AssumeRole&ExternalId={EXTERNAL_ID}&RoleSessionName=awsip",
    f'{{"ExternalId": "{EXTERNAL_ID}"}}',
    json.dumps({"message": json.dumps({"ExternalId": EXTERNAL_ID})}),  # JSON inside JSON
    f"externalId: {EXTERNAL_ID}",
    f"external_id={EXTERNAL_ID!r}",
    json.dumps({"Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}}),
    "ExternalId=a,b,c-secret, then more",
]


@pytest.mark.parametrize("text", LEAKY)
def test_secrets_are_masked(text: str) -> None:
    masked = redact(text)
    assert MASK in masked
    for secret in (*SECRETS, "c-secret"):
        assert secret not in masked, masked


def test_keys_and_structure_survive_masking() -> None:
    assert redact(f'{{"ExternalId": "{EXTERNAL_ID}", "x": 1}}') == '{"ExternalId": "***", "x": 1}'
    assert redact(f"'SessionToken': '{SESSION_TOKEN}'") == "'SessionToken': '***'"
    assert (
        redact(f"<SecretAccessKey>{SECRET_KEY}</SecretAccessKey>") == "<SecretAccessKey>***</SecretAccessKey>"
    )
    assert redact(f"key {ACCESS_KEY_ID} used") == "key AKIA*** used"
    assert redact(f"ExternalId={EXTERNAL_ID}&Version=2011-06-15") == "ExternalId=***&Version=2011-06-15"


HARMLESS = [
    "assumed arn:aws:iam::123456789012:role/capa-manager as session awsip-team-a",
    "arn:aws:iam::123456789012:role/controllers/CapaControllerRole2024abcdefghijk",
    "role id AROAQ3EGUYJ7ZLXK4T2B5 of account 123456789012",
    "uid 3f2a8c1e-5b6d-4e7f-9a0b-1c2d3e4f5a6b resourceVersion 123456",
    "policy sha1 3f786850e387550fdab836ed7e6dc881de23001b",
    "TrustPolicySecure=False reason ExternalIDNotEnforced: the trust policy has no sts:ExternalId condition",
    "spec.externalIDSecretRef names Secret aws-external-id",
    "External ID is not enforced",
    "verification of team-a/aws-prod took 1.7s: 3 of 212 actions missing",
    "",
]


@pytest.mark.parametrize("text", HARMLESS)
def test_harmless_text_is_unchanged(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize("text", LEAKY + HARMLESS)
def test_redaction_is_idempotent(text: str) -> None:
    assert redact(redact(text)) == redact(text)


def test_secret_key_names() -> None:
    for key in ("SecretAccessKey", "aws_secret_access_key", "SessionToken", "ExternalId", "sts:ExternalId"):
        assert is_secret_key(key)
    for key in ("AccessKeyId", "RoleArn", "externalIDSecretRef", "name", "ExternalIdEnforced"):
        assert not is_secret_key(key)


# --- URL-encoded documents, lists and remembered values (botocore's debug log of GetRole) ---


@pytest.mark.parametrize(
    "text",
    [
        # The trust policy as GetRole's raw response carries it.
        "%7B%22Condition%22%3A%20%7B%22StringEquals%22%3A%20%7B%22sts%3AExternalId%22%3A%20%22TOPSECRET-1%22%7D%7D%7D",
        "%22sts%3AExternalId%22%3A%20%5B%22other%22%2C%20%22TOPSECRET-1%22%5D",
        "sts%3AExternalId%3DTOPSECRET-1&RoleArn=x",
        '{"sts:ExternalId": ["other", "TOPSECRET-1"]}',
        "{'ExternalId': ['TOPSECRET-1']}",
    ],
)
def test_encoded_and_listed_external_ids_are_masked(text: str) -> None:
    assert "TOPSECRET" not in redact(text)


def test_remembered_values_are_masked_anywhere_also_url_encoded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redaction, "REMEMBERED", RememberedSecrets())
    secret = "acme/prod=4f1d+2c9e"
    remember_secret(secret)
    remember_secret("ab")  # too short to be masked everywhere
    text = f"free text {secret} and {quote(secret, safe='')} and {quote_plus(secret)} ab"
    masked = redact(text)
    assert secret not in masked
    assert quote(secret, safe="") not in masked and quote_plus(secret) not in masked
    assert masked.endswith(" ab")
    monkeypatch.setattr(redaction, "REMEMBERED", RememberedSecrets())
    assert secret in redact(f"free text {secret}")


def test_remembered_values_are_bounded_oldest_first() -> None:
    remembered = RememberedSecrets(max_entries=2)
    for value in ("first-secret", "second-secret", "first-secret", "third-secret"):
        remembered.add(value)
    assert remembered.pattern is not None
    found = {m.group(1) for m in remembered.pattern.finditer("first-secret second-secret third-secret")}
    assert found == {"first-secret", "third-secret"}  # "first" was used again, so "second" went


def test_remembering_compiles_nothing_until_a_record_is_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled: list[int] = []
    original = redaction._value_pattern

    def counting(values: object) -> object:
        compiled.append(1)
        return original(values)  # type: ignore[arg-type]

    monkeypatch.setattr(redaction, "_value_pattern", counting)
    remembered = RememberedSecrets()
    for index in range(100):  # one External ID per verification
        remembered.add(f"external-id-{index:03d}")
    assert compiled == []
    pattern = remembered.pattern
    assert pattern is not None and pattern.search("... external-id-042 ...")
    assert remembered.pattern is pattern and compiled == [1]  # once, until something new comes
    remembered.add("external-id-100")
    assert remembered.pattern is not pattern and compiled == [1, 1]


# --- redact_values: a verification's own secrets, in what becomes a status or an event ---


def test_given_values_are_masked_verbatim_and_url_encoded_with_the_one_marker() -> None:
    secret = "tenant/7f3c:42+x"
    text = f"Value '{secret}' at 'externalId'; echoed {quote(secret, safe='')} and {quote_plus(secret)}"
    masked = redact_values(text, [secret, None, ""])
    assert masked == f"Value '{MASK}' at 'externalId'; echoed {MASK} and {MASK}"


def test_only_the_given_values_are_masked_not_shapes() -> None:
    # Status messages quote policy templates and ARNs: redact_values leaves them alone.
    text = '{"sts:ExternalId":"<your-external-id>"} for arn:aws:iam::123456789012:role/capa'
    assert redact_values(text, ["not-in-the-text"]) == text
    assert redact_values(text, []) == text


@pytest.mark.parametrize(
    ("values", "text"),
    [
        (["abcdef", "zab"], "zabcdef"),  # overlapping: neither may leave a piece of the other
        (["abcd", "bcde"], "xabcdex"),
        (["secret"], "secretsecret"),
        (["ab", "abab"], "abababab"),
        ([SESSION_TOKEN, ACCESS_KEY_ID], f"{ACCESS_KEY_ID}{SESSION_TOKEN}{ACCESS_KEY_ID}"),
    ],
)
def test_every_character_of_every_occurrence_is_masked(values: list[str], text: str) -> None:
    masked = redact_values(text, values)
    for value in values:
        for size in range(2, len(value) + 1):
            for start in range(len(value) - size + 1):
                assert value[start : start + size] not in masked.replace(MASK, "\0"), (value, masked)
    assert set(masked) <= set(MASK) | set("x")


def test_a_redactor_masks_many_texts_with_one_pattern() -> None:
    clean = values_redactor(["tenant/7f3c:42+x", None, ""])
    assert clean("a tenant/7f3c:42+x b") == f"a {MASK} b"
    assert clean(f"c {quote_plus('tenant/7f3c:42+x')}") == f"c {MASK}"
    assert values_redactor([None, ""])("nothing to hide") == "nothing to hide"
