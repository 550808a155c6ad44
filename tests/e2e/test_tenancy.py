"""Tenancy end to end: the operator with ``--tenancy-configmap``, against kmock and moto.

The module's usual operator is stopped and replaced by one that enforces the rules of a
ConfigMap in ``awsip-system`` -- a namespace it does not serve (it serves only this module's
namespaces, as ``awsip run -n ...`` would), so the rules' own watch is what sees them. Every AWS
HTTP request is counted per provider (botocore's ``before-send``, attributed by the provider
context the runtime sets around each verification), which shows that a refused provider causes
none at all.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
import yaml

from awsip import verification
from awsip.api.v1alpha1 import AWSInfrastructureProviderSpec
from awsip.controller.backend import default_backend
from awsip.observability.logs import provider_of
from awsip.sandbox import scenarios
from awsip.sandbox.aws_seed import create_provider_role, provider_trust_policy
from awsip.sandbox.harness import Sandbox
from awsip.sandbox.operator_runner import OperatorRunner
from tests.e2e.e2e_helpers import condition, has_verdict, operator_caught_up, provider, verdict

pytestmark = pytest.mark.e2e

RULES_NAMESPACE = "awsip-system"
RULES_CONFIGMAP = "awsip-tenancy"
ALLOWED, DENIED, PLATFORM, PLAIN, LATE = "tn-allowed", "tn-denied", "tn-platform", "tn-plain", "tn-late"
HOSTILE = "tn-hostile"
NAMESPACES = (ALLOWED, DENIED, PLATFORM, PLAIN, LATE, HOSTILE)
PRODUCTION = {"roleARN": scenarios.PRODUCTION.arn, "externalID": scenarios.PRODUCTION.external_id}
DEVELOPMENT = {"roleARN": scenarios.DEVELOPMENT.arn, "externalID": scenarios.DEVELOPMENT.external_id}

NOT_PERMITTED = has_verdict("False", "NotPermitted")
VERIFIED = has_verdict("True", "Verified")


def rules(*items: dict[str, Any]) -> str:
    return yaml.safe_dump({"rules": list(items)}, sort_keys=False)


def production_for(*namespaces: str) -> dict[str, Any]:
    return {"name": "production", "namespaces": list(namespaces), "roleARNs": [scenarios.PRODUCTION.arn]}


PLATFORM_RULE = {
    "name": "platform",
    "namespaceSelector": {"matchLabels": {"awsip.io/tier": "platform"}},
    "roleARNs": [scenarios.DEVELOPMENT.arn],
}


class CountingBackend:
    """The real backend, counting verify() calls and AWS HTTP requests per provider."""

    def __init__(self, sandbox: Sandbox) -> None:
        config = sandbox.operator_config
        self.aws = verification.AwsServices.from_environment(
            calls_per_second=config.aws_calls_per_second, session_tags=True
        )
        self.requests: Counter[str] = Counter()
        self.verifies: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.aws.session.events.register("before-send", self._count_request)
        self.backend = replace(default_backend(config), verify=self._verify)

    def _count_request(self, **_: Any) -> None:
        about = provider_of(logging.makeLogRecord({}))  # the provider context of this thread
        with self._lock:
            self.requests["/".join(str(part) for part in about) if about else "(no provider)"] += 1

    def _verify(
        self,
        namespace: str,
        name: str,
        spec: AWSInfrastructureProviderSpec,
        inputs: verification.ProviderInputs,
    ) -> verification.VerificationResult:
        with self._lock:
            self.verifies[f"{namespace}/{name}"] += 1
        ref = verification.ProviderRef(namespace=namespace, name=name)
        return verification.verify(ref, spec, aws=self.aws, inputs=inputs)

    def aws_requests(self, namespace: str, name: str) -> int:
        with self._lock:
            return self.requests[f"{namespace}/{name}"]


@dataclass
class World:
    sandbox: Sandbox
    counting: CountingBackend
    operator: OperatorRunner

    def set_rules(self, text: str) -> None:
        self.sandbox.client.apply(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": RULES_CONFIGMAP, "namespace": RULES_NAMESPACE},
                "data": {"rules.yaml": text},
            }
        )

    def wait(self, namespace: str, name: str, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        return self.sandbox.wait_for_provider(namespace, name, check, timeout=20)

    def configmap_events(self) -> list[tuple[str, str]]:
        events = [
            e
            for e in self.sandbox.client.events(RULES_NAMESPACE)
            if e.get("involvedObject", {}).get("kind") == "ConfigMap"
        ]
        events.sort(key=lambda e: int(e["metadata"].get("resourceVersion") or 0))
        return [(e["type"], e["reason"]) for e in events]


@pytest.fixture(scope="module")
def world(sandbox: Sandbox) -> Iterator[World]:
    client = sandbox.client
    for namespace in (RULES_NAMESPACE, *NAMESPACES):
        client.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    sandbox.stop_operator()
    counting = CountingBackend(sandbox)
    config = replace(
        sandbox.operator_config,
        kubeconfig=str(sandbox.kubeconfig),
        session_tags=True,
        tenancy_configmap=f"{RULES_NAMESPACE}/{RULES_CONFIGMAP}",
    )
    operator = OperatorRunner(config, backend=counting.backend, namespaces=NAMESPACES)
    world = World(sandbox, counting, operator)
    world.set_rules(rules(production_for(ALLOWED), PLATFORM_RULE))
    operator.start()
    try:
        yield world
    finally:
        try:
            for namespace in NAMESPACES:  # while the operator runs: it releases its finalizers
                for item in client.providers(namespace):
                    client.delete_provider(namespace, item["metadata"]["name"])
            deadline = time.monotonic() + 20
            while any(client.providers(ns) for ns in NAMESPACES) and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            operator.stop()  # the world is this module's (tests/e2e/conftest.py): nothing to restore


def test_a_refused_namespace_never_reaches_aws_and_an_allowed_one_is_verified(world: World) -> None:
    world.sandbox.client.apply(provider(DENIED, "intruder", PRODUCTION))
    world.sandbox.client.apply(provider(ALLOWED, "owner", PRODUCTION))

    owner = world.wait(ALLOWED, "owner", VERIFIED)
    intruder = world.wait(DENIED, "intruder", NOT_PERMITTED)

    assert (condition(intruder, "Stalled")["status"], condition(intruder, "Stalled")["reason"]) == (
        "True",
        "NotPermitted",
    )
    message = condition(intruder, "Ready")["message"]
    assert f'namespace "{DENIED}" may not use account 123456789012' in message
    assert "awsip made no AWS call for this provider" in message
    assert not {"accountID", "assumedRoleARN", "permissions", "trustPolicy"} & set(intruder["status"])
    assert owner["status"]["accountID"] == "123456789012"

    operator_caught_up(world.sandbox, DENIED, "intruder", operator=world.operator)  # nothing under way
    assert world.counting.verifies[f"{DENIED}/intruder"] == 0
    assert world.counting.aws_requests(DENIED, "intruder") == 0
    assert world.counting.aws_requests(ALLOWED, "owner") > 0  # the counting does see requests
    assert world.counting.requests["(no provider)"] == 0  # every request is attributed


def test_a_rule_change_applies_without_a_restart_both_ways(world: World) -> None:
    world.sandbox.client.apply(provider(DENIED, "newcomer", PRODUCTION))
    world.sandbox.client.apply(provider(ALLOWED, "incumbent", PRODUCTION))
    world.wait(DENIED, "newcomer", NOT_PERMITTED)
    world.wait(ALLOWED, "incumbent", VERIFIED)
    running = world.operator.running

    world.set_rules(rules(production_for(ALLOWED, DENIED), PLATFORM_RULE))
    newcomer = world.wait(DENIED, "newcomer", VERIFIED)
    assert condition(newcomer, "Stalled")["status"] == "False"
    assert world.counting.aws_requests(DENIED, "newcomer") > 0

    world.set_rules(rules(production_for(DENIED), PLATFORM_RULE))  # ALLOWED loses its rule
    incumbent = world.wait(ALLOWED, "incumbent", NOT_PERMITTED)
    assert "accountID" not in incumbent["status"]
    assert verdict(world.sandbox.client.provider(DENIED, "newcomer")) == ("True", "Verified")

    assert running and world.operator.running  # the same operator all along
    world.set_rules(rules(production_for(ALLOWED), PLATFORM_RULE))
    world.wait(ALLOWED, "incumbent", VERIFIED)


def test_a_namespace_selector_rule_follows_the_namespaces_labels(world: World) -> None:
    labelled = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": PLATFORM}}
    labelled["metadata"]["labels"] = {"awsip.io/tier": "platform"}
    world.sandbox.client.apply(labelled)
    world.sandbox.client.apply(provider(PLATFORM, "tooling", DEVELOPMENT))
    world.sandbox.client.apply(provider(PLAIN, "tooling", DEVELOPMENT))

    world.wait(PLATFORM, "tooling", VERIFIED)
    plain = world.wait(PLAIN, "tooling", NOT_PERMITTED)
    assert "No rule applies to this namespace at all" in condition(plain, "Ready")["message"]
    assert world.counting.aws_requests(PLAIN, "tooling") == 0


def test_invalid_rules_keep_the_last_valid_ones_and_are_reported_on_the_configmap(world: World) -> None:
    world.set_rules(rules(production_for(ALLOWED, LATE), PLATFORM_RULE))
    world.sandbox.client.apply(provider(LATE, "before", PRODUCTION))
    world.wait(LATE, "before", VERIFIED)

    world.set_rules("rules:\n  - name: production\n    namespace: [tn-late]\n")  # "namespace": a typo
    deadline = time.monotonic() + 10
    while ("Warning", "InvalidTenancyRules") not in world.configmap_events():
        assert time.monotonic() < deadline, world.configmap_events()
        time.sleep(0.1)

    # The last valid rules stay in force: a new provider of the same namespace is verified.
    world.sandbox.client.apply(provider(LATE, "after", PRODUCTION))
    world.wait(LATE, "after", VERIFIED)
    assert verdict(world.sandbox.client.provider(LATE, "before")) == ("True", "Verified")

    world.set_rules(rules(production_for(ALLOWED), PLATFORM_RULE))  # fixed, and LATE is out
    world.wait(LATE, "after", NOT_PERMITTED)
    assert world.configmap_events()[-1] == ("Normal", "TenancyRulesApplied")


def test_a_hostile_role_policy_holds_up_no_one(world: World) -> None:
    """A role whose policies are built to be expensive (patterns of hundreds of wildcards, which
    took exponential time to match) gets its verdict, and the other providers theirs."""
    sandbox = world.sandbox
    assert sandbox.operator_user is not None
    hostile = "arn:aws:s3:::" + "a*" * 150 + "b"
    statements = [
        {"Sid": "Wild", "Effect": "Allow", "Action": "*", "NotResource": hostile},
        {"Sid": "Deny", "Effect": "Deny", "Action": "ec2:*", "Resource": hostile},
        {
            "Sid": "Cond",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": "*",
            "Condition": {"StringLike": {"iam:PassedToService": "a*" * 150 + "b"}},
        },
    ]
    sandbox.moto.set_iam_auth(False)  # seeding
    try:
        arn = create_provider_role(
            sandbox.iam(),
            "capa-hostile",
            trust_policy=provider_trust_policy(sandbox.operator_user.arn, external_id="hostile-ext-1"),
            inline_policies={"hostile": {"Version": "2012-10-17", "Statement": statements}},
        )
    finally:
        sandbox.moto.set_iam_auth(True)
    world.set_rules(
        rules(
            production_for(ALLOWED, HOSTILE),
            PLATFORM_RULE,
            {"name": "hostile", "namespaces": [HOSTILE], "roleARNs": [arn]},
        )
    )
    sandbox.client.apply(provider(HOSTILE, "hostile", {"roleARN": arn, "externalID": "hostile-ext-1"}))
    sandbox.client.apply(provider(HOSTILE, "bystander", PRODUCTION))

    settled = world.wait(HOSTILE, "hostile", lambda o: verdict(o)[0] in ("True", "False"))
    assert condition(settled, "RoleAssumed")["status"] == "True"
    # ec2 requests never name S3 ARNs (the authorization catalog), so the Deny takes none of them;
    # the seed's eks:ListClusters/CreateCluster, listed with cluster ARNs, fall back to the formal
    # check, which the hostile pattern makes undecidable within the engine's budget.
    assert verdict(settled) == ("False", "UndecidedPermissions")
    assert settled["status"]["permissions"]["missingActions"] == 0
    world.wait(HOSTILE, "bystander", VERIFIED)
