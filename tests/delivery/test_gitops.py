"""GitOps health: the Argo CD Lua health check, kstatus (Flux) and Flux's healthCheckExprs.

The sample objects live in gitops/argocd/.../testdata (Argo CD's own layout for health-check
tests). They are hand-written after docs/architecture.md and the condition vocabulary of
awsip.api.condition_reasons; each is validated against the CRD's schema and the pydantic status
model, so they stay objects the operator could write.
"""

from __future__ import annotations

import importlib
import subprocess
from pathlib import Path
from typing import Any, cast

import celpy
import jsonschema
import pytest
import yaml
from celpy.adapter import json_to_cel
from celpy.evaluation import CELEvalError

from awsip.api.condition_reasons import ConditionType, find_condition
from awsip.api.v1alpha1 import AWSInfrastructureProvider, AWSInfrastructureProviderStatus
from tests.delivery.delivery_helpers import DEPLOY, GITOPS, Doc, load_yaml, tool

HEALTH_DIR = GITOPS / "argocd" / "infrastructure.awsip.io" / "AWSInfrastructureProvider"
HEALTH_LUA = HEALTH_DIR / "health.lua"
TESTDATA = HEALTH_DIR / "testdata"
FLUX = GITOPS / "flux" / "awsip.yaml"

#: Ready reasons after which nothing changes until someone fixes the role, the spec or the operator.
TERMINAL_READY_REASONS = (
    "AccessDenied",
    "MissingPermissions",
    "WildcardPrincipal",
    "ExternalIDNotEnforced",
    "ExternalIDSecretNotFound",
    "InvalidSpec",
    "NotPermitted",
    "OperatorCredentialsUnavailable",
    "RequiredPolicyInvalid",
    "RoleNotFound",
    "AssumeRoleRejected",
    "InvalidExternalID",
    "InvalidRequiredPolicy",
    "PolicyConfigMapNotFound",
    "PolicyCheckTooCostly",
)

#: Samples that follow the operator's status contract (kstatus-compatible). The other two show what
#: the health checks do without it: no status at all yet, and a terminal Ready without Stalled.
CONTRACT_SAMPLES = (
    "verifying",
    "ready",
    "ready-reverifying",
    "missing-permissions",
    "wildcard-principal",
    "transient-error",
    "spec-changed",
    "missing-permissions-retrying",
)


def sample(name: str) -> Doc:
    doc: Doc = yaml.safe_load((TESTDATA / f"{name}.yaml").read_text())
    return doc


def all_samples() -> list[str]:
    return sorted(path.stem for path in TESTDATA.glob("*.yaml"))


def crd_schema() -> Doc:
    crd = load_yaml(
        Path(__file__).resolve().parents[2]
        / "crds"
        / "awsinfrastructureproviders.infrastructure.awsip.io.yaml"
    )
    schema: Doc = crd[0]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def condition(obj: Doc, kind: str) -> Doc | None:
    """The object's own condition (not a copy: tests edit it in place), or None."""
    return cast(Doc | None, find_condition(obj.get("status"), kind))


# --- the samples ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", all_samples())
def test_samples_are_objects_the_api_accepts(name: str) -> None:
    obj = sample(name)
    jsonschema.Draft202012Validator(crd_schema()).validate(obj)
    AWSInfrastructureProvider.model_validate(obj)
    if "status" in obj:
        AWSInfrastructureProviderStatus.model_validate(obj["status"])
        for cond in obj["status"]["conditions"]:
            assert cond["type"] in ConditionType.ALL


def contract_violations(obj: Doc) -> list[str]:
    """What the operator promises about every status it writes, for kstatus and Argo CD alike."""
    problems = []
    status = obj.get("status")
    if status is None:
        return ["no status"]
    if status.get("observedGeneration") is None:
        problems.append("no observedGeneration")
    ready, reconciling, stalled = (condition(obj, t) for t in ("Ready", "Reconciling", "Stalled"))
    if ready is None:
        problems.append("no Ready condition")
    if ready is not None and ready["status"] != "True":
        truthy = [c for c in (reconciling, stalled) if c is not None and c["status"] == "True"]
        if len(truthy) != 1:
            problems.append("Ready is not True, so exactly one of Reconciling and Stalled must be True")
    if reconciling and stalled and reconciling["status"] == stalled["status"] == "True":
        problems.append("Reconciling and Stalled are both True")
    if (
        ready is not None
        and ready["status"] == "True"
        and stalled is not None
        and stalled["status"] == "True"
    ):
        problems.append("Ready and Stalled are both True")
    return problems


@pytest.mark.parametrize("name", CONTRACT_SAMPLES)
def test_contract_samples_follow_the_status_contract(name: str) -> None:
    assert contract_violations(sample(name)) == []


def test_contract_check_catches_a_terminal_ready_without_stalled() -> None:
    assert contract_violations(sample("access-denied-without-stalled")) != []
    assert contract_violations(sample("no-status")) == ["no status"]


# --- Argo CD: health.lua, run as Argo CD runs it ----------------------------------------------


def to_lua(runtime: Any, value: Any) -> Any:
    """Python -> Lua as Argo CD converts JSON: objects and arrays become tables, numbers are floats."""
    if isinstance(value, dict):
        return runtime.table_from({k: to_lua(runtime, v) for k, v in value.items()})
    if isinstance(value, list):
        return runtime.table_from([to_lua(runtime, v) for v in value])
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def argocd_health(obj: Doc, lua_module: str = "lupa.lua51") -> dict[str, str]:
    """Evaluate health.lua for obj. Argo CD uses gopher-lua (Lua 5.1 semantics)."""
    lupa = importlib.import_module(lua_module)
    runtime = lupa.LuaRuntime(unpack_returned_tuples=True)
    runtime.globals().obj = to_lua(runtime, obj)
    result = runtime.execute(HEALTH_LUA.read_text())
    return {key: result[key] for key in ("status", "message") if result[key] is not None}


HEALTH_CASES = yaml.safe_load((HEALTH_DIR / "health_test.yaml").read_text())["tests"]


@pytest.mark.parametrize("lua_module", ["lupa.lua51", "lupa.lua54"])
@pytest.mark.parametrize("case", HEALTH_CASES, ids=[Path(c["inputPath"]).stem for c in HEALTH_CASES])
def test_argocd_health_check(case: Doc, lua_module: str) -> None:
    obj = yaml.safe_load((HEALTH_DIR / case["inputPath"]).read_text())
    assert argocd_health(obj, lua_module) == case["healthStatus"]


def test_every_sample_has_an_argocd_expectation() -> None:
    assert sorted(Path(c["inputPath"]).stem for c in HEALTH_CASES) == all_samples()


@pytest.mark.parametrize("reason", TERMINAL_READY_REASONS)
def test_terminal_ready_reasons_are_degraded_even_without_stalled(reason: str) -> None:
    obj = sample("access-denied-without-stalled")
    ready = condition(obj, "Ready")
    assert ready is not None
    ready["reason"] = reason
    assert argocd_health(obj)["status"] == "Degraded"


def test_other_ready_false_reasons_are_progressing() -> None:
    obj = sample("access-denied-without-stalled")
    ready = condition(obj, "Ready")
    assert ready is not None
    ready["reason"] = "Throttled"
    assert argocd_health(obj) == {
        "status": "Progressing",
        "message": "Throttled: sts:AssumeRole was denied: the role's trust policy does not trust the operator's role.",
    }


def test_stalled_wins_over_anything_else() -> None:
    obj = sample("transient-error")
    stalled = condition(obj, "Stalled")
    assert stalled is not None
    stalled.update(
        status="True", reason="InvalidSpec", message="spec.region does not match the role's partition"
    )
    reconciling = condition(obj, "Reconciling")
    assert reconciling is not None
    reconciling["status"] = "False"
    health = argocd_health(obj)
    assert health["status"] == "Degraded"


def test_health_check_tolerates_sparse_objects() -> None:
    assert argocd_health({"metadata": {}, "status": {}})["status"] == "Progressing"
    assert argocd_health({"metadata": {}, "status": {"conditions": []}})["status"] == "Progressing"
    bare = {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    assert argocd_health(bare) == {"status": "Healthy", "message": "Ready"}


def test_argocd_cm_embeds_the_same_lua() -> None:
    cm = load_yaml(GITOPS / "argocd" / "argocd-cm.yaml")[0]
    assert (cm["kind"], cm["metadata"]["name"], cm["metadata"]["namespace"]) == (
        "ConfigMap",
        "argocd-cm",
        "argocd",
    )
    key = "resource.customizations.health.infrastructure.awsip.io_AWSInfrastructureProvider"
    assert cm["data"][key] == HEALTH_LUA.read_text()


def test_argocd_application_points_at_the_chart() -> None:
    apps = {doc["metadata"]["name"]: doc for doc in load_yaml(GITOPS / "argocd" / "application.yaml")}
    source = apps["awsip"]["spec"]["source"]
    assert source["path"] == "charts/awsip"
    assert (Path(__file__).resolve().parents[2] / source["path"] / "Chart.yaml").exists()
    assert source["helm"]["valuesObject"]["tests"] == {"enabled": False}


# --- kstatus (Flux, kpt, cli-utils): a reimplementation of its documented generic rules -------


def kstatus(obj: Doc) -> tuple[str, str]:
    """sigs.k8s.io/cli-utils/pkg/kstatus/status.Compute for a custom resource (no type-specific rules).

    1. metadata.deletionTimestamp set -> Terminating.
    2. status.observedGeneration present and != metadata.generation -> InProgress.
    3. a Reconciling condition with status True -> InProgress; a Stalled one with True -> Failed
       (checked in the order of the conditions).
    4. a Ready condition: True -> Current; False or Unknown -> InProgress (its reason's message).
    5. otherwise -> Current (absent known conditions mean done).

    tests/kubernetes_real/test_real_gitops.py checks this reading against the library itself (it
    found rule 4, which an earlier reading of the documentation had missed).
    """
    meta = obj.get("metadata", {})
    if meta.get("deletionTimestamp"):
        return "Terminating", "Resource scheduled for deletion"
    status = obj.get("status") or {}
    generation, observed = meta.get("generation"), status.get("observedGeneration")
    if generation is not None and observed is not None and observed != generation:
        return (
            "InProgress",
            f"{obj['kind']} generation is {generation}, but latest observed generation is {observed}",
        )
    for cond in status.get("conditions", []):
        if cond["type"] == "Reconciling" and cond["status"] == "True":
            return "InProgress", cond.get("message", "")
        if cond["type"] == "Stalled" and cond["status"] == "True":
            return "Failed", cond.get("message", "")
    for cond in status.get("conditions", []):
        if cond["type"] == "Ready" and cond["status"] == "True":
            return "Current", "Resource is Ready"
        if cond["type"] == "Ready" and cond["status"] in ("False", "Unknown"):
            return "InProgress", cond.get("message", "")
    return "Current", "Resource is current"


#: What each sample means; kstatus must agree for every status that follows the contract.
KSTATUS_EXPECTED = {
    "verifying": "InProgress",
    "ready": "Current",
    "ready-reverifying": "InProgress",
    "missing-permissions": "Failed",
    "wildcard-principal": "Failed",
    "transient-error": "InProgress",
    "spec-changed": "InProgress",
    "missing-permissions-retrying": "InProgress",
}


@pytest.mark.parametrize("name", CONTRACT_SAMPLES)
def test_kstatus_reads_the_operators_statuses(name: str) -> None:
    obj = sample(name)
    result, _ = kstatus(obj)
    assert result == KSTATUS_EXPECTED[name]
    ready = condition(obj, "Ready")
    assert ready is not None
    # Ready=True at the current generation is Current; a terminal verdict (Stalled) is Failed.
    at_current_generation = obj["status"]["observedGeneration"] == obj["metadata"]["generation"]
    reconciling = condition(obj, "Reconciling")
    if (
        ready["status"] == "True"
        and at_current_generation
        and not (reconciling and reconciling["status"] == "True")
    ):
        assert result == "Current"
    stalled = condition(obj, "Stalled")
    if ready["reason"] in TERMINAL_READY_REASONS and stalled is not None and stalled["status"] == "True":
        assert result == "Failed"


def test_kstatus_is_current_only_when_ready() -> None:
    """Across every contract sample: Current <=> Ready=True, so Flux never passes an unverified role."""
    for name in CONTRACT_SAMPLES:
        obj = sample(name)
        ready = condition(obj, "Ready")
        assert ready is not None
        if kstatus(obj)[0] == "Current":
            assert ready["status"] == "True", name


def test_kstatus_alone_passes_what_the_contract_forbids() -> None:
    """Why the operator must set Reconciling/Stalled, and why the Flux example adds healthCheckExprs."""
    # Without Stalled, a terminal Ready=False is InProgress for ever (never Failed), and an object
    # without any status yet is Current before awsip has looked at it.
    assert kstatus(sample("access-denied-without-stalled"))[0] == "InProgress"
    assert kstatus(sample("no-status"))[0] == "Current"


def test_kstatus_terminating() -> None:
    obj = sample("ready")
    obj["metadata"]["deletionTimestamp"] = "2026-01-10T11:00:00Z"
    assert kstatus(obj)[0] == "Terminating"


# --- Flux: healthCheckExprs, evaluated as kustomize-controller does (RFC-0009) ----------------


def flux_documents() -> list[Doc]:
    return load_yaml(FLUX)


def flux_kustomization(name: str) -> Doc:
    for doc in flux_documents():
        if doc["kind"] == "Kustomization" and doc["metadata"]["name"] == name:
            return doc
    raise AssertionError(f"no Flux Kustomization {name}")


def flux_cel_status(obj: Doc, exprs: Doc) -> str:
    """fluxcd/pkg/runtime/cel StatusEvaluator: generation check, then inProgress, failed, current.

    The object's top-level fields are the CEL variables. An evaluation error (a field the object
    does not have yet) leaves the resource Unknown: not Current, so Flux keeps waiting.
    """
    observed = obj.get("status", {}).get("observedGeneration")
    if observed is not None and observed != obj["metadata"].get("generation"):
        return "InProgress"
    env = celpy.Environment()
    activation = {key: json_to_cel(value) for key, value in obj.items()}
    for key, result in (("inProgress", "InProgress"), ("failed", "Failed"), ("current", "Current")):
        if key not in exprs:
            continue
        try:
            value: Any = env.program(env.compile(exprs[key])).evaluate(activation)
        except CELEvalError:
            return "Unknown"
        if isinstance(value, CELEvalError):
            return "Unknown"
        if bool(value):
            return result
    return "InProgress"


FLUX_EXPECTED = {**KSTATUS_EXPECTED, "no-status": "Unknown", "access-denied-without-stalled": "InProgress"}


@pytest.mark.parametrize("name", all_samples())
def test_flux_health_check_expressions(name: str) -> None:
    providers = flux_kustomization("awsip-providers")
    [exprs] = [e for e in providers["spec"]["healthCheckExprs"] if e["kind"] == "AWSInfrastructureProvider"]
    assert exprs["apiVersion"] == "infrastructure.awsip.io/v1alpha1"
    assert flux_cel_status(sample(name), exprs) == FLUX_EXPECTED[name]


def test_flux_installs_deploy_and_waits_for_it() -> None:
    operator = flux_kustomization("awsip")
    spec = operator["spec"]
    assert spec["path"] == "./deploy" and (DEPLOY / "kustomization.yaml").exists()
    assert spec["wait"] is True and spec["prune"] is True
    installed = load_yaml(DEPLOY / "install.yaml")
    images = {
        c["image"].rsplit(":", 1)[0]
        for d in installed
        if d["kind"] == "Deployment"
        for c in d["spec"]["template"]["spec"]["containers"]
    }
    assert {i["name"] for i in spec["images"]} == images
    service_accounts = {d["metadata"]["name"] for d in installed if d["kind"] == "ServiceAccount"}
    for patch in spec["patches"]:
        assert patch["target"]["name"] in service_accounts


def test_flux_gates_the_providers_on_their_health() -> None:
    providers = flux_kustomization("awsip-providers")
    spec = providers["spec"]
    assert spec["dependsOn"] == [{"name": "awsip"}]
    assert "wait" not in spec, "wait: true would make Flux ignore healthChecks"
    result = subprocess.run(
        [str(tool("kubectl")), "kustomize", str(GITOPS / "flux" / "providers")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    objects = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    checked = {(c["apiVersion"], c["kind"], c["namespace"], c["name"]) for c in spec["healthChecks"]}
    present = {
        (o["apiVersion"], o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]) for o in objects
    }
    assert checked == present
    for obj in objects:
        jsonschema.Draft202012Validator(crd_schema()).validate(obj)
        AWSInfrastructureProvider.model_validate(obj)
