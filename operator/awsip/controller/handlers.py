"""Kopf handlers of the operator (the module ``awsip run`` loads; also ``kopf run -m awsip.controller.handlers``).

They are thin: they hand what Kopf saw to the :class:`~awsip.controller.runtime.Runtime`, which
schedules and runs the verifications. One controller serves the kind; each provider is
independent of the others.

- a daemon per provider: its verification loop (Kopf starts it for every provider it lists or
  sees created, stops it on deletion, on a peering pause and on exit; Kopf's finalizer
  ``awsip.io/finalizer`` holds a deleted provider until it has stopped);
- every watch event: keep the provider's latest state (a new or changed spec is verified right
  away, a provider that was there before when it is due); ``DELETED`` drops it. No on.create,
  on.update or on.resume handler: Kopf would write its progress and diff-base into the object for
  each of them, and the runtime needs neither (see :mod:`awsip.controller.settings`);
- delete: the CAPA identities the provider owns (``spec.clusterAPI.roleIdentity``) are deleted
  before Kopf's finalizer lets the provider go; a failure is retried with the backoff. (A
  deletion handler's progress lives for the moment only, see :mod:`awsip.controller.settings`;
  for a provider that never asked for an identity it makes no API call at all.)
- startup / cleanup: settings, runtime (and the watch of the tenancy rules), metrics; login: the
  same credentials for Kopf and for the operator's own API client.
"""

from __future__ import annotations

import logging
from typing import Any

import kopf

from awsip.api import constants
from awsip.controller import kube_client, settings
from awsip.controller.backend import Backend, default_backend
from awsip.controller.backoff import retry_delay
from awsip.controller.cluster_identities import IdentityStepError
from awsip.controller.config import OperatorConfig
from awsip.controller.kube_identities import KubeIdentities
from awsip.controller.runtime import Runtime
from awsip.observability import metrics

RESOURCE = (constants.GROUP, constants.VERSION, constants.PLURAL)

#: Keys of Kopf's operator-wide memo (``kopf.run(memo=...)``); per-object memos are copies of it.
CONFIG_KEY = "awsip_config"
BACKEND_KEY = "awsip_backend"
RUNTIME_KEY = "awsip_runtime"
METRICS_KEY = "awsip_metrics_server"


class QuietWatchHandler(logging.Filter):
    """Kopf logs "Handler 'watched' succeeded." at INFO for every watch event of every provider
    (every status patch makes one); keep that line for debug logging only."""

    MESSAGE = "Handler 'watched' succeeded."

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or logging.getLogger().isEnabledFor(logging.DEBUG):
            return True
        return record.getMessage() != self.MESSAGE


_kopf_objects = logging.getLogger("kopf.objects")
if not any(isinstance(f, QuietWatchHandler) for f in _kopf_objects.filters):
    _kopf_objects.addFilter(QuietWatchHandler())


def config_of(memo: Any) -> OperatorConfig:
    config = memo.get(CONFIG_KEY) if memo is not None else None
    return config if isinstance(config, OperatorConfig) else OperatorConfig()


def runtime_of(memo: Any) -> Runtime:
    runtime = memo.get(RUNTIME_KEY)
    if not isinstance(runtime, Runtime):
        raise kopf.PermanentError("the awsip runtime is not started")
    return runtime


@kopf.on.startup()
async def startup(
    settings: kopf.OperatorSettings,
    memo: kopf.Memo,
    logger: logging.Logger | logging.LoggerAdapter[Any],
    **_: Any,
) -> None:
    config = config_of(memo)
    _configure(settings)
    backend = memo.get(BACKEND_KEY)
    if not isinstance(backend, Backend):
        backend = default_backend(config)
    client = kube_client.KubeClient(kube_client.load_configuration(config.kubeconfig))
    identities = KubeIdentities(client.api_client) if config.cluster_api_identities else None
    runtime = Runtime(config=config, backend=backend, kube=client, identity_api=identities)
    memo[RUNTIME_KEY] = runtime
    runtime.start()
    if config.metrics_port:
        server = metrics.start_metrics_server(config.metrics_port, config.metrics_address)
        memo[METRICS_KEY] = server
        logger.info(f"Serving metrics on {config.metrics_address}:{server.port}/metrics.")
    logger.info(f"awsip is ready: {config.workers} AWS workers, AWS calls/s: {rate_limits_text(config)}.")


def rate_limits_text(config: OperatorConfig) -> str:
    def limit(value: float) -> str:
        return f"{value:g}" if value > 0 else "unlimited"

    text = f"STS {limit(config.sts_calls_per_second)} per Region, {limit(config.account_calls_per_second)} per account"
    return text + (f", {config.aws_calls_per_second:g} in all" if config.aws_calls_per_second > 0 else "")


def _configure(operator_settings: kopf.OperatorSettings) -> None:
    settings.apply(operator_settings)


@kopf.on.cleanup()
async def cleanup(memo: kopf.Memo, **_: Any) -> None:
    runtime = memo.get(RUNTIME_KEY)
    if isinstance(runtime, Runtime):
        await runtime.close()
    server = memo.get(METRICS_KEY)
    if server is not None:
        server.close()


@kopf.on.login()
def login(memo: kopf.Memo, **_: Any) -> kopf.ConnectionInfo:
    return kube_client.connection_info(kube_client.load_configuration(config_of(memo).kubeconfig))


@kopf.on.probe(id="providers")
def probe(memo: kopf.Memo, **_: Any) -> dict[str, int]:
    return runtime_of(memo).summary()


@kopf.on.probe(id="tenancy")
def tenancy_probe(memo: kopf.Memo, **_: Any) -> dict[str, Any]:
    tenancy = runtime_of(memo).tenancy
    return tenancy.summary() if tenancy is not None else {"configMap": None}


@kopf.daemon(*RESOURCE, id="verifier", cancellation_backoff=10, cancellation_timeout=5)
async def verifier(body: kopf.Body, memo: kopf.Memo, stopped: kopf.DaemonStopped, **_: Any) -> None:
    # Stopping lets a verification under way finish (up to cancellation_backoff), then cancels.
    await runtime_of(memo).serve(body, stopped)


@kopf.on.delete(*RESOURCE, id="cluster-identities")
async def deleted(body: kopf.Body, memo: kopf.Memo, retry: int, **_: Any) -> None:
    # Holds Kopf's finalizer until the identities the provider owns are gone (a cluster-scoped
    # object cannot have the provider as its owner reference); nothing for other providers.
    runtime = runtime_of(memo)
    try:
        await runtime.release(body)
    except IdentityStepError as exc:
        config = runtime.config
        delay = retry_delay(retry + 1, base=config.retry_base_seconds, cap=config.retry_max_seconds)
        raise kopf.TemporaryError(f"{exc}; retrying in {delay:.0f}s", delay=delay) from None


@kopf.on.event(*RESOURCE, id="watched")
async def watched(event: kopf.RawEvent, memo: kopf.Memo, **_: Any) -> None:
    runtime = runtime_of(memo)
    if event["type"] == "DELETED":
        runtime.forget(event["object"])
    else:
        runtime.observe(event["object"])
