"""Test doubles for verification: Kubernetes inputs and a policy simulator."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from awsip.aws.policy_simulator import SimulationRequest, SimulationResult
from awsip.verification import InputNotFoundError, InputUnavailableError


@dataclass
class FakeInputs:
    """ProviderInputs over dicts keyed by (namespace, name, key)."""

    secrets: dict[tuple[str, str, str], str] = field(default_factory=dict)
    configmaps: dict[tuple[str, str, str], str] = field(default_factory=dict)
    unavailable: bool = False
    reads: list[tuple[str, str, str, str]] = field(default_factory=list)

    def secret_value(self, namespace: str, name: str, key: str) -> str:
        return self._read("secret", self.secrets, namespace, name, key)

    def configmap_value(self, namespace: str, name: str, key: str) -> str:
        return self._read("configmap", self.configmaps, namespace, name, key)

    def _read(
        self, kind: str, data: dict[tuple[str, str, str], str], namespace: str, name: str, key: str
    ) -> str:
        self.reads.append((kind, namespace, name, key))
        if self.unavailable:
            raise InputUnavailableError("timed out talking to the API server")
        if (namespace, name, key) not in data:
            raise InputNotFoundError(f"{kind} {namespace}/{name} has no key {key!r}")
        return data[(namespace, name, key)]


@dataclass
class FakeSimulator:
    """PolicySimulator deciding each request with ``decide`` and recording what it was asked."""

    decide: Callable[[SimulationRequest], SimulationResult]
    calls: list[tuple[str, list[SimulationRequest]]] = field(default_factory=list)

    def simulate(
        self, policy_source_arn: str, requests: Sequence[SimulationRequest]
    ) -> list[SimulationResult]:
        self.calls.append((policy_source_arn, list(requests)))
        return [self.decide(request) for request in requests]
