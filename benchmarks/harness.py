"""The benchmarks' emulated world: the sandbox's moto server and kmock, instrumented and bounded.

Reuses :mod:`awsip.sandbox` (moto seeding, the kmock emulator, the operator's IAM user) and adds
what a benchmark needs, all in this (the benchmark's) process:

* kmock keeps every request it has served and scans that whole history for each new request
  (``request in payload._source`` walks the root's list, checking each old request against each
  reaction's criteria), which makes a long run quadratic. The benchmarks bound that history:
  :class:`InFlightRequests` replaces the emulator's request list with one that holds only the
  requests being served right now (a request leaves it when its response is complete; ``len()``
  still counts every request ever added, so request ids stay unique), and the reactions' own
  lists keep their last few entries (:class:`BoundedRequests`). Nothing here reads that history:
  :class:`CountingEmulator` counts the requests itself, as they are served.
* :class:`CountingEmulator` counts Kubernetes API calls by kind, the status patches of each
  provider (and whether they rewrote conditions), and notes the moment each provider's status
  first holds a final ``Ready`` (True or False, not Reconciling) -- as the API server stored it,
  without polling.
* :class:`AwsCallLog` is WSGI middleware in front of moto: every AWS request with its arrival
  time, service, operation, HTTP status and signing key (what AWS would see, for rate checks; the
  key tells the account the request counts against, :func:`accounts_of`).
* Many accounts: moto keeps a separate IAM for every 12-digit account; :meth:`World.seed_roles`
  spreads the roles over ``accounts`` of them (tests/support/moto_accounts.py), each with its own
  customer-managed policies, as an organisation's accounts have.
* :class:`OperatorProcess` runs the operator (``awsip run``, or the floor's minimal operator) in
  a process of its own, so that its resident memory is its own (peak: ``VmHWM``) and it gets a
  core of its own; its metrics endpoint is scraped for its side of the counts.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from awsip.api import constants
from awsip.api.condition_reasons import ConditionType, find_condition
from awsip.sandbox.aws_seed import (
    ACCOUNT_ID,
    MotoServer,
    OperatorUser,
    create_managed_policy,
    create_operator_user,
    create_provider_role,
    provider_trust_policy,
    without_actions,
)
from awsip.sandbox.client import SandboxClient
from awsip.sandbox.harness import EMULATOR_LOGGERS
from awsip.sandbox.kube import CRD_RESOURCE, KubeEmulator, SandboxKubernetesEmulator

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # for tests.support: test tooling that the shipped package leaves out
    sys.path.append(str(ROOT))
#: Requests kmock keeps in its history (it scans all of it for each new request).
KMOCK_HISTORY = 32
AWS_MANAGED_POLICIES = (
    "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
)
MISSING_ACTIONS = ("ec2:CreateNatGateway", "ec2:DeleteNatGateway", "elasticloadbalancing:CreateLoadBalancer")
PROVIDER_PATH = f"/apis/{constants.API_VERSION}/namespaces/"


# -- kmock, bounded and counting ---------------------------------------------------------------


class BoundedRequests(list[Any]):
    """A request list that keeps its last ``keep`` entries; ``len()`` is the number ever added."""

    def __init__(self, keep: int = KMOCK_HISTORY) -> None:
        super().__init__()
        self.keep = keep
        self.total = 0

    def append(self, item: Any) -> None:
        super().append(item)
        self.total += 1
        if list.__len__(self) >= 2 * self.keep:
            del self[: self.keep]

    def __len__(self) -> int:
        return self.total


class InFlightRequests(BoundedRequests):
    """kmock's root request list, holding only the requests being served (see :meth:`done`)."""

    def done(self, request: Any) -> None:
        for index in range(list.__len__(self) - 1, -1, -1):
            if self[index] is request:
                del self[index]
                return


def bound_history(emulator: SandboxKubernetesEmulator, keep: int = KMOCK_HISTORY) -> None:
    """Replace kmock's request lists (the root's and each reaction's) with bounded ones."""
    emulator._requests = InFlightRequests(keep)
    for payload in emulator._payloads:
        object.__setattr__(payload, "_requests", BoundedRequests(keep))


@dataclass
class ProviderTrace:
    """What one provider's status patches looked like."""

    patches: list[tuple[float, frozenset[str]]] = field(default_factory=list)
    """(time, top-level keys of the patched status) of each status patch."""
    settled_at: float | None = None
    verdict: tuple[str | None, str | None] = (None, None)


class CountingEmulator(SandboxKubernetesEmulator):
    """The sandbox's kmock emulator, counting what it serves (see the module docstring)."""

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self.calls: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()
        """Requests answered with a 5xx (none expected)."""
        self.traces: dict[tuple[str, str], ProviderTrace] = defaultdict(ProviderTrace)
        self.all_settled = threading.Event()
        self.expected: set[tuple[str, str]] = set()
        self.events_posted = 0

    def expect(self, keys: Iterable[tuple[str, str]]) -> None:
        """Set :attr:`all_settled` once every one of these providers has a final Ready."""
        self.expected = set(keys)
        self.all_settled.clear()
        self._check_settled()

    def _check_settled(self) -> None:
        if self.expected and all(self.traces[key].settled_at is not None for key in self.expected):
            self.all_settled.set()

    async def _handle(self, request: Any) -> Any:
        try:
            response = await super()._handle(request)
        finally:
            if isinstance(self._requests, InFlightRequests):
                self._requests.done(request)
        method = str(request.method.value).upper()
        resource = request.resource
        kind = str(resource.plural) if resource is not None else request.url.path
        if request.subresource:
            kind += "/" + request.subresource
        if method == "GET" and request.params.get("watch") in ("true", "1"):
            method = "WATCH"
        self.calls[f"{method} {kind}"] += 1
        if getattr(response, "status", 200) >= 500:
            self.failures[f"{method} {kind}"] += 1
        if resource is not None and resource == CRD_RESOURCE and request.name and request.namespace:
            key = (request.namespace, request.name)
            if method == "PATCH" and request.subresource == "status":
                patched = _patched_status(request.data)
                trace = self.traces[key]
                trace.patches.append((time.monotonic(), frozenset((patched or {}).keys())))
                stored = self.objects[(CRD_RESOURCE, request.namespace, request.name)]
                status = dict(stored.raw).get("status") or {}
                ready = find_condition(status, ConditionType.READY) or {}
                reconciling = find_condition(status, ConditionType.RECONCILING) or {}
                if ready.get("status") in ("True", "False") and reconciling.get("status") != "True":
                    trace.verdict = (ready.get("status"), ready.get("reason"))
                    if trace.settled_at is None:
                        trace.settled_at = time.monotonic()
                        if key in self.expected:
                            self._check_settled()
        return response


def _patched_status(data: Any) -> dict[str, Any]:
    """The status members a patch writes: the operator's JSON patch (bound to a uid) seen as the
    merge patch it amounts to, or a merge patch's own."""
    from tests.support.json_patches import merge_view

    if isinstance(data, list):
        return merge_view(data)
    status = data.get("status") if isinstance(data, dict) else None
    return status if isinstance(status, dict) else {}


# -- moto, logging every AWS request ---------------------------------------------------------------


@dataclass(frozen=True)
class AwsRequest:
    at: float
    operation: str  # "sts:AssumeRole"
    status: int
    access_key: str = ""


class AwsCallLog:
    """WSGI middleware: records each AWS request (not moto's own /moto-api) as it arrives."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.requests: list[AwsRequest] = []
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if str(environ.get("PATH_INFO", "")).startswith("/moto-api"):
            return self.app(environ, start_response)
        arrived = time.monotonic()
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        query = urllib.parse.parse_qs(body.decode("utf-8", "replace")) if body else {}
        action = (
            query.get("Action")
            or urllib.parse.parse_qs(environ.get("QUERY_STRING", "")).get("Action")
            or ["?"]
        )[0]
        service, key = "?", ""
        authorization = str(environ.get("HTTP_AUTHORIZATION", ""))
        if "Credential=" in authorization:
            scope = authorization.split("Credential=", 1)[1].split(",", 1)[0].split("/")
            service = scope[3] if len(scope) > 3 else "?"
            key = scope[0]
        seen: list[int] = []

        def start(status: str, headers: Any, *args: Any) -> Any:
            seen.append(int(status.split(" ", 1)[0]))
            return start_response(status, headers, *args)

        result = self.app(environ, start)
        with self._lock:
            self.requests.append(AwsRequest(arrived, f"{service}:{action}", seen[0] if seen else 0, key))
        return result

    def snapshot(self) -> list[AwsRequest]:
        with self._lock:
            return list(self.requests)


def _counting_moto(moto: MotoServer) -> AwsCallLog:
    """Put :class:`AwsCallLog` in front of the (not yet started) moto server's WSGI app."""
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    log = AwsCallLog(DomainDispatcherApplication(create_backend_app))

    class CountingMotoServer(ThreadedMotoServer):
        def _server_entry(self) -> None:
            self._server = make_server(
                self._ip_address, self._port, log, True, request_handler=MotoRequestHandler
            )
            self._server_ready_event.set()
            self._server.serve_forever()

    moto._server = CountingMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    return log


def accounts_of(requests: Iterable[AwsRequest]) -> list[str]:
    """The account each request counts against (its signing key's, as moto files it); after the
    run, so that resolving keys costs the emulators nothing while they are measured."""
    from tests.support.account_throttle import moto_account_of

    known: dict[str, str] = {}
    accounts = []
    for request in requests:
        if request.access_key not in known:
            known[request.access_key] = moto_account_of(request.access_key) if request.access_key else "?"
        accounts.append(known[request.access_key])
    return accounts


def max_per_window(times: Sequence[float], window: float = 1.0) -> int:
    """The most requests that arrived within any ``window`` seconds."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(ordered):
        while at - ordered[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


# -- the world ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleSpec:
    name: str
    external_id: str
    compliant: bool
    account: str = ACCOUNT_ID

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account}:role/{self.name}"


#: The first of the accounts that :meth:`World.seed_roles` spreads roles over (then +1, +2, ...).
FIRST_ACCOUNT = 200000000000
#: The operator reads IAM in its own account only: in the others each role reads itself.
READ_OWN_POLICIES = {
    "Sid": "ReadOwnRoleAndPolicies",
    "Effect": "Allow",
    "Action": ["iam:GetRole", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:GetRolePolicy",
               "iam:GetPolicy", "iam:GetPolicyVersion"],
    "Resource": "*",
}  # fmt: skip


class World:
    """moto (IAM auth on) and kmock on loopback, instrumented.

    ``aws_managed_policies``: load AWS's managed policies into moto (the single-account world
    attaches two of them). moto copies all of them into every account it sees, which a world of a
    thousand accounts cannot afford: the many-accounts worlds use customer-managed policies only.
    """

    def __init__(self, workdir: Path, *, aws_managed_policies: bool = True) -> None:
        self.workdir = workdir
        self.aws_managed_policies = aws_managed_policies
        if aws_managed_policies:
            os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
        else:
            os.environ.pop("MOTO_IAM_LOAD_MANAGED_POLICIES", None)
        self.moto = MotoServer()
        self.aws_log = _counting_moto(self.moto)
        self.kube = KubeEmulator(emulator=CountingEmulator())
        assert isinstance(self.kube.emulator, CountingEmulator)
        self.emulator: CountingEmulator = self.kube.emulator
        bound_history(self.emulator)
        self.kubeconfig = workdir / "kubeconfig"
        self.operator_user: OperatorUser | None = None
        self.policies: dict[str, str] = {}

    def __enter__(self) -> World:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for name in EMULATOR_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
        self.moto.start()
        self.moto.reset()
        self.operator_user = create_operator_user(self.moto.client("iam"))
        self.kube.start()
        self.kube.write_kubeconfig(self.kubeconfig)
        return self

    def __exit__(self, *_: object) -> None:
        self.kube.stop()
        self.moto.stop()

    @property
    def client(self) -> SandboxClient:
        return SandboxClient(self.kube.url)

    def iam(self) -> Any:
        return self.moto.client("iam")

    def operator_environment(self) -> dict[str, str]:
        """The operator's environment: its AWS identity and endpoint, the kubeconfig, nothing else of ours."""
        assert self.operator_user is not None
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
        env.update(self.operator_user.environment(self.moto.endpoint))
        env.update(
            KUBECONFIG=str(self.kubeconfig),
            AWS_CONFIG_FILE=str(self.workdir / "aws-config"),
            AWS_SHARED_CREDENTIALS_FILE=str(self.workdir / "aws-credentials"),
            AWS_EC2_METADATA_DISABLED="true",
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "benchmarks"), env.get("PYTHONPATH")])),
        )
        return env

    def seed_roles(self, count: int, *, accounts: int = 1, noncompliant_every: int = 10) -> list[RoleSpec]:
        """``count`` roles trusting the operator with an External ID each: capa-minimal (one
        customer-managed policy shared by all) plus AWS-managed policies; every
        ``noncompliant_every``-th role gets a copy of capa-minimal that lacks three actions.

        ``accounts`` > 1: the roles go round-robin into that many accounts (not the operator's),
        each with its own capa-minimal and lacking copy (both also letting the role read itself)
        and no AWS-managed policy."""
        if accounts > 1:
            return self._seed_roles_in_accounts(count, accounts, noncompliant_every=noncompliant_every)
        from awsip.profiles import load_profile

        assert self.operator_user is not None
        iam = self.iam()
        minimal = load_profile("capa-minimal")
        self.policies["capa-minimal"] = create_managed_policy(iam, "capa-minimal", minimal)
        self.policies["capa-lacking"] = create_managed_policy(
            iam, "capa-lacking", without_actions(minimal, MISSING_ACTIONS)
        )
        roles = []
        for index in range(count):
            compliant = noncompliant_every <= 0 or index % noncompliant_every != noncompliant_every - 1
            role = RoleSpec(f"capa-bench-{index:04d}", f"bench-{index:04d}-4f1d2c9e", compliant)
            trust = provider_trust_policy(self.operator_user.arn, external_id=role.external_id)
            policy = self.policies["capa-minimal" if compliant else "capa-lacking"]
            create_provider_role(
                iam, role.name, trust_policy=trust, managed_policy_arns=[policy, *AWS_MANAGED_POLICIES]
            )
            roles.append(role)
        return roles

    def _seed_roles_in_accounts(
        self, count: int, accounts: int, *, noncompliant_every: int
    ) -> list[RoleSpec]:
        from awsip.profiles import load_profile

        assert self.operator_user is not None
        account_ids = [f"{FIRST_ACCOUNT + i:012d}" for i in range(accounts)]
        minimal = load_profile("capa-minimal")
        documents = {
            True: {**minimal, "Statement": [*minimal["Statement"], READ_OWN_POLICIES]},
            False: {**minimal, "Statement": [*without_actions(minimal, MISSING_ACTIONS)["Statement"],
                                             READ_OWN_POLICIES]},
        }  # fmt: skip
        current = {"account": account_ids[0]}
        iam = self.iam()
        # One client for every account (making a client per account would cost more than seeding);
        # moto reads the account from this header (see tests/support/moto_accounts.py).
        iam.meta.events.register(
            "before-sign",
            lambda request, **_: request.headers.__setitem__("x-moto-account-id", current["account"]),
            unique_id="awsip-tests-moto-account",
        )
        roles, policies = [], {}
        for index in range(count):
            compliant = noncompliant_every <= 0 or index % noncompliant_every != noncompliant_every - 1
            account = current["account"] = account_ids[index % accounts]
            if (account, compliant) not in policies:
                name = "capa-minimal" if compliant else "capa-lacking"
                policies[(account, compliant)] = create_managed_policy(iam, name, documents[compliant])
            role = RoleSpec(f"capa-bench-{index:04d}", f"bench-{index:04d}-4f1d2c9e", compliant, account)
            trust = provider_trust_policy(self.operator_user.arn, external_id=role.external_id)
            create_provider_role(
                iam, role.name, trust_policy=trust, managed_policy_arns=[policies[(account, compliant)]]
            )
            roles.append(role)
        return roles

    def create_admin(self) -> Any:
        """An IAM client of an administrator user, usable once moto checks signatures and policies."""
        admin = create_operator_user(
            self.iam(),
            "bench-admin",
            policy={
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}],
            },
        )
        import boto3

        return boto3.session.Session().client(
            "iam",
            region_name="us-east-1",
            endpoint_url=self.moto.endpoint,
            aws_access_key_id=admin.access_key_id,
            aws_secret_access_key=admin.secret_access_key,
        )

    def make_lacking(self, admin_iam: Any, roles: Iterable[RoleSpec]) -> set[str]:
        """Give these roles the lacking copy of capa-minimal instead of capa-minimal; their ARNs."""
        changed = set()
        for role in roles:
            admin_iam.detach_role_policy(RoleName=role.name, PolicyArn=self.policies["capa-minimal"])
            admin_iam.attach_role_policy(RoleName=role.name, PolicyArn=self.policies["capa-lacking"])
            changed.add(role.arn)
        return changed

    def enable_aws_auth(self) -> None:
        self.moto.set_iam_auth(True)

    def create_namespaces(self, names: Iterable[str]) -> None:
        for name in names:
            self.client.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})

    def create_providers(self, manifests: Sequence[Mapping[str, Any]], *, threads: int = 4) -> None:
        """POST them all, a few at a time (what a `kubectl apply` of many files does)."""
        client = self.client
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(client.create, manifests))


def provider_manifest(namespace: str, name: str, role: RoleSpec, *, interval: str = "1h") -> dict[str, Any]:
    return {
        "apiVersion": constants.API_VERSION,
        "kind": constants.KIND,
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "roleARN": role.arn,
            "externalID": role.external_id,
            "verification": {"interval": interval},
        },
    }


# -- the operator process ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class OperatorProcess:
    """An operator in a process of its own; its output goes to ``workdir/<name>.log``."""

    def __init__(self, command: Sequence[str], *, env: Mapping[str, str], log: Path) -> None:
        self.command = list(command)
        self.env = dict(env)
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @classmethod
    def awsip(
        cls, world: World, *, settings: Sequence[str], metrics_port: int, extra: Sequence[str] = ()
    ) -> OperatorProcess:
        """``awsip run`` with ``settings`` (its --workers and rate-limit flags; none: its defaults)."""
        command = [
            sys.executable, "-m", "awsip", "run", "--all-namespaces", "--standalone", *settings,
            f"--metrics-port={metrics_port}", "--log-format=json", *extra,
        ]  # fmt: skip
        return cls(command, env=world.operator_environment(), log=world.workdir / "operator.log")

    def start(self) -> OperatorProcess:
        handle = self.log.open("ab")
        self.process = subprocess.Popen(self.command, env=self.env, stdout=handle, stderr=subprocess.STDOUT)
        handle.close()
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def peak_rss_mib(self) -> float:
        """The process's peak resident set size so far (Linux ``VmHWM``)."""
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return math.nan

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def stop(self, timeout: float = 60) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return int(self.process.returncode)

    def check_running(self) -> None:
        assert self.process is not None
        if self.process.poll() is not None:
            tail = self.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"the operator exited with {self.process.returncode}:\n{tail}")

    def wait_live(self, url: str, *, timeout: float = 60) -> None:
        """Until the liveness endpoint ``url`` answers 200 (fails at once if the process exits)."""

        def live() -> bool:
            self.check_running()
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    return bool(response.status == 200)
            except OSError:
                return False

        wait_until(live, timeout=timeout, interval=0.1, what="the operator's liveness endpoint")


def wait_until(
    predicate: Callable[[], bool], *, timeout: float, interval: float = 0.05, what: str = ""
) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {what or predicate}")
        time.sleep(interval)


def wait_for_metrics(port: int, *, timeout: float = 60) -> dict[str, float]:
    from tests.support.metrics_scrape import scrape

    deadline = time.monotonic() + timeout
    while True:
        try:
            return scrape(port)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def aws_calls_by_operation(samples: Mapping[str, float]) -> Counter[str]:
    """``awsip_aws_calls_total`` summed over error codes: {"sts:AssumeRole": n, ...}."""
    counts: Counter[str] = Counter()
    for key, value in samples.items():
        if not key.startswith("awsip_aws_calls_total{"):
            continue
        labels = dict(part.split("=", 1) for part in key[key.index("{") + 1 : -1].split(","))
        counts[f"{labels['service'].strip(chr(34))}:{labels['operation'].strip(chr(34))}"] += int(value)
    return counts


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linear interpolation between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def print_table(rows: Iterable[Sequence[object]], *, header: Sequence[str]) -> None:
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max([len(h), *(len(row[i]) for row in cells)]) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in cells:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


@contextmanager
def timer() -> Iterator[Callable[[], float]]:
    start = time.monotonic()
    yield lambda: time.monotonic() - start


def dump(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str))


# -- profiling (py-spy) ----------------------------------------------------------------------------


class Profiler:
    """``py-spy record`` of one process (all its threads) into a raw collapsed-stack file.

    ``gil``: sample only the thread that holds the GIL, i.e. where the process spends its Python
    CPU (threads waiting on a socket or for the GIL are left out, which would otherwise dominate a
    process of many threads).
    """

    def __init__(self, pid: int, output: Path, *, rate: int = 50, gil: bool = False) -> None:
        self.output = output
        py_spy = Path(sys.executable).with_name("py-spy")
        command = [str(py_spy), "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw",
                   "--nonblocking", "--output", str(output), *(["--gil"] if gil else [])]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> Path:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.output


def profile_summary(path: Path, *, top: int = 15, width: int = 110) -> list[str]:
    """The hottest functions of a py-spy raw profile: own samples, and samples with it on the stack."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    if not path.exists():
        return [f"(no profile at {path})"]
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [
            _frame(frame) for frame in stack.split(";") if not frame.startswith(("process ", "thread "))
        ]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    lines = [f"{total} samples; own time:"]
    lines += [f"  {100 * n / total:5.1f}%  {name[:width]}" for name, n in own.most_common(top)]
    lines.append("on the stack (awsip's and the emulators' code):")
    ours = [(name, n) for name, n in inclusive.most_common() if _interesting(name)]
    lines += [f"  {100 * n / total:5.1f}%  {name[:width]}" for name, n in ours[:top]]
    return lines


def _frame(frame: str) -> str:
    # "function (path/to/module.py:123)" -> "function (path/to/module.py)"
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rsplit(':', 1)[0]})" if where else name


def _interesting(name: str) -> bool:
    return any(part in name for part in ("awsip/", "kmock/", "moto/", "kopf/", "harness.py"))
