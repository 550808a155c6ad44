"""``awsip sandbox``: the operator end to end on loopback emulators, as a demo and a smoke test.

Starts moto (AWS, IAM auth mode on) and kmock (Kubernetes) on 127.0.0.1, seeds the roles of
:mod:`awsip.sandbox.scenarios`, runs the operator against both, applies ``examples/``, waits for
every provider's verdict and prints them like ``kubectl get awsip -A``, with what is wrong with
the failing ones. Each example names the Ready reason it must end with
(``sandbox.awsip.io/expect-reason``); the exit status is 1 when one does not.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from awsip.api import constants
from awsip.observability.logs import configure_logging
from awsip.sandbox import scenarios, table
from awsip.sandbox.harness import Sandbox, is_settled, verdict

#: The repository's examples, when running from a checkout.
DEFAULT_EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sandbox",
        help="run the operator end to end on loopback AWS and Kubernetes emulators",
        description="Start moto and a Kubernetes emulator on 127.0.0.1, seed example roles, run the "
        "operator, apply examples/ and print the verdicts. Exits 1 if an example does not end with "
        "the Ready reason it expects.",
    )
    parser.add_argument(
        "--examples",
        type=Path,
        default=DEFAULT_EXAMPLES,
        metavar="DIR",
        help="manifests to apply (default: examples/)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(".sandbox"),
        metavar="DIR",
        help="for the kubeconfig (default: .sandbox)",
    )
    parser.add_argument(
        "--timeout", type=float, default=40.0, metavar="SECONDS", help="how long to wait for the verdicts"
    )
    parser.add_argument(
        "--keep-running",
        action="store_true",
        help="keep the emulators and the operator running (Ctrl-C stops)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show the operator's logs")
    parser.set_defaults(func=run)


def load_examples(directory: Path) -> list[dict[str, Any]]:
    """Every document of ``directory/*.yaml``, in file order (the namespace comes first)."""
    if not directory.is_dir():
        raise FileNotFoundError(f"no examples directory {directory}; give one with --examples")
    documents = []
    for path in sorted(directory.glob("*.yaml")):
        documents += [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]
    return documents


def expectations(documents: list[dict[str, Any]]) -> dict[tuple[str, str], str | None]:
    """(namespace, name) of every provider -> the Ready reason it must end with (None: any)."""
    found = {}
    for doc in documents:
        if doc.get("kind") == constants.KIND:
            meta = doc["metadata"]
            key = (meta.get("namespace", "default"), meta["name"])
            found[key] = (meta.get("annotations") or {}).get(scenarios.EXPECT_REASON_ANNOTATION)
    return found


def check(
    providers: dict[tuple[str, str], dict[str, Any] | None], expected: dict[tuple[str, str], str | None]
) -> list[str]:
    """Problems: providers without a verdict, or with another reason than expected."""
    problems = []
    for (namespace, name), reason in sorted(expected.items()):
        provider = providers.get((namespace, name))
        status, actual = verdict(provider)
        if provider is None or not is_settled(provider):
            problems.append(f"{namespace}/{name}: no verdict (Ready={status}, reason {actual})")
        elif reason is not None and actual != reason:
            problems.append(f"{namespace}/{name}: expected reason {reason}, got Ready={status} ({actual})")
    return problems


def _quiet_logging(verbose: bool) -> None:
    configure_logging("text", logging.INFO if verbose else logging.WARNING)
    for name in ("botocore", "boto3", "urllib3", "kubernetes", "werkzeug", "aiohttp.access"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # "OS signals are ignored: running not in the main thread" -- by design here.
    logging.getLogger("kopf._core.reactor.running").setLevel(logging.INFO if verbose else logging.ERROR)


def run(args: argparse.Namespace) -> int:
    _quiet_logging(args.verbose)
    out = sys.stdout
    documents = load_examples(args.examples)
    expected = expectations(documents)
    if not expected:
        print(f"no {constants.KIND} manifests in {args.examples}", file=sys.stderr)
        return 2
    started = time.monotonic()
    workdir: Path = args.workdir.resolve()
    with Sandbox(workdir) as sandbox:
        assert sandbox.operator_user is not None and sandbox.proxy is not None
        arns = scenarios.seed_roles(sandbox.iam(), sandbox.operator_user.arn)
        sandbox.enable_aws_auth()
        out.write(
            f"AWS:        moto on {sandbox.moto.endpoint} (IAM auth on), {len(arns)} provider roles seeded\n"
            f"Kubernetes: kmock on {sandbox.kube.url}\n"
        )
        sandbox.start_operator()
        client = sandbox.client
        for doc in documents:
            client.apply(doc)
        out.write(
            f"Applied {len(documents)} objects from {args.examples}; waiting for {len(expected)} verdicts...\n\n"
        )
        out.flush()

        providers = _wait(lambda: _read(client, expected), expected, timeout=args.timeout)
        now = datetime.now(UTC)
        out.write(table.provider_table([p for p in providers.values() if p is not None], now))
        failing = [p for p in providers.values() if p is not None and verdict(p)[0] != "True"]
        if failing:
            out.write("\nNot ready:\n")
            for provider in failing:
                out.write("\n".join(table.failure_details(provider)) + "\n")
        problems = check(providers, expected)
        out.write(
            f"\n{len(expected) - len(problems)} of {len(expected)} providers ended as their examples expect"
        )
        out.write(f" ({time.monotonic() - started:.1f}s).\n")
        for problem in problems:
            out.write(f"  UNEXPECTED: {problem}\n")
        out.flush()

        if args.keep_running:
            _keep_running(sandbox)
    return 1 if problems else 0


def _read(
    client: Any, expected: dict[tuple[str, str], str | None]
) -> dict[tuple[str, str], dict[str, Any] | None]:
    return {(namespace, name): client.provider(namespace, name) for namespace, name in expected}


def _wait(
    read: Callable[[], dict[tuple[str, str], dict[str, Any] | None]],
    expected: dict[tuple[str, str], str | None],
    *,
    timeout: float,
) -> dict[tuple[str, str], dict[str, Any] | None]:
    deadline = time.monotonic() + timeout
    while True:
        providers = read()
        if all(p is not None and is_settled(p) for p in providers.values()) or time.monotonic() > deadline:
            return providers
        time.sleep(0.25)


def _keep_running(sandbox: Sandbox) -> None:
    print(
        f"\nThe sandbox keeps running. Try:\n"
        f"  kubectl --kubeconfig {sandbox.kubeconfig} get awsip -A\n"
        f"  kubectl --kubeconfig {sandbox.kubeconfig} get awsip -n {scenarios.WORKSPACE_NAMESPACE} acme-staging -o yaml\n"
        "(kmock accepts only JSON, so pass --validate=false to kubectl apply/create.) Ctrl-C stops it.",
        flush=True,
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nStopping.", flush=True)
