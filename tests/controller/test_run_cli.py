"""``awsip run``'s command line: Kopf's flags go to kopf.run, awsip's into the operator's config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kopf
import pytest

from awsip.cli import build_parser, main
from awsip.controller import handlers
from awsip.controller.config import OperatorConfig


@pytest.fixture()
def kopf_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[dict[str, Any]]:
    # awsip run checks its Kubernetes credentials before it starts Kopf: give it some.
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters: [{name: k, cluster: {server: 'http://127.0.0.1:1'}}]\n"
        "users: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n"
    )
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(kopf, "run", lambda **kwargs: calls.append(kwargs))
    monkeypatch.setattr("awsip.commands.run.configure_logs", lambda args: None)
    return calls


def test_flags_reach_kopf_and_the_operator(kopf_run: list[dict[str, Any]]) -> None:
    assert main(["run", "-A", "--standalone", "--liveness", "http://0.0.0.0:8080/healthz", "--peering", "awsip",
                 "--priority", "5", "--workers", "3", "--aws-calls-per-second", "2.5", "--session-tags",
                 "--sts-calls-per-second", "0", "--account-calls-per-second", "7",
                 "--metrics-port", "9090", "--log-format", "json", "--verbose"]) == 0  # fmt: skip
    (call,) = kopf_run
    config = call.pop("memo")[handlers.CONFIG_KEY]
    assert call == {
        "clusterwide": True,
        "namespaces": [],
        "standalone": True,
        "peering_name": "awsip",
        "priority": 5,
        "liveness_endpoint": "http://0.0.0.0:8080/healthz",
    }
    assert config == OperatorConfig(
        workers=3,
        aws_calls_per_second=2.5,
        sts_calls_per_second=0,
        account_calls_per_second=7,
        session_tags=True,
        metrics_port=9090,
    )


def test_defaults(kopf_run: list[dict[str, Any]]) -> None:
    assert main(["run", "-n", "team-a", "-n", "team-b"]) == 0
    (call,) = kopf_run
    assert call["namespaces"] == ["team-a", "team-b"] and call["clusterwide"] is False
    assert call["standalone"] is None and call["peering_name"] is None
    assert call["memo"][handlers.CONFIG_KEY] == OperatorConfig()


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "-A", "-n", "team-a"],
        ["run", "--workers", "0"],
        ["run", "--aws-calls-per-second", "-1"],
        ["run", "--sts-calls-per-second", "nan"],
        ["run", "--account-calls-per-second", "-0.5"],
        ["run", "--metrics-port", "70000"],
        ["run", "--log-format", "xml"],
    ],
)
def test_bad_flags_are_refused(argv: list[str], kopf_run: list[dict[str, Any]]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2 and kopf_run == []


def test_help_lists_every_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--help"])
    text = capsys.readouterr().out
    for flag in ("--all-namespaces", "--namespace", "--standalone", "--liveness", "--peering", "--priority",
                 "--verbose", "--debug", "--log-format", "--metrics-port", "--aws-calls-per-second", "--workers",
                 "--sts-calls-per-second", "--account-calls-per-second",
                 "--session-tags"):  # fmt: skip
        assert flag in text
