"""Observability of the operator: Prometheus metrics and structured logs with secrets masked.

Wiring (one line per call site):

* ``awsip run``: ``configure_logging(args.log_format, level)``; ``start_metrics_server(port)``
  when ``--metrics-port`` is set;
* AWS layer: ``instrument_boto3_session(session)``, ``record_cache(hit)``, ``record_rate_limit_wait(seconds)``,
  ``record_throttle(service, account)``, ``METRICS.watch_rate_limits(source)``;
* controller: ``record_verification(result, reason, seconds)``,
  ``set_provider_ready(ns, name, status)``, ``set_missing_permissions(ns, name, count)``,
  ``forget_provider(ns, name)``, and ``provider_context(ns, name)`` around a verification.
"""

from awsip.observability.botocore_hooks import instrument_boto3_session
from awsip.observability.logs import RedactFilter, configure_logging, provider_context, provider_logger
from awsip.observability.metrics import (
    METRICS,
    REGISTRY,
    Metrics,
    MetricsServer,
    forget_provider,
    record_aws_call,
    record_cache,
    record_rate_limit_wait,
    record_throttle,
    record_verification,
    set_missing_permissions,
    set_provider_ready,
    show_provider,
    start_metrics_server,
)

__all__ = [
    "METRICS",
    "REGISTRY",
    "Metrics",
    "MetricsServer",
    "RedactFilter",
    "configure_logging",
    "forget_provider",
    "instrument_boto3_session",
    "provider_context",
    "provider_logger",
    "record_aws_call",
    "record_cache",
    "record_rate_limit_wait",
    "record_throttle",
    "record_verification",
    "set_missing_permissions",
    "set_provider_ready",
    "show_provider",
    "start_metrics_server",
]
