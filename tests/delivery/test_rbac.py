"""The chart's RBAC grants what awsip and Kopf need, and nothing else."""

from __future__ import annotations

import pytest

from tests.delivery.delivery_helpers import NAMESPACE, Doc, Grant, allowed, by_kind, grants, render

SA = "awsip"
PROVIDERS = ("infrastructure.awsip.io", "awsinfrastructureproviders")
STATUS = ("infrastructure.awsip.io", "awsinfrastructureproviders/status")
TENANCY_CONFIGMAP = "awsip-tenancy"
IDENTITIES = ("infrastructure.cluster.x-k8s.io", "awsclusterroleidentities")
IDENTITY_VERBS = frozenset({"get", "list", "watch", "create", "update", "patch", "delete"})

#: Every (apiGroup, resource) the chart may ever grant, with the verbs it may grant on it.
CEILING: dict[tuple[str, str], frozenset[str]] = {
    PROVIDERS: frozenset({"get", "list", "watch", "patch"}),
    STATUS: frozenset({"get", "patch"}),
    ("", "events"): frozenset({"create"}),
    ("", "configmaps"): frozenset({"get", "list", "watch"}),
    ("", "secrets"): frozenset({"get"}),
    ("", "namespaces"): frozenset({"get", "list", "watch"}),
    ("apiextensions.k8s.io", "customresourcedefinitions"): frozenset({"list", "watch"}),
    ("kopf.dev", "kopfpeerings"): frozenset({"get", "list", "watch", "patch"}),
    ("kopf.dev", "clusterkopfpeerings"): frozenset({"get", "list", "watch", "patch"}),
    IDENTITIES: IDENTITY_VERBS,
}

SCENARIOS: dict[str, tuple[str, ...]] = {
    "defaults": (),
    "namespaced": ("watchNamespaces={team-a,team-b}",),
    "ha": ("highAvailability.enabled=true",),
    "ha-namespaced": ("highAvailability.enabled=true", "watchNamespaces={team-a,team-b}"),
    "no-secrets": ("externalIDSecretRef.enabled=false",),
    "tenancy": ("tenancy.rules[0].name=a", "tenancy.rules[0].roleARNs[0]=*"),
    "cluster-api": ("clusterAPI.roleIdentities.enabled=true",),
    "cluster-api-namespaced": ("clusterAPI.roleIdentities.enabled=true", "watchNamespaces={team-a}"),
    "tenancy-selector": (
        "tenancy.rules[0].name=a",
        "tenancy.rules[0].roleARNs[0]=*",
        "tenancy.rules[0].namespaceSelector.matchLabels.team=a",
    ),
}


def sa_grants(docs: list[Doc]) -> list[Grant]:
    return grants(docs, SA, NAMESPACE)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_no_rule_exceeds_the_ceiling(name: str) -> None:
    docs = render(*SCENARIOS[name])
    for role in by_kind(docs, "ClusterRole") + by_kind(docs, "Role"):
        for rule in role["rules"]:
            assert "nonResourceURLs" not in rule
            assert (
                "*" not in rule["verbs"] and "*" not in rule["resources"] and "*" not in rule["apiGroups"]
            ), rule
            for group in rule["apiGroups"]:
                for resource in rule["resources"]:
                    ceiling = CEILING.get((group, resource))
                    assert ceiling is not None, f"{role['metadata']['name']} grants {group}/{resource}"
                    assert set(rule["verbs"]) <= ceiling, f"{role['metadata']['name']}: {rule}"
    assert not by_kind(docs, "ClusterRole") or sa_grants(docs)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_bindings_name_only_the_operators_service_account(name: str) -> None:
    docs = render(*SCENARIOS[name])
    roles = {doc["metadata"]["name"] for doc in by_kind(docs, "ClusterRole") + by_kind(docs, "Role")}
    for binding in by_kind(docs, "ClusterRoleBinding") + by_kind(docs, "RoleBinding"):
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": SA, "namespace": NAMESPACE}]
        assert binding["roleRef"]["name"] in roles, "bindings refer only to the chart's own roles"
        assert binding["roleRef"]["name"] not in ("cluster-admin", "admin", "edit", "view")


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_nothing_is_created_updated_or_deleted_except_events(name: str) -> None:
    g = sa_grants(render(*SCENARIOS[name]))
    for grant in g:
        writes = grant.verbs & {
            "create",
            "update",
            "delete",
            "deletecollection",
            "escalate",
            "bind",
            "impersonate",
        }
        if writes and (grant.api_group, grant.resource) == IDENTITIES:
            # CAPA's identities, with clusterAPI.roleIdentities.enabled only (see below).
            assert name.startswith("cluster-api"), grant
        elif writes:
            assert (grant.api_group, grant.resource, writes) == ("", "events", frozenset({"create"})), grant


def test_default_permissions_cluster_wide() -> None:
    g = sa_grants(render())
    for verb in ("get", "list", "watch", "patch"):
        assert allowed(g, verb, *PROVIDERS, namespace="any-namespace")
    assert allowed(g, "patch", *STATUS, namespace="any-namespace")
    assert not allowed(g, "update", *PROVIDERS, namespace="any-namespace")
    assert not allowed(g, "delete", *PROVIDERS, namespace="any-namespace")
    assert not allowed(g, "create", *PROVIDERS, namespace="any-namespace")
    assert allowed(g, "create", "", "events", namespace="any-namespace")
    assert allowed(g, "get", "", "configmaps", namespace="any-namespace", name="policy")
    assert allowed(g, "get", "", "secrets", namespace="any-namespace", name="external-id")
    # Secrets and ConfigMaps are read by name only: no enumerating or watching them.
    for verb in ("list", "watch"):
        assert not allowed(g, verb, "", "secrets", namespace="any-namespace")
        assert not allowed(g, verb, "", "configmaps", namespace="any-namespace")
    # Kopf's discovery.
    assert allowed(g, "list", "apiextensions.k8s.io", "customresourcedefinitions")
    assert allowed(g, "watch", "apiextensions.k8s.io", "customresourcedefinitions")
    assert not allowed(g, "get", "apiextensions.k8s.io", "customresourcedefinitions")
    # Cluster-wide mode does not need namespaces; standalone mode does not need peering.
    assert not allowed(g, "list", "", "namespaces")
    assert not allowed(g, "list", "kopf.dev", "clusterkopfpeerings")
    assert not allowed(g, "list", "kopf.dev", "kopfpeerings", namespace=NAMESPACE)
    # Nothing else.
    assert not allowed(g, "get", "", "pods", namespace=NAMESPACE)
    assert not allowed(g, "get", "", "serviceaccounts", namespace=NAMESPACE)
    assert not allowed(g, "get", "rbac.authorization.k8s.io", "clusterroles")


@pytest.mark.parametrize("name", ["cluster-api", "cluster-api-namespaced"])
def test_cluster_api_identities_are_granted_cluster_wide_only_when_enabled(name: str) -> None:
    g = sa_grants(render(*SCENARIOS[name]))
    for verb in IDENTITY_VERBS:
        assert allowed(g, verb, *IDENTITIES, name="team-a-prod"), verb  # cluster-scoped objects
    assert not allowed(g, "deletecollection", *IDENTITIES)
    # Nothing else of Cluster API.
    assert not allowed(g, "get", "infrastructure.cluster.x-k8s.io", "awsclusters", namespace="team-a")
    assert not allowed(g, "get", "infrastructure.cluster.x-k8s.io", "awsclusterstaticidentities")
    for off in ((), ("watchNamespaces={team-a}",)):
        assert not any(grant.resource == IDENTITIES[1] for grant in sa_grants(render(*off)))


def test_the_flag_follows_the_value() -> None:
    def args(*values: str) -> list[str]:
        (workload,) = [d for d in render(*values) if d["kind"] in ("Deployment", "StatefulSet")]
        return list(workload["spec"]["template"]["spec"]["containers"][0]["args"])

    assert "--cluster-api-identities" in args("clusterAPI.roleIdentities.enabled=true")
    assert "--cluster-api-identities" not in args()


def test_secrets_only_when_externalidsecretref_is_enabled() -> None:
    g = sa_grants(render("externalIDSecretRef.enabled=false"))
    assert not any(grant.resource == "secrets" for grant in g)
    assert not allowed(g, "get", "", "secrets", namespace="team-a", name="external-id")


def test_listed_namespaces_get_namespaced_permissions_only() -> None:
    docs = render("watchNamespaces={team-a,team-b}")
    g = sa_grants(docs)
    for ns in ("team-a", "team-b"):
        assert allowed(g, "watch", *PROVIDERS, namespace=ns)
        assert allowed(g, "patch", *STATUS, namespace=ns)
        assert allowed(g, "create", "", "events", namespace=ns)
        assert allowed(g, "get", "", "secrets", namespace=ns, name="external-id")
        assert allowed(g, "get", "", "configmaps", namespace=ns, name="policy")
    for ns in ("kube-system", "team-c", NAMESPACE):
        assert not allowed(g, "list", *PROVIDERS, namespace=ns)
        assert not allowed(g, "get", "", "secrets", namespace=ns, name="external-id")
        assert not allowed(g, "get", "", "configmaps", namespace=ns, name="policy")
    # Kopf follows the listed namespaces (it lists namespaces even for exact names).
    assert allowed(g, "list", "", "namespaces")
    assert allowed(g, "watch", "", "namespaces")
    bindings = by_kind(docs, "RoleBinding")
    assert sorted(b["metadata"]["namespace"] for b in bindings) == ["team-a", "team-b"]
    assert [b["roleRef"]["name"] for b in by_kind(docs, "ClusterRoleBinding")] == ["awsip-discovery"]


def test_peering_permissions_only_with_high_availability() -> None:
    g = sa_grants(render("highAvailability.enabled=true"))
    assert allowed(g, "list", "kopf.dev", "clusterkopfpeerings")
    assert allowed(g, "watch", "kopf.dev", "clusterkopfpeerings")
    assert allowed(g, "patch", "kopf.dev", "clusterkopfpeerings", name="awsip")
    assert not allowed(g, "patch", "kopf.dev", "clusterkopfpeerings", name="another-operator")
    assert not allowed(g, "list", "kopf.dev", "kopfpeerings", namespace="team-a")

    g = sa_grants(render("highAvailability.enabled=true", "watchNamespaces={team-a}"))
    assert allowed(g, "watch", "kopf.dev", "kopfpeerings", namespace="team-a")
    assert allowed(g, "patch", "kopf.dev", "kopfpeerings", namespace="team-a", name="awsip")
    assert not allowed(g, "patch", "kopf.dev", "kopfpeerings", namespace="team-a", name="other")
    assert not allowed(g, "watch", "kopf.dev", "kopfpeerings", namespace="team-b")
    assert not allowed(g, "list", "kopf.dev", "clusterkopfpeerings")


def test_tenancy_configmap_is_readable_and_nothing_else_in_the_release_namespace() -> None:
    g = sa_grants(render(*SCENARIOS["tenancy"], "watchNamespaces={team-a}"))
    for verb in ("get", "list", "watch"):
        assert allowed(g, verb, "", "configmaps", namespace=NAMESPACE, name=TENANCY_CONFIGMAP)
        assert not allowed(g, verb, "", "configmaps", namespace=NAMESPACE, name="other")
    assert not allowed(g, "list", "", "configmaps", namespace=NAMESPACE)
    assert not allowed(g, "update", "", "configmaps", namespace=NAMESPACE, name=TENANCY_CONFIGMAP)
    # Warning events about invalid rules go on the ConfigMap, in a namespace awsip does not watch.
    assert allowed(g, "create", "", "events", namespace=NAMESPACE)
    assert not allowed(g, "create", "", "events", namespace="team-b")


def test_namespace_labels_are_readable_only_for_namespace_selector_rules() -> None:
    assert not allowed(sa_grants(render(*SCENARIOS["tenancy"])), "get", "", "namespaces", name="team-a")
    g = sa_grants(render(*SCENARIOS["tenancy-selector"]))
    assert allowed(g, "get", "", "namespaces", name="team-a")


def test_no_tenancy_rules_no_tenancy_role() -> None:
    docs = render("watchNamespaces={team-a}")
    assert not by_kind(docs, "Role")
    g = sa_grants(docs)
    assert not allowed(g, "get", "", "configmaps", namespace=NAMESPACE, name=TENANCY_CONFIGMAP)
    assert not allowed(g, "watch", "", "configmaps", namespace="team-a")


def test_rbac_can_be_left_to_the_user() -> None:
    docs = render("rbac.create=false")
    kinds = {doc["kind"] for doc in docs}
    assert not kinds & {"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}


def test_evaluator_sees_wildcards() -> None:
    """The evaluator is not vacuous: a wildcard rule would be caught as allowing everything."""
    wide = [Grant(None, "*", "*", frozenset({"*"}), frozenset(), "ClusterRole/x")]
    assert allowed(wide, "delete", "", "secrets", namespace="kube-system", name="anything")
