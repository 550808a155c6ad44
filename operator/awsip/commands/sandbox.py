"""``awsip sandbox``: the operator end to end on loopback emulators, as a demo and a smoke test.

Starts moto (AWS, IAM auth mode on) and kmock (Kubernetes) on 127.0.0.1, seeds the roles of
:mod:`awsip.sandbox.scenarios`, runs the operator against both, applies ``examples/`` (or the file
or folder given with ``--examples``), waits for every provider's verdict and prints them like
``kubectl get awsip -A``, with what is wrong with the failing ones. Each example names the Ready
reason it must end with (``sandbox.awsip.io/expect-reason``); the exit status is 1 when one does
not, 2 when an option is wrong (one line saying which and why, before anything starts).

The emulators, Kopf and boto3 are imported when the command runs, not when the command line is
built: every ``awsip`` command builds this parser, and ``awsip --version`` must not pay for them.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from awsip.api import constants
from awsip.sandbox.manifests import EXPECT_REASON_ANNOTATION, ManifestError, load_manifests

if TYPE_CHECKING:
    from awsip.sandbox.harness import Sandbox

#: The repository's examples, when running from a checkout.
DEFAULT_EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

EXIT_OK, EXIT_UNEXPECTED, EXIT_BAD_INPUT = 0, 1, 2


class _BadOption(Exception):
    pass


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sandbox",
        help="run the operator end to end on loopback AWS and Kubernetes emulators",
        description="Start moto and a Kubernetes emulator on 127.0.0.1, seed example roles, run the "
        "operator, apply examples/ and print the verdicts. Exits 1 if an example does not end with "
        "the Ready reason it expects, 2 on a wrong option.",
    )
    parser.add_argument(
        "--examples",
        type=Path,
        default=DEFAULT_EXAMPLES,
        metavar="PATH",
        help="a manifest file, or a folder of *.yaml manifests, to apply (default: examples/)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(".sandbox"),
        metavar="DIR",
        help="for the kubeconfig (default: .sandbox)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=40.0,
        metavar="SECONDS",
        help="how long to wait for the verdicts (default: %(default)s)",
    )
    parser.add_argument(
        "--keep-running",
        action="store_true",
        help="keep the emulators and the operator running (Ctrl-C stops)",
    )
    parser.add_argument(
        "--kube",
        choices=("emulator", "apiserver"),
        default="emulator",
        help="the Kubernetes API: kmock's emulator (default, needs nothing), or a real etcd + "
        "kube-apiserver from .tools/kube (built by scripts/build-kube-tools.sh, which needs Go)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show the operator's logs")
    parser.set_defaults(func=run)


def load_examples(path: Path) -> list[dict[str, Any]]:
    """Every document of ``path`` (a file, or a folder's ``*.yaml``), in order; see :mod:`.manifests`."""
    return load_manifests(path)


def expectations(documents: list[dict[str, Any]]) -> dict[tuple[str, str], str | None]:
    """(namespace, name) of every provider -> the Ready reason it must end with (None: any)."""
    found = {}
    for doc in documents:
        if doc.get("kind") == constants.KIND:
            meta = doc["metadata"]
            key = (meta.get("namespace", "default"), meta["name"])
            found[key] = (meta.get("annotations") or {}).get(EXPECT_REASON_ANNOTATION)
    return found


def check(
    providers: dict[tuple[str, str], dict[str, Any] | None], expected: dict[tuple[str, str], str | None]
) -> list[str]:
    """Problems: providers without a verdict, or with another reason than expected."""
    from awsip.sandbox.verdicts import is_settled, verdict

    problems = []
    for (namespace, name), reason in sorted(expected.items()):
        provider = providers.get((namespace, name))
        status, actual = verdict(provider)
        if provider is None or not is_settled(provider):
            problems.append(f"{namespace}/{name}: no verdict (Ready={status}, reason {actual})")
        elif reason is not None and actual != reason:
            problems.append(f"{namespace}/{name}: expected reason {reason}, got Ready={status} ({actual})")
    return problems


def check_timeout(seconds: float) -> float:
    if not (math.isfinite(seconds) and seconds > 0):
        raise _BadOption(f"--timeout {seconds:g}: give a positive number of seconds")
    return seconds


def prepare_workdir(workdir: Path) -> Path:
    """The working folder, created if need be and writable (checked before any emulator starts)."""
    resolved = workdir.resolve()
    try:
        resolved.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _BadOption(f"--workdir {workdir}: cannot create it: {exc.strerror or exc}") from None
    if not os.access(resolved, os.W_OK | os.X_OK):
        raise _BadOption(f"--workdir {workdir}: not writable")
    return resolved


def _options(
    args: argparse.Namespace,
) -> tuple[list[dict[str, Any]], dict[tuple[str, str], str | None], Path]:
    """The checked options: (documents, expectations, workdir); :class:`_BadOption` otherwise."""
    check_timeout(args.timeout)
    try:
        documents = load_examples(args.examples)
    except ManifestError as exc:
        raise _BadOption(f"--examples {exc}") from None
    expected = expectations(documents)
    if not expected:
        raise _BadOption(f"--examples {args.examples}: no {constants.KIND} manifests to verify")
    return documents, expected, prepare_workdir(args.workdir)


def run(args: argparse.Namespace) -> int:
    try:
        documents, expected, workdir = _options(args)
    except _BadOption as exc:
        print(f"awsip sandbox: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return _run(args, documents, expected, workdir)


def _run(
    args: argparse.Namespace,
    documents: list[dict[str, Any]],
    expected: dict[tuple[str, str], str | None],
    workdir: Path,
) -> int:
    from awsip.sandbox import scenarios, table
    from awsip.sandbox.apiserver import ControlPlane, ControlPlaneError
    from awsip.sandbox.harness import Sandbox, quiet_logging
    from awsip.sandbox.verdicts import verdict

    quiet_logging(args.verbose)
    out = sys.stdout
    started = time.monotonic()
    control_plane = ControlPlane(workdir / "control-plane") if args.kube == "apiserver" else None
    sandbox = Sandbox(workdir, kube=control_plane)
    try:
        sandbox.start()
    except ControlPlaneError as exc:
        sandbox.close()
        print(f"awsip sandbox: the real control plane cannot start: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    with contextlib.closing(sandbox):
        assert sandbox.operator_user is not None and sandbox.proxy is not None
        arns = scenarios.seed_roles(sandbox.iam(), sandbox.operator_user.arn)
        sandbox.enable_aws_auth()
        if control_plane is not None:
            control_plane.install_crd()
        kube = "kube-apiserver + etcd" if control_plane is not None else "kmock"
        out.write(
            f"AWS:        moto on {sandbox.moto.endpoint} (IAM auth on), {len(arns)} provider roles seeded\n"
            f"Kubernetes: {kube} on {sandbox.kube.url}\n"
            f"Emulators' own logs: {sandbox.emulator_logs.path}\n"
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
            _keep_running(sandbox, scenarios.WORKSPACE_NAMESPACE, emulated=control_plane is None)
    return EXIT_UNEXPECTED if problems else EXIT_OK


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
    from awsip.sandbox.verdicts import is_settled

    deadline = time.monotonic() + timeout
    while True:
        providers = read()
        if all(p is not None and is_settled(p) for p in providers.values()) or time.monotonic() > deadline:
            return providers
        time.sleep(0.25)


def _keep_running(sandbox: Sandbox, namespace: str, *, emulated: bool = True) -> None:
    import signal

    note = "(kmock accepts only JSON, so pass --validate=false to kubectl apply/create.) " if emulated else ""
    print(
        f"\nThe sandbox keeps running. Try:\n"
        f"  kubectl --kubeconfig {sandbox.kubeconfig} get awsip -A\n"
        f"  kubectl --kubeconfig {sandbox.kubeconfig} get awsip -n {namespace} acme-staging -o yaml\n"
        f"{note}Ctrl-C stops it.",
        flush=True,
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nStopping.", flush=True)
