"""The README's kubectl commands tell the truth about the sandbox's providers (issue 13, item 2).

The whole emulated world runs in this process (moto, the Kubernetes emulator, the operator) with
``examples/`` applied; the real kubectl (``make tools``) reads it.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from awsip.api import constants
from awsip.commands.sandbox import DEFAULT_EXAMPLES, expectations, load_examples
from awsip.sandbox import scenarios
from awsip.sandbox.harness import Sandbox
from awsip.sandbox.verdicts import is_settled

pytestmark = pytest.mark.e2e

KUBECTL = Path(__file__).resolve().parents[2] / ".tools" / "kubectl"
NS = scenarios.WORKSPACE_NAMESPACE
PROVIDER = f"{constants.SINGULAR}.{constants.GROUP}"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with Sandbox(tmp_path_factory.mktemp("sandbox")) as world:
        assert world.operator_user is not None
        scenarios.seed_roles(world.iam(), world.operator_user.arn)
        world.enable_aws_auth()
        world.start_operator()
        documents = load_examples(DEFAULT_EXAMPLES)
        for doc in documents:
            world.client.apply(doc)
        for namespace, name in expectations(documents):
            world.wait_for_provider(namespace, name, is_settled, what="a verdict")
        yield world


def kubectl(sandbox: Sandbox, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    assert KUBECTL.exists(), "kubectl is missing: run `make tools` (scripts/fetch-tools.sh)"
    done = subprocess.run(
        [str(KUBECTL), "--kubeconfig", str(sandbox.kubeconfig), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if check:
        assert done.returncode == 0, done.stderr
    return done


def test_kubectl_wait_for_ready(sandbox: Sandbox) -> None:
    met = kubectl(
        sandbox, "wait", "--for=condition=Ready", "awsip/acme-production", "-n", NS, "--timeout=30s"
    )
    assert met.stdout.strip() == f"{PROVIDER}/acme-production condition met"
    # acme-staging misses permissions: waiting for Ready must not succeed (it used to say
    # "condition met" for whichever provider the emulator listed first).
    waiting = kubectl(sandbox, "wait", "--for=condition=Ready", "awsip/acme-staging", "-n", NS,
                      "--timeout=3s", check=False)  # fmt: skip
    assert waiting.returncode != 0, waiting.stdout
    assert "condition met" not in waiting.stdout and "timed out" in waiting.stderr
    not_ready = kubectl(sandbox, "wait", "--for=condition=Ready=False", "awsip/acme-staging", "-n", NS,
                        "--timeout=30s")  # fmt: skip
    assert not_ready.stdout.strip() == f"{PROVIDER}/acme-staging condition met"


def test_the_status_observes_the_generation(sandbox: Sandbox) -> None:
    obj = yaml.safe_load(kubectl(sandbox, "get", "awsip", "acme-staging", "-n", NS, "-o", "yaml").stdout)
    generation = obj["metadata"]["generation"]
    assert generation >= 1
    assert obj["status"]["observedGeneration"] == generation
    assert {c["type"]: c.get("observedGeneration") for c in obj["status"]["conditions"]}[
        "Ready"
    ] == generation


def test_get_with_a_field_selector_returns_one_provider(sandbox: Sandbox) -> None:
    rows = kubectl(sandbox, "get", "awsip", "-A", "--field-selector", "metadata.name=acme-staging",
                   "--no-headers").stdout.splitlines()  # fmt: skip
    assert [row.split()[:2] for row in rows] == [[NS, "acme-staging"]]


def test_describe_shows_the_providers_own_events(sandbox: Sandbox) -> None:
    text = kubectl(sandbox, "describe", "awsip", "acme-staging", "-n", NS).stdout
    events = text.split("Events:", 1)[1]
    assert "MissingPermissions" in events
    for other in ("WildcardPrincipal", "AccessDenied", "Verified"):
        assert other not in events, events


def test_a_spec_change_is_a_new_generation_that_gets_verified(sandbox: Sandbox) -> None:
    before = sandbox.client.provider(NS, "acme-development")
    assert before is not None
    generation = before["metadata"]["generation"]
    kubectl(sandbox, "patch", "awsip", "acme-development", "-n", NS, "--type=merge",
            "-p", '{"spec": {"displayName": "ACME development (renamed)"}}')  # fmt: skip
    after = sandbox.wait_for_provider(
        NS,
        "acme-development",
        lambda p: p["status"].get("observedGeneration") == generation + 1 and is_settled(p),
        what=f"a verdict for generation {generation + 1}",
    )
    assert after["metadata"]["generation"] == generation + 1
