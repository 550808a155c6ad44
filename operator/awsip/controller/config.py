"""Settings of one operator process (from ``awsip run``'s flags, or the sandbox)."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class OperatorConfig:
    #: Threads for the blocking boto3 calls: at most this many verifications run at once.
    workers: int = 16
    #: At most this many of them for one namespace at once (0: an eighth of ``workers``, at least
    #: one), so that one namespace cannot hold every worker (see controller/fair_share.py).
    namespace_workers: int = 0
    #: CPU seconds the policy engine may spend in one verification (and four times as many
    #: seconds of wall time): see verification/work_budget.py.
    policy_check_seconds: float = 5.0
    #: The operator's own STS calls per second, per Region (0 = no limit).
    sts_calls_per_second: float = 50.0
    #: AWS calls per second in each account: IAM reads, SimulatePrincipalPolicy (0 = no limit).
    account_calls_per_second: float = 10.0
    #: Optional global cap on AWS calls per second, all accounts together (0 = none).
    aws_calls_per_second: float = 0.0
    #: Tag STS sessions with awsip:namespace / awsip:name.
    session_tags: bool = False
    #: Kubeconfig file; None: in-cluster service account, then $KUBECONFIG, then ~/.kube/config.
    kubeconfig: str | None = None
    #: A verification that takes longer than this (seconds, from when it starts running; from when
    #: it is due if the status shows a verdict for an older spec) first gets the Reconciling status;
    #: quicker ones go straight to their verdict, with one status patch.
    reconciling_delay_seconds: float = 2.0
    #: Backoff after a transient failure (AWS unreachable, throttled): base, doubling up to the cap.
    retry_base_seconds: float = 5.0
    retry_max_seconds: float = 300.0
    #: Threads for the Kubernetes calls (status patches, events); separate from the AWS workers.
    kube_workers: int = 4
    #: Prometheus metrics on 0.0.0.0:PORT/metrics; 0 = off.
    metrics_port: int = 0
    metrics_address: str = "0.0.0.0"
    #: The tenancy rules: "NAMESPACE/NAME" of a ConfigMap with the key rules.yaml; None: no rules.
    tenancy_configmap: str | None = None
    #: Create and own CAPA AWSClusterRoleIdentity objects for providers that ask for one
    #: (spec.clusterAPI.roleIdentity); needs RBAC on awsclusterroleidentities (the chart's
    #: clusterAPI.roleIdentities.enabled).
    cluster_api_identities: bool = False

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        if self.namespace_workers < 0:
            raise ValueError("namespace_workers must be 0 (an eighth of workers) or positive")
        if not self.policy_check_seconds > 0:
            raise ValueError("policy_check_seconds must be positive")
        for name in ("sts_calls_per_second", "account_calls_per_second", "aws_calls_per_second"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be 0 (no limit) or positive")
        if self.reconciling_delay_seconds < 0:
            raise ValueError("reconciling_delay_seconds must not be negative")
        if self.retry_base_seconds <= 0 or self.retry_max_seconds < self.retry_base_seconds:
            raise ValueError("retry_base_seconds must be positive and at most retry_max_seconds")
        if not 0 <= self.metrics_port <= 65535:
            raise ValueError("metrics_port must be a TCP port (0 = off)")
        if self.tenancy_configmap is not None:
            split_namespaced_name(self.tenancy_configmap)

    @property
    def namespace_share(self) -> int:
        """How many verifications one namespace may run at once."""
        share = self.namespace_workers or max(1, self.workers // 8)
        return min(share, self.workers)


#: A DNS-1123 label (namespaces) and subdomain (ConfigMap names), as the API server checks them.
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def split_namespaced_name(text: str) -> tuple[str, str]:
    """``"NAMESPACE/NAME"`` -> ``(namespace, name)``; ValueError when it is not one."""
    namespace, slash, name = text.partition("/")
    if not slash or not _DNS_LABEL.fullmatch(namespace) or not _DNS_SUBDOMAIN.fullmatch(name):
        raise ValueError(f"expected NAMESPACE/NAME of a ConfigMap, not {text[:300]!r}")
    return namespace, name
