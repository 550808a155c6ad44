"""Settings of one operator process (from ``awsip run``'s flags, or the sandbox)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OperatorConfig:
    #: Threads for the blocking boto3 calls: at most this many verifications run at once.
    workers: int = 16
    #: Global limit on AWS API calls per second (all providers together).
    aws_calls_per_second: float = 10.0
    #: Tag STS sessions with awsip:namespace / awsip:name.
    session_tags: bool = False
    #: Kubeconfig file; None: in-cluster service account, then $KUBECONFIG, then ~/.kube/config.
    kubeconfig: str | None = None
    #: Backoff after a transient failure (AWS unreachable, throttled): base, doubling up to the cap.
    retry_base_seconds: float = 5.0
    retry_max_seconds: float = 300.0
    #: Threads for the Kubernetes calls (status patches, events); separate from the AWS workers.
    kube_workers: int = 4
    #: Prometheus metrics on 0.0.0.0:PORT/metrics; 0 = off.
    metrics_port: int = 0
    metrics_address: str = "0.0.0.0"

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        if self.aws_calls_per_second <= 0:
            raise ValueError("aws_calls_per_second must be positive")
        if self.retry_base_seconds <= 0 or self.retry_max_seconds < self.retry_base_seconds:
            raise ValueError("retry_base_seconds must be positive and at most retry_max_seconds")
        if not 0 <= self.metrics_port <= 65535:
            raise ValueError("metrics_port must be a TCP port (0 = off)")
