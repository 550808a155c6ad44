"""The Helm chart: lint, render, Kubernetes schemas, values schema, modes and flags."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.delivery.delivery_helpers import (
    CHART,
    CHART_CRD_FILE,
    CRD_FILE,
    KUBERNETES_VERSION,
    NAMESPACE,
    RELEASE,
    Doc,
    by_kind,
    helm,
    load_yaml,
    one,
    operator_container,
    pod_specs,
    render,
    restricted_violations,
    template,
    tool,
    workload,
)

#: Value sets that exercise every template branch; each must lint, render and validate.
SCENARIOS: dict[str, tuple[str, ...]] = {
    "defaults": (),
    "namespaced": ("watchNamespaces={team-a,team-b}",),
    "ha": ("highAvailability.enabled=true",),
    "ha-namespaced": ("highAvailability.enabled=true", "watchNamespaces={team-a,team-b}"),
    "everything": (
        "highAvailability.enabled=true",
        "highAvailability.replicas=3",
        "metrics.serviceMonitor.enabled=true",
        "serviceAccount.roleARN=arn:aws:iam::111122223333:role/awsip-operator",
        "aws.region=eu-central-1",
        "aws.sessionTags=true",
        "logLevel=debug",
        "logFormat=text",
        "image.digest=sha256:" + "a" * 64,
        "tenancy.rules[0].name=team-a",
        "tenancy.rules[0].namespaces[0]=team-a-*",
        "tenancy.rules[0].namespaceSelector.matchLabels.team=a",
        "tenancy.rules[0].roleARNs[0]=arn:aws:iam::111122223333:role/capa-*",
        "externalIDSecretRef.enabled=false",
        "podAnnotations.example\\.com/owner=platform",
        "networkPolicy.enabled=true",
        "networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.team=monitoring",
    ),
    "minimal": (
        "metrics.enabled=false",
        "tests.enabled=false",
        "serviceAccount.create=false",
        "serviceAccount.name=existing",
    ),
}


def custom_resource_schema(crd: Doc) -> Doc:
    schema: Doc = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def crds_by_kind() -> dict[tuple[str, str], Doc]:
    result = {}
    for path in sorted((CHART / "crds").glob("*.yaml")):
        for crd in load_yaml(path):
            for version in crd["spec"]["versions"]:
                result[(f"{crd['spec']['group']}/{version['name']}", crd["spec"]["names"]["kind"])] = crd
    return result


def validate(doc: Doc) -> None:
    """Validate one manifest: Kubernetes' own schemas (strict), the chart's CRDs, or ServiceMonitor rules."""
    key = (doc["apiVersion"], doc["kind"])
    custom = crds_by_kind()
    if key in custom:
        jsonschema.Draft202012Validator(custom_resource_schema(custom[key])).validate(doc)
        return
    if key == ("monitoring.coreos.com/v1", "ServiceMonitor"):
        # The Prometheus Operator's CRD is not available offline: check the fields we use.
        spec = doc["spec"]
        assert set(spec) <= {"namespaceSelector", "selector", "endpoints", "jobLabel"}, spec
        assert spec["selector"]["matchLabels"]
        for endpoint in spec["endpoints"]:
            assert set(endpoint) <= {"port", "path", "interval", "scrapeTimeout", "scheme"}, endpoint
        return
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_chart_lints(name: str) -> None:
    args = ["lint", "--strict", str(CHART), "--namespace", NAMESPACE]
    for value in SCENARIOS[name]:
        args += ["--set", value]
    result = helm(*args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_rendered_manifests_validate_against_kubernetes_schemas(name: str) -> None:
    docs = render(*SCENARIOS[name], extra=["--include-crds"])
    assert docs
    for doc in docs:
        try:
            validate(doc)
        except (jsonschema.ValidationError, kubernetes_validate.ValidationError) as error:
            pytest.fail(
                f"{doc['kind']}/{doc['metadata']['name']} ({name}): {error.message} at {list(error.path)}"
            )


def test_validation_catches_a_broken_manifest(default_docs: list[Doc]) -> None:
    """The schemas are strict: a misspelt field or a wrong type fails."""
    deployment = copy.deepcopy(workload(default_docs))
    deployment["spec"]["template"]["spec"]["containers"][0]["securityContex"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(deployment)
    service = copy.deepcopy(one(default_docs, "Service"))
    service["spec"]["ports"][0]["port"] = "nine thousand"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(service)


def test_every_object_is_namespaced_to_the_release_or_cluster_scoped() -> None:
    docs = render(*SCENARIOS["everything"])
    cluster_scoped = {"ClusterRole", "ClusterRoleBinding", "ClusterKopfPeering", "CustomResourceDefinition"}
    for doc in docs:
        if doc["kind"] in cluster_scoped:
            assert "namespace" not in doc["metadata"], doc["metadata"]
        else:
            assert doc["metadata"]["namespace"] == NAMESPACE, doc["metadata"]


def test_chart_crd_is_the_generated_crd() -> None:
    assert CHART_CRD_FILE.read_bytes() == CRD_FILE.read_bytes(), (
        "charts/awsip/crds/ is out of date: run `make crd` (it copies crds/ into the chart)"
    )


def test_crds_are_installed_from_the_crds_directory() -> None:
    with_crds = render(extra=["--include-crds"])
    names = {doc["metadata"]["name"] for doc in by_kind(with_crds, "CustomResourceDefinition")}
    assert names == {
        "awsinfrastructureproviders.infrastructure.awsip.io",
        "clusterkopfpeerings.kopf.dev",
        "kopfpeerings.kopf.dev",
    }
    assert not by_kind(render(), "CustomResourceDefinition"), "CRDs belong in crds/, not templates/"


# --- values.schema.json ---------------------------------------------------------------------


def test_values_schema_is_valid_and_accepts_the_defaults() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.Draft7Validator(schema).validate(yaml.safe_load((CHART / "values.yaml").read_text()))


BAD_VALUES = {
    "logLevel=loud": "/logLevel",
    "logFormat=xml": "/logFormat",
    "watchNamespaces={Team_A}": "/watchNamespaces/0",
    "highAvailability.replicas=1": "/highAvailability/replicas",
    "securityContext.allowPrivilegeEscalation=true": "/securityContext/allowPrivilegeEscalation",
    "securityContext.privileged=true": "/securityContext/privileged",
    "securityContext.capabilities.drop={NET_RAW}": "/securityContext/capabilities/drop",
    "securityContext.capabilities.add={NET_ADMIN}": "/securityContext/capabilities/add",
    "podSecurityContext.runAsNonRoot=false": "/podSecurityContext/runAsNonRoot",
    "image.digest=sha256:1234": "/image/digest",
    "image.tag=latest tag": "/image/tag",
    "image.pullPolicy=Sometimes": "/image/pullPolicy",
    "aws.workers=0": "/aws/workers",
    "aws.callsPerSecond=-1": "/aws/callsPerSecond",
    "aws.stsCallsPerSecond=-1": "/aws/stsCallsPerSecond",
    "aws.accountCallsPerSecond=20000": "/aws/accountCallsPerSecond",
    "aws.region=Europe": "/aws/region",
    "aws.sessionTags=yes": "/aws/sessionTags",
    "metrics.port=80": "/metrics/port",
    "metrics.serviceMonitor.interval=1 minute": "/metrics/serviceMonitor/interval",
    "serviceAccount.roleARN=arn:aws:iam::1234:role/x": "/serviceAccount/roleARN",
    "tenancy.rules[0].name=team-a": "/tenancy/rules/0",
    "tenancy.rules[0].accounts[0]=111122223333": "/tenancy/rules/0/accounts/0",
    "resources.limits.memory=lots": "/resources/limits/memory",
    "extraArgs={rm -rf}": "/extraArgs/0",
    "unknownKey=1": "additional properties 'unknownKey'",
    "highAvailability.enable=true": "additional properties 'enable'",
}


@pytest.mark.parametrize("value", sorted(BAD_VALUES))
def test_values_schema_rejects_bad_values(value: str) -> None:
    result = template(value)
    assert result.returncode != 0, f"helm accepted --set {value}"
    assert "values don't meet the specifications of the schema" in result.stderr
    assert BAD_VALUES[value] in result.stderr, result.stderr


def test_template_rejects_equal_metrics_and_liveness_ports() -> None:
    result = template("metrics.port=8080")
    assert result.returncode != 0
    assert "metrics.port and liveness.port must differ" in result.stderr


def test_serviceaccount_name_is_required_when_not_created() -> None:
    result = template("serviceAccount.create=false")
    assert result.returncode != 0
    assert "serviceAccount.name is required" in result.stderr


# --- the operator's workload ----------------------------------------------------------------


def test_default_install_is_one_standalone_replica_watching_all_namespaces(default_docs: list[Doc]) -> None:
    deployment = one(default_docs, "Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"]["type"] == "Recreate"
    args = operator_container(default_docs)["args"]
    assert args == [
        "--all-namespaces",
        "--standalone",
        "--liveness=http://0.0.0.0:8080/healthz",
        "--log-format=json",
        "--metrics-port=9090",
        "--sts-calls-per-second=50",
        "--account-calls-per-second=10",
        "--workers=16",
        "--policy-check-seconds=5",
    ]
    assert not [doc for doc in default_docs if doc["apiVersion"].startswith("kopf.dev/")]
    assert not by_kind(default_docs, "PodDisruptionBudget")


def test_high_availability_runs_two_peered_replicas_with_distinct_priorities() -> None:
    docs = render("highAvailability.enabled=true")
    statefulset = one(docs, "StatefulSet")
    assert not by_kind(docs, "Deployment")
    assert statefulset["spec"]["replicas"] == 2
    assert statefulset["spec"]["podManagementPolicy"] == "Parallel"
    container = operator_container(docs)
    assert "--peering=awsip" in container["args"]
    assert "--standalone" not in container["args"]
    # Kopf pauses every operator that sees a peer with its own priority: each replica gets its pod index.
    assert "--priority=$(AWSIP_PEERING_PRIORITY)" in container["args"]
    env = {e["name"]: e for e in container["env"]}
    assert env["AWSIP_PEERING_PRIORITY"]["valueFrom"]["fieldRef"]["fieldPath"] == (
        "metadata.labels['apps.kubernetes.io/pod-index']"
    )
    assert env["POD_ID"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    peering = one(docs, "ClusterKopfPeering")
    assert peering["apiVersion"] == "kopf.dev/v1"
    assert peering["metadata"]["name"] == "awsip"
    assert one(docs, "PodDisruptionBudget")["spec"]["maxUnavailable"] == 1
    anti = statefulset["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]
    assert anti["preferredDuringSchedulingIgnoredDuringExecution"]


def test_high_availability_in_listed_namespaces_peers_in_each_of_them() -> None:
    docs = render("highAvailability.enabled=true", "watchNamespaces={team-a,team-b}")
    assert not by_kind(docs, "ClusterKopfPeering")
    peerings = by_kind(docs, "KopfPeering")
    assert sorted(p["metadata"]["namespace"] for p in peerings) == ["team-a", "team-b"]
    assert {p["metadata"]["name"] for p in peerings} == {"awsip"}


def test_listed_namespaces_become_namespace_flags() -> None:
    args = operator_container(render("watchNamespaces={team-a,team-b}"))["args"]
    assert args[:2] == ["--namespace=team-a", "--namespace=team-b"]
    assert "--all-namespaces" not in args


@pytest.mark.parametrize(
    ("values", "present", "absent"),
    [
        (("logLevel=verbose",), ["--verbose"], ["--debug"]),
        (("logLevel=debug",), ["--debug"], ["--verbose"]),
        (("logLevel=info",), [], ["--verbose", "--debug"]),
        (("logFormat=text",), ["--log-format=text"], ["--log-format=json"]),
        (("metrics.enabled=false",), [], ["--metrics-port=9090"]),
        (("metrics.port=9100",), ["--metrics-port=9100"], []),
        (("aws.sessionTags=true",), ["--session-tags"], []),
        (("aws.callsPerSecond=20", "aws.workers=4"), ["--aws-calls-per-second=20", "--workers=4"], []),
        (("aws.callsPerSecond=0",), [], ["--aws-calls-per-second=0"]),
        (
            ("aws.stsCallsPerSecond=100", "aws.accountCallsPerSecond=5"),
            ["--sts-calls-per-second=100", "--account-calls-per-second=5"],
            ["--aws-calls-per-second=0"],
        ),
        (("liveness.port=8181",), ["--liveness=http://0.0.0.0:8181/healthz"], []),
        (
            ("aws.namespaceWorkers=2", "aws.policyCheckSeconds=2"),
            ["--namespace-workers=2", "--policy-check-seconds=2"],
            ["--policy-check-seconds=5"],
        ),
        (("aws.namespaceWorkers=0",), [], ["--namespace-workers=0"]),
        (("extraArgs={--priority=5}",), ["--priority=5"], []),
    ],
)
def test_values_become_awsip_run_flags(
    values: tuple[str, ...], present: list[str], absent: list[str]
) -> None:
    args = operator_container(render(*values))["args"]
    for flag in present:
        assert flag in args
    for flag in absent:
        assert flag not in args
    assert "--session-tags" in args if "aws.sessionTags=true" in values else "--session-tags" not in args


def test_fractional_call_rate() -> None:
    # --set reads 2.5 as a string (the schema rejects it); values files and --set-json keep numbers.
    args = operator_container(
        render(extra=["--set-json", "aws.callsPerSecond=2.5", "--set-json", "aws.accountCallsPerSecond=0.5"])
    )["args"]
    assert "--aws-calls-per-second=2.5" in args and "--account-calls-per-second=0.5" in args


def test_region_and_sts_endpoint_environment() -> None:
    env = {e["name"]: e.get("value") for e in operator_container(render("aws.region=eu-central-1"))["env"]}
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-central-1"
    assert env["AWS_STS_REGIONAL_ENDPOINTS"] == "regional"
    default_env = {e["name"] for e in operator_container(render())["env"]}
    assert "AWS_REGION" not in default_env


def test_image_reference(default_docs: list[Doc]) -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert operator_container(default_docs)["image"] == f"ghcr.io/awsip/awsip:{chart['appVersion']}"
    digest = "sha256:" + "b" * 64
    assert operator_container(render(f"image.digest={digest}"))["image"] == f"ghcr.io/awsip/awsip@{digest}"
    assert operator_container(render("image.tag=dev"))["image"] == "ghcr.io/awsip/awsip:dev"


def test_liveness_probe_targets_kopfs_endpoint(default_docs: list[Doc]) -> None:
    container = operator_container(default_docs)
    probe = container["livenessProbe"]["httpGet"]
    assert probe["path"] == "/healthz"
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports[probe["port"]] == 8080
    assert "--liveness=http://0.0.0.0:8080/healthz" in container["args"]


def test_resources_are_set(default_docs: list[Doc]) -> None:
    resources = operator_container(default_docs)["resources"]
    assert resources["requests"]["cpu"] and resources["requests"]["memory"]
    assert resources["limits"]["memory"]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_pod_meets_the_restricted_pod_security_standard(name: str) -> None:
    docs = render(*SCENARIOS[name])
    pods = list(pod_specs(docs))
    assert pods
    for where, pod in pods:
        assert restricted_violations(pod) == [], where


def test_pod_hardening_beyond_the_restricted_standard(default_docs: list[Doc]) -> None:
    pod = workload(default_docs)["spec"]["template"]["spec"]
    container = operator_container(default_docs)
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["automountServiceAccountToken"] is True  # the operator needs its API token...
    service_account = one(default_docs, "ServiceAccount")
    assert service_account["automountServiceAccountToken"] is False  # ...nothing else does
    assert pod["enableServiceLinks"] is False
    assert {v["name"] for v in pod["volumes"]} == {"tmp"}


def test_restricted_checker_catches_violations(default_docs: list[Doc]) -> None:
    pod = copy.deepcopy(workload(default_docs)["spec"]["template"]["spec"])
    pod["hostNetwork"] = True
    pod["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = True
    pod["containers"][0]["securityContext"]["capabilities"] = {"add": ["SYS_ADMIN"]}
    pod["volumes"].append({"name": "host", "hostPath": {"path": "/"}})
    assert len(restricted_violations(pod)) == 5


# --- service account, metrics, tenancy ------------------------------------------------------


def test_service_account_annotations_for_irsa() -> None:
    arn = "arn:aws:iam::111122223333:role/awsip-operator"
    docs = render(f"serviceAccount.roleARN={arn}", "serviceAccount.annotations.example\\.com/team=platform")
    annotations = one(docs, "ServiceAccount")["metadata"]["annotations"]
    assert annotations == {
        "eks.amazonaws.com/role-arn": arn,
        "eks.amazonaws.com/sts-regional-endpoints": "true",
        "example.com/team": "platform",
    }
    assert "annotations" not in one(render(), "ServiceAccount")["metadata"]


def test_existing_service_account_is_used_not_created() -> None:
    docs = render("serviceAccount.create=false", "serviceAccount.name=existing")
    assert not by_kind(docs, "ServiceAccount")
    assert workload(docs)["spec"]["template"]["spec"]["serviceAccountName"] == "existing"
    for binding in by_kind(docs, "ClusterRoleBinding"):
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "existing", "namespace": NAMESPACE}]


def test_metrics_service_selects_the_operator_and_servicemonitor_selects_the_service() -> None:
    docs = render("metrics.serviceMonitor.enabled=true", "metrics.serviceMonitor.labels.release=prometheus")
    service = one(docs, "Service")
    pod_labels = workload(docs)["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert service["spec"]["ports"] == [
        {"name": "metrics", "port": 9090, "targetPort": "metrics", "protocol": "TCP"}
    ]
    monitor = one(docs, "ServiceMonitor")
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    assert [e["port"] for e in monitor["spec"]["endpoints"]] == ["metrics"]
    container_ports = {p["name"] for p in operator_container(docs)["ports"]}
    assert "metrics" in container_ports


def test_metrics_off_means_no_service_and_no_port() -> None:
    docs = render("metrics.enabled=false", "metrics.serviceMonitor.enabled=true")
    assert not by_kind(docs, "Service")
    assert not by_kind(docs, "ServiceMonitor")
    assert "metrics" not in {p["name"] for p in operator_container(docs)["ports"]}


def test_tenancy_rules_render_a_configmap_and_the_flag(tmp_path: Path) -> None:
    rules: list[dict[str, Any]] = [
        {"name": "team-a", "namespaces": ["team-a", "team-a-*"], "accounts": ["011122223333"]},
        {
            "name": "platform",
            "namespaceSelector": {"matchLabels": {"tier": "platform"}},
            "roleARNs": ["arn:aws:iam::444455556666:role/capa-*"],
        },
    ]
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump({"tenancy": {"rules": rules}}))
    docs = render(extra=["-f", str(values)])
    configmap = one(docs, "ConfigMap")
    assert configmap["metadata"] == {**configmap["metadata"], "name": "awsip-tenancy", "namespace": NAMESPACE}
    assert set(configmap["data"]) == {"rules.yaml"}
    # The account ID keeps its leading zero: it must stay a string through Helm.
    assert yaml.safe_load(configmap["data"]["rules.yaml"]) == {"rules": rules}
    assert "--tenancy-configmap=awsip-system/awsip-tenancy" in operator_container(docs)["args"]
    # The operator watches the ConfigMap and applies new rules without a restart: a rules change
    # must not roll the pod (no checksum annotation on the pod template).
    annotations = workload(docs)["spec"]["template"]["metadata"]["annotations"]
    assert not any(key.startswith("checksum/") for key in annotations)


def test_no_tenancy_rules_no_configmap(default_docs: list[Doc]) -> None:
    assert not by_kind(default_docs, "ConfigMap")
    assert not any(a.startswith("--tenancy-configmap") for a in operator_container(default_docs)["args"])


# --- NOTES and helm test --------------------------------------------------------------------


def notes(*values: str) -> str:
    args = ["install", RELEASE, str(CHART), "--dry-run=client", "--namespace", NAMESPACE]
    for value in values:
        args += ["--set", value]
    result = helm(*args)
    assert result.returncode == 0, result.stderr
    return result.stdout.split("NOTES:", 1)[1]


def test_notes_explain_a_first_provider_and_how_to_wait_for_it() -> None:
    text = notes()
    assert "kind: AWSInfrastructureProvider" in text
    assert "kubectl wait --for=condition=Ready awsip/my-account -n default" in text
    assert "helm test awsip -n awsip-system" in text
    namespaced = notes("watchNamespaces={team-a}")
    assert "kubectl wait --for=condition=Ready awsip/my-account -n team-a" in namespaced
    assert "watching: team-a" in namespaced
    assert "cannot read Secrets" in notes("externalIDSecretRef.enabled=false")


def test_notes_example_provider_is_valid(crd: Doc) -> None:
    text = notes()
    block = text.split("cat <<'YAML' | kubectl apply -f -", 1)[1].split("YAML", 1)[0]
    provider = yaml.safe_load("\n".join(line[5:] for line in block.splitlines()))
    jsonschema.Draft202012Validator(custom_resource_schema(crd)).validate(provider)


def test_helm_test_hook_checks_the_installation(default_docs: list[Doc]) -> None:
    pod = one(default_docs, "Pod")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    spec = pod["spec"]
    assert spec["restartPolicy"] == "Never"
    assert spec["serviceAccountName"] == one(default_docs, "ServiceAccount")["metadata"]["name"]
    container = spec["containers"][0]
    assert container["image"] == operator_container(default_docs)["image"]
    assert container["command"] == ["python", "-c"]
    script = container["args"][0]
    compile(script, "helm-test", "exec")
    for check in (
        "list_custom_resource_definition",
        "Established",
        "list_cluster_custom_object",
        "METRICS_URL",
    ):
        assert check in script
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env == {
        "WATCH_NAMESPACES": "",
        "METRICS_URL": "http://awsip-metrics.awsip-system.svc:9090/metrics",
    }
    namespaced = one(render("watchNamespaces={team-a,team-b}", "metrics.enabled=false"), "Pod")
    assert {e["name"]: e["value"] for e in namespaced["spec"]["containers"][0]["env"]} == {
        "WATCH_NAMESPACES": "team-a team-b"
    }
    assert not by_kind(render("tests.enabled=false"), "Pod")


def test_a_missing_tool_fails_with_how_to_fetch_it() -> None:
    with pytest.raises(pytest.fail.Exception, match=r"run `make tools`"):
        tool("no-such-tool")
