"""``awsip run``: run the operator (Kopf) with awsip's handlers.

It is ``kopf run -m awsip.controller.handlers`` with Kopf's usual flags, plus awsip's own; the
operator's settings travel to the handlers in Kopf's memo, not in global variables.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any, TextIO

import kopf

from awsip.commands import kube_credentials
from awsip.controller.config import OperatorConfig, split_namespaced_name
from awsip.observability.logs import configure_logging

#: Loggers whose debug output is noise at best (and request dumps at worst); --debug lets them through.
NOISY_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer", "kubernetes", "aiohttp.access")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {text}")
    return value


def _rate(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 (no limit) or positive, not {text}")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"not a TCP port: {value}")
    return value


def _namespaced_name(text: str) -> str:
    try:
        split_namespaced_name(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run the operator",
        description="Run the awsip operator: watch AWSInfrastructureProviders and verify their roles. "
        "Kubernetes credentials: in-cluster service account, else $KUBECONFIG or ~/.kube/config. "
        "AWS credentials: boto3's default chain (AWS_ENDPOINT_URL is honoured).",
    )
    kopf_flags = parser.add_argument_group("Kopf")
    scope = kopf_flags.add_mutually_exclusive_group()
    scope.add_argument("-A", "--all-namespaces", action="store_true", help="serve all namespaces")
    scope.add_argument(
        "-n", "--namespace", action="append", dest="namespaces", default=[], metavar="NS",
        help="serve this namespace (repeatable; Kopf's globs allowed)",
    )  # fmt: skip
    kopf_flags.add_argument(
        "--standalone", action="store_true", default=None, help="no peering with other replicas"
    )
    kopf_flags.add_argument(
        "--liveness", metavar="URL", help="liveness endpoint, e.g. http://0.0.0.0:8080/healthz"
    )
    kopf_flags.add_argument("--peering", metavar="NAME", help="peering object for high availability")
    kopf_flags.add_argument("--priority", type=int, metavar="N", help="peering priority of this replica")
    kopf_flags.add_argument("-v", "--verbose", action="store_true", help="debug logs of the operator")
    kopf_flags.add_argument(
        "-d", "--debug", action="store_true", help="debug logs, also of the client libraries"
    )

    own = parser.add_argument_group("awsip")
    own.add_argument(
        "--log-format", choices=("text", "json"), default="text", help="log lines as text or JSON"
    )
    own.add_argument(
        "--metrics-port", type=_port, default=0, metavar="PORT", help="Prometheus metrics (0: off)"
    )
    defaults = OperatorConfig()
    own.add_argument(
        "--sts-calls-per-second",
        type=_rate,
        default=defaults.sts_calls_per_second,
        metavar="N",
        help="the operator's own STS calls (AssumeRole) per second, per Region; lowered while AWS "
        "throttles (0: no limit; default %(default)g)",
    )
    own.add_argument(
        "--account-calls-per-second",
        type=_rate,
        default=defaults.account_calls_per_second,
        metavar="N",
        help="AWS calls per second in each account (IAM reads, SimulatePrincipalPolicy); lowered "
        "while AWS throttles that account (0: no limit; default %(default)g)",
    )
    own.add_argument(
        "--aws-calls-per-second",
        type=_rate,
        default=defaults.aws_calls_per_second,
        metavar="N",
        help="optional global cap on AWS calls per second, all accounts together (0: none, the default)",
    )
    own.add_argument("--workers", type=_positive_int, default=16, metavar="N", help="threads for boto3 calls")
    own.add_argument(
        "--namespace-workers",
        type=_positive_int,
        default=None,
        metavar="N",
        help="at most N verifications of one namespace at once (default: an eighth of --workers)",
    )
    own.add_argument(
        "--policy-check-seconds",
        type=_positive_float,
        default=defaults.policy_check_seconds,
        metavar="S",
        help="CPU seconds the policy engine may spend on one verification (default %(default)g)",
    )
    own.add_argument(
        "--session-tags", action="store_true", help="tag STS sessions with awsip:namespace/awsip:name"
    )
    own.add_argument(
        "--tenancy-configmap",
        type=_namespaced_name,
        metavar="NS/NAME",
        help="the tenancy rules: a ConfigMap with the key rules.yaml (watched; changes apply without a "
        "restart). If it is missing, no provider is verified.",
    )
    own.add_argument(
        "--cluster-api-identities",
        action="store_true",
        help="create and own a CAPA AWSClusterRoleIdentity for each Ready provider with "
        "spec.clusterAPI.roleIdentity (needs RBAC on awsclusterroleidentities)",
    )
    parser.set_defaults(func=run)


def config_from_args(args: argparse.Namespace) -> OperatorConfig:
    return OperatorConfig(
        workers=args.workers,
        namespace_workers=args.namespace_workers or 0,
        policy_check_seconds=args.policy_check_seconds,
        sts_calls_per_second=args.sts_calls_per_second,
        account_calls_per_second=args.account_calls_per_second,
        aws_calls_per_second=args.aws_calls_per_second,
        session_tags=args.session_tags,
        metrics_port=args.metrics_port,
        tenancy_configmap=getattr(args, "tenancy_configmap", None),
        cluster_api_identities=getattr(args, "cluster_api_identities", False),
    )


def configure_logs(args: argparse.Namespace, *, stream: TextIO | None = None) -> None:
    """Logging as ``awsip run`` sets it up (the e2e tests capture the same thing in ``stream``)."""
    debug = args.verbose or args.debug
    configure_logging(args.log_format, logging.DEBUG if debug else logging.INFO, stream=stream)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if args.debug else logging.WARNING)
    if not args.debug:
        logging.getLogger("asyncio").setLevel(logging.WARNING)


def run(args: argparse.Namespace) -> int:
    from awsip.controller import handlers  # registers the handlers with Kopf

    config = config_from_args(args)
    missing = kube_credentials.problem(config.kubeconfig)  # Kopf would retry it every minute
    if missing is not None:
        print(f"awsip run: {missing}", file=sys.stderr)
        return 2
    configure_logs(args)
    # The policy engine's work that depends on no role, before the first verification (~50 ms).
    from awsip.policy.startup import prepare_builtin_profiles

    prepare_builtin_profiles()
    memo = kopf.Memo()
    memo[handlers.CONFIG_KEY] = config
    kopf.run(
        clusterwide=args.all_namespaces,
        namespaces=args.namespaces,
        standalone=args.standalone,
        peering_name=args.peering,
        priority=args.priority,
        liveness_endpoint=args.liveness,
        memo=memo,
    )
    return 0
