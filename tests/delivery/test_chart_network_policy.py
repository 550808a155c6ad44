"""The chart's NetworkPolicy (issue 14, item 7): off by default; when on, only the metrics port,
only from the peers named and the chart's test pod, and never an ingress rule that admits all."""

from __future__ import annotations

from tests.delivery.delivery_helpers import CHART, by_kind, one, render, workload


def matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def test_there_is_none_by_default() -> None:
    assert by_kind(render(), "NetworkPolicy") == []


def test_only_the_metrics_port_from_the_named_peers_and_the_test_pod() -> None:
    docs = render(
        "networkPolicy.enabled=true",
        "networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.team=monitoring",
    )
    policy = one(docs, "NetworkPolicy")
    spec = policy["spec"]
    operator_labels = workload(docs)["spec"]["template"]["metadata"]["labels"]
    assert matches(spec["podSelector"]["matchLabels"], operator_labels)
    test_pod = next(
        d
        for d in by_kind(docs, "Pod")
        if d["metadata"]["labels"].get("app.kubernetes.io/component") == "test"
    )
    assert not matches(
        spec["podSelector"]["matchLabels"], test_pod["metadata"]["labels"]
    )  # it is not guarded
    assert spec["policyTypes"] == ["Ingress"]
    [rule] = spec["ingress"]
    assert rule["ports"] == [{"port": 9090, "protocol": "TCP"}]
    monitoring, tests = rule["from"]
    assert monitoring == {"namespaceSelector": {"matchLabels": {"team": "monitoring"}}}
    assert matches(tests["podSelector"]["matchLabels"], test_pod["metadata"]["labels"])


def test_no_peers_means_no_rule_not_a_rule_for_everyone() -> None:
    # An ingress rule without `from` admits every source: it must never be rendered.
    for values in (("tests.enabled=false",), ("metrics.enabled=false",)):
        policy = one(render("networkPolicy.enabled=true", *values), "NetworkPolicy")
        assert policy["spec"]["ingress"] == [], values


def test_extra_rules_are_appended_as_given() -> None:
    policy = one(
        render(
            "networkPolicy.enabled=true",
            "networkPolicy.extraIngress[0].ports[0].port=8080",
            "networkPolicy.extraIngress[0].from[0].ipBlock.cidr=10.0.0.0/8",
        ),
        "NetworkPolicy",
    )
    assert policy["spec"]["ingress"][-1] == {
        "ports": [{"port": 8080}],
        "from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}],
    }


def test_the_readme_says_what_awsip_may_read_and_the_minimum_kubernetes() -> None:
    readme = (CHART / "README.md").read_text()
    assert "1.28 or newer" in readme and "apps.kubernetes.io/pod-index" in readme
    assert "every Secret and every ConfigMap of the cluster" in readme
    assert "watchNamespaces: [team-a, team-b]" in readme
    assert "/metrics" in readme and "/healthz" in readme
    chart = (CHART / "Chart.yaml").read_text()
    assert 'kubeVersion: ">=1.28.0-0"' in chart
