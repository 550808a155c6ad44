"""What a verification reads from Kubernetes (through :class:`ProviderInputs`) and how it reads it.

The controller implements :class:`ProviderInputs` with the Kubernetes client; tests use a dict.
Reads stay in the provider's own namespace: a spec can only name a Secret or ConfigMap key, and
the namespace is always the provider's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from awsip.api.v1alpha1 import EXTERNAL_ID_PATTERN, AWSInfrastructureProviderSpec


@dataclass(frozen=True)
class ProviderRef:
    """The provider being verified."""

    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


class InputNotFoundError(Exception):
    """The Secret, ConfigMap or key does not exist (or may not be read): a person must fix it.

    The message names what is missing (never a value).
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputUnavailableError(Exception):
    """The Kubernetes API could not be asked right now (timeout, 5xx): retried like AWS errors."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ProviderInputs(Protocol):
    def secret_value(self, namespace: str, name: str, key: str) -> str:
        """The decoded value of ``key`` in Secret ``namespace/name``.

        Raises :class:`InputNotFoundError` when the Secret or key is missing,
        :class:`InputUnavailableError` when the API server cannot be reached, and
        :class:`InvalidInputError` when the key holds something other than text (binary data).
        """
        ...

    def configmap_value(self, namespace: str, name: str, key: str) -> str:
        """The value of ``key`` in ConfigMap ``namespace/name`` (same errors as :meth:`secret_value`)."""
        ...


class InvalidInputError(Exception):
    """An input was read but its content is unusable (the message never quotes a secret)."""


_EXTERNAL_ID = re.compile(EXTERNAL_ID_PATTERN)


def resolve_external_id(
    ref: ProviderRef, spec: AWSInfrastructureProviderSpec, inputs: ProviderInputs
) -> str | None:
    """The External ID: the spec's, or the one in the Secret the spec names (None if neither).

    Raises InputNotFoundError / InputUnavailableError from ``inputs``, and InvalidInputError if
    the Secret's value is not a valid External ID (surrounding whitespace, as a trailing newline
    from ``kubectl create secret --from-file``, is ignored).
    """
    if spec.external_id is not None:
        return spec.external_id
    secret = spec.external_id_secret_ref
    if secret is None:
        return None
    value = inputs.secret_value(ref.namespace, secret.name, secret.key).strip()
    if not 2 <= len(value) <= 1224 or not _EXTERNAL_ID.match(value):
        raise InvalidInputError(
            f"the value of key {secret.key!r} in Secret {ref.namespace}/{secret.name} is not a valid External ID "
            "(2 to 1224 characters of A-Z a-z 0-9 and _+=,.@:/-)"
        )
    return value


def required_policy_text(
    ref: ProviderRef, spec: AWSInfrastructureProviderSpec, inputs: ProviderInputs
) -> str | None:
    """The required policy from the spec's ConfigMap, as text (None when the spec names a profile)."""
    config_map = spec.required_policy.config_map_ref
    if config_map is None:
        return None
    return inputs.configmap_value(ref.namespace, config_map.name, config_map.key)
