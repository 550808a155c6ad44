"""A provider's spec, parsed once, when the runtime observes it: a typed spec, or why it is not one.

The API server validates specs against the CRD's schema, but not every API does (kmock does not,
and a CRD installed by hand may be older), so the operator validates them itself, with the same
pydantic types (:class:`awsip.api.v1alpha1.AWSInfrastructureProviderSpec`). Everything the controller
decides about a spec -- whether to verify it, with which role, on which interval, whether it has
been handled already (its fingerprint) -- is read from the :class:`ValidSpec` or
:class:`InvalidSpec` made here, once per change of the spec, never from the raw object again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Final

from pydantic import ValidationError

from awsip.api import constants
from awsip.api.durations import parse_duration
from awsip.api.v1alpha1 import AWSInfrastructureProviderSpec

#: The interval of a spec that gives none (the API's default), and of an invalid spec: it is only
#: verified again when it changes, so its interval serves as nothing but the cap of its backoff.
DEFAULT_INTERVAL_SECONDS: Final = parse_duration(constants.DEFAULT_INTERVAL)


@dataclass(frozen=True)
class ValidSpec:
    """A spec to verify."""

    spec: AWSInfrastructureProviderSpec
    fingerprint: str

    @property
    def role_arn(self) -> str:
        return self.spec.role_arn

    @property
    def interval_seconds(self) -> float:
        """``verification.interval``; the spec's validation guarantees at least a minute."""
        return parse_duration(self.spec.verification.interval)


@dataclass(frozen=True)
class InvalidSpec:
    """A spec that does not validate: reported (``InvalidSpec``), never verified."""

    problem: str
    fingerprint: str
    interval_seconds: float = DEFAULT_INTERVAL_SECONDS


ParsedSpec = ValidSpec | InvalidSpec


def parse_spec(raw: Any) -> ParsedSpec:
    """``raw`` (the object's ``spec``, as the API serves it) as a :class:`ValidSpec` or :class:`InvalidSpec`."""
    digest = fingerprint(raw)
    try:
        return ValidSpec(AWSInfrastructureProviderSpec.model_validate(raw or {}), digest)
    except ValidationError as exc:
        return InvalidSpec(describe_validation_error(exc), digest)


#: pydantic's prefixes for errors raised in validators ("Value error, externalID and ..."): its
#: wording, not the problem's.
_VALIDATOR_PREFIXES = {"value_error": "Value error, ", "assertion_error": "Assertion failed, "}


def describe_validation_error(error: ValidationError, *, limit: int = 5) -> str:
    """``field: problem`` for the first few errors; the offending values are never included (an
    External ID could be one of them).

    A rule across fields (a model validator) has no field of its own: its path is ``spec``."""
    parts = []
    for item in error.errors(include_url=False, include_input=False, include_context=False)[:limit]:
        location = ".".join(str(part) for part in item.get("loc", ()))
        message = str(item.get("msg", "invalid")).removeprefix(
            _VALIDATOR_PREFIXES.get(item.get("type", ""), "")
        )
        parts.append(f"{'spec.' + location if location else 'spec'}: {message}")
    more = error.error_count() - limit
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)


def fingerprint(value: Any) -> str:
    """A digest of a JSON value (a spec): equal specs, equal fingerprints."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
