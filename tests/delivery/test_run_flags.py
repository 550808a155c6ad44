"""The flags the chart (and the image's default CMD) pass are the flags `awsip run` accepts."""

from __future__ import annotations

import json
import re

import pytest

from awsip.cli import build_parser
from tests.delivery.delivery_helpers import ROOT, operator_container, render

SCENARIOS: dict[str, tuple[str, ...]] = {
    "defaults": (),
    "namespaced": ("watchNamespaces={team-a,team-b}",),
    "ha": ("highAvailability.enabled=true",),
    "ha-namespaced-verbose-text": (
        "highAvailability.enabled=true",
        "watchNamespaces={team-a}",
        "logLevel=verbose",
        "logFormat=text",
    ),
    "debug-no-metrics-tags": (
        "logLevel=debug",
        "metrics.enabled=false",
        "aws.sessionTags=true",
        "aws.workers=4",
        "aws.namespaceWorkers=3",
        "aws.policyCheckSeconds=2",
    ),
    "tenancy": ("tenancy.rules[0].name=a", "tenancy.rules[0].roleARNs[0]=*"),
}


def kubelet_expand(arg: str, env: dict[str, str]) -> str:
    """$(VAR) in container args is expanded by the kubelet from the container's environment."""
    return re.sub(r"\$\((\w+)\)", lambda m: env[m.group(1)], arg)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_chart_args_parse_with_awsip_run(name: str) -> None:
    values = SCENARIOS[name]
    container = operator_container(render(*values))
    env = {"AWSIP_PEERING_PRIORITY": "1"}  # the pod-index label of the second replica
    args = [kubelet_expand(arg, env) for arg in container["args"]]
    parsed, extra = build_parser().parse_known_args(["run", *args])
    assert extra == [], f"awsip run does not know {extra}"
    assert parsed.command == "run"
    assert parsed.liveness == "http://0.0.0.0:8080/healthz"
    ha = "highAvailability.enabled=true" in values
    assert parsed.standalone is (None if ha else True)
    assert parsed.peering == ("awsip" if ha else None)
    assert parsed.priority == (1 if ha else None)
    namespaced = [v for v in values if v.startswith("watchNamespaces=")]
    if namespaced:
        assert not parsed.all_namespaces
        assert parsed.namespaces == namespaced[0].split("=", 1)[1].strip("{}").split(",")
    else:
        assert parsed.all_namespaces and parsed.namespaces == []
    assert parsed.log_format == ("text" if "logFormat=text" in values else "json")
    assert parsed.verbose is ("logLevel=verbose" in values)
    assert parsed.debug is ("logLevel=debug" in values)
    assert parsed.metrics_port == (0 if "metrics.enabled=false" in values else 9090)
    assert parsed.session_tags is ("aws.sessionTags=true" in values)
    assert parsed.workers == (4 if "aws.workers=4" in values else 16)
    assert parsed.namespace_workers == (3 if "aws.namespaceWorkers=3" in values else None)
    assert parsed.policy_check_seconds == (2.0 if "aws.policyCheckSeconds=2" in values else 5.0)
    assert parsed.aws_calls_per_second == 0.0
    assert (parsed.sts_calls_per_second, parsed.account_calls_per_second) == (50.0, 10.0)
    tenancy = any(v.startswith("tenancy.rules") for v in values)
    assert parsed.tenancy_configmap == ("awsip-system/awsip-tenancy" if tenancy else None)


def test_image_default_command_parses_with_awsip_run() -> None:
    text = (ROOT / "Dockerfile").read_text()
    entrypoint = json.loads(re.search(r"^ENTRYPOINT (.+)$", text, re.M).group(1))  # type: ignore[union-attr]
    cmd = json.loads(re.search(r"^CMD (.+)$", text, re.M).group(1))  # type: ignore[union-attr]
    parsed, extra = build_parser().parse_known_args([*entrypoint[1:], *cmd])
    assert extra == []
    assert parsed.command == "run" and parsed.all_namespaces and parsed.standalone
