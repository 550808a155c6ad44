"""A real Kubernetes control plane on loopback: etcd and kube-apiserver, built from Go modules.

``scripts/build-kube-tools.sh`` builds both into ``.tools/kube`` (it needs Go; running the
operator or the default sandbox does not). :class:`ControlPlane` starts them on 127.0.0.1 with
what a cluster's API server has: TLS with a generated CA, token authentication (an admin in
``system:masters``), ``--authorization-mode=RBAC``, service-account signing keys (so that
``kubectl create token`` works) and the real CRD machinery (structural schemas, defaulting, CEL
with its cost budget, printer columns, ``metadata.generation``).

There is no scheduler, kubelet or controller-manager: objects are stored, validated, authorized
and watched as in a cluster, but pods never run, Deployments never get replicas, namespaces are
never finalized after a delete and owner references are never garbage-collected.

Usage::

    with ControlPlane(workdir) as control_plane:        # ControlPlaneError says why it cannot start
        control_plane.kubeconfig                         # admin kubeconfig (a file)
        control_plane.write_kubeconfig(path, token=...)  # another identity's
        control_plane.client()                           # a SandboxClient with the admin token
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from awsip.api import constants
from awsip.api.crd_manifest import custom_resource_definition
from awsip.sandbox.client import ApiError, SandboxClient

#: Where scripts/build-kube-tools.sh puts the binaries, in a checkout.
DEFAULT_TOOLS = Path(__file__).resolve().parents[3] / ".tools" / "kube"
BINARIES = ("etcd", "kube-apiserver")
SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local"
ADMIN_USER = "awsip-admin"


class ControlPlaneError(RuntimeError):
    """The control plane cannot start; the message says why (missing binaries, a failed process)."""


def missing_tools(tools: Path = DEFAULT_TOOLS) -> list[str]:
    return [name for name in BINARIES if not os.access(tools / name, os.X_OK)]


class ControlPlane:
    def __init__(self, workdir: Path, *, tools: Path = DEFAULT_TOOLS, start_timeout: float = 180) -> None:
        self.workdir = workdir
        self.tools = tools
        self.start_timeout = start_timeout
        self.kubeconfig = workdir / "kubeconfig"
        self.ca_file = workdir / "pki" / "ca.crt"
        self.admin_token = secrets.token_urlsafe(32)
        self.url = ""
        self._processes: list[tuple[str, subprocess.Popen[bytes], IO[bytes]]] = []

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> ControlPlane:
        missing = missing_tools(self.tools)
        if missing:
            raise ControlPlaneError(
                f"{', '.join(missing)} not found in {self.tools}: build them with "
                "`bash scripts/build-kube-tools.sh` (needs Go; `make test` runs it)"
            )
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            pki = self._write_pki()
            etcd_url = self._start_etcd()
            self._start_apiserver(etcd_url, pki)
            self.write_kubeconfig(self.kubeconfig, token=self.admin_token, user=ADMIN_USER)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop kube-apiserver, then etcd (SIGTERM, then SIGKILL after a grace period)."""
        for _name, process, log in reversed(self._processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=15)
            log.close()
        self._processes.clear()

    def __enter__(self) -> ControlPlane:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- access ----------------------------------------------------------------------------------

    def client(self, *, token: str | None = None, timeout: float = 10) -> SandboxClient:
        return SandboxClient(
            self.url, timeout=timeout, token=token or self.admin_token, ca_file=str(self.ca_file)
        )

    def write_kubeconfig(
        self, path: Path, *, token: str | None = None, user: str = ADMIN_USER, namespace: str = "default"
    ) -> Path:
        """A kubeconfig for ``token`` (the admin's by default); the CA is embedded."""
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "awsip-test",
                    "cluster": {
                        "server": self.url,
                        "certificate-authority-data": _b64(self.ca_file.read_bytes()),
                    },
                }
            ],
            "users": [{"name": user, "user": {"token": token or self.admin_token}}],
            "contexts": [
                {"name": user, "context": {"cluster": "awsip-test", "user": user, "namespace": namespace}}
            ],
            "current-context": user,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        path.chmod(0o600)
        return path

    def install_crd(self, *, timeout: float = 60) -> None:
        """Create awsip's CRD (as generated from the API types) and wait until it is served."""
        client = self.client()
        crd = custom_resource_definition()
        base = f"{self.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        if client.request("GET", f"{base}?fieldSelector=metadata.name%3D{constants.CRD_NAME}")["items"]:
            return
        client.request("POST", base, crd)
        deadline = time.monotonic() + timeout
        while True:
            status = client.request("GET", f"{base}/{constants.CRD_NAME}").get("status") or {}
            conditions = status.get("conditions") or []
            if any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
                try:
                    client.providers()
                    return
                except ApiError:  # not yet in discovery
                    pass
            if time.monotonic() > deadline:
                raise ControlPlaneError(f"the CRD was not established within {timeout:.0f}s: {conditions}")
            time.sleep(0.2)

    def logs(self, name: str, *, lines: int = 40) -> str:
        """The last lines of a process's log (``etcd`` or ``kube-apiserver``)."""
        path = self.workdir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    # -- internals -------------------------------------------------------------------------------

    def _write_pki(self) -> dict[str, Path]:
        pki = self.workdir / "pki"
        pki.mkdir(parents=True, exist_ok=True)
        now = datetime.datetime.now(datetime.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "awsip-test-ca")])
        ca = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(ca_key, hashes.SHA256())
        )
        server_key = ec.generate_private_key(ec.SECP256R1())
        names: list[x509.GeneralName] = [
            x509.DNSName(name)
            for name in ("localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc")
        ]
        names.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
        server = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
            .issuer_name(ca_name)
            .public_key(server_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        service_account_key = ec.generate_private_key(ec.SECP256R1())
        files = {
            "ca.crt": ca.public_bytes(serialization.Encoding.PEM),
            "server.crt": server.public_bytes(serialization.Encoding.PEM),
            "server.key": _private_pem(server_key),
            "sa.key": _private_pem(service_account_key),
            "sa.pub": service_account_key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
            # Static token authentication: token,user,uid,"group1,group2".
            "tokens.csv": f'{self.admin_token},{ADMIN_USER},{ADMIN_USER},"system:masters"\n'.encode(),
        }
        paths = {}
        for name, content in files.items():
            path = pki / name
            path.write_bytes(content)
            path.chmod(0o600)
            paths[name] = path
        return paths

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log = (self.workdir / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [str(self.tools / name), *args],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
            start_new_session=True,  # a Ctrl-C of the caller reaches it only through stop()
        )
        self._processes.append((name, process, log))
        return process

    def _start_etcd(self) -> str:
        client_port, peer_port = _free_port(), _free_port()
        client_url, peer_url = f"http://127.0.0.1:{client_port}", f"http://127.0.0.1:{peer_port}"
        data = self.workdir / "etcd-data"
        shutil.rmtree(data, ignore_errors=True)
        process = self._spawn(
            "etcd",
            [
                "--name=awsip-test",
                f"--data-dir={data}",
                f"--listen-client-urls={client_url}",
                f"--advertise-client-urls={client_url}",
                f"--listen-peer-urls={peer_url}",
                f"--initial-advertise-peer-urls={peer_url}",
                f"--initial-cluster=awsip-test={peer_url}",
                "--unsafe-no-fsync",  # a throw-away store: no fsync on every write
                "--log-level=warn",
            ],
        )
        self._wait("etcd", process, lambda: _etcd_healthy(client_url))
        return client_url

    def _start_apiserver(self, etcd_url: str, pki: dict[str, Path]) -> None:
        port = _free_port()
        self.url = f"https://127.0.0.1:{port}"
        process = self._spawn(
            "kube-apiserver",
            [
                f"--etcd-servers={etcd_url}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={port}",
                f"--cert-dir={self.workdir / 'pki'}",
                f"--tls-cert-file={pki['server.crt']}",
                f"--tls-private-key-file={pki['server.key']}",
                f"--client-ca-file={pki['ca.crt']}",
                f"--token-auth-file={pki['tokens.csv']}",
                "--authorization-mode=RBAC",
                f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
                f"--service-account-key-file={pki['sa.pub']}",
                f"--service-account-signing-key-file={pki['sa.key']}",
                "--service-cluster-ip-range=10.96.0.0/24",
                # Nothing reconciles the `kubernetes` Service's endpoints to this loopback address.
                "--endpoint-reconciler-type=none",
                "--enable-priority-and-fairness=false",
                "--profiling=false",
                "--v=1",
            ],
        )
        self._wait("kube-apiserver", process, self._apiserver_ready)

    def _apiserver_ready(self) -> bool:
        request = urllib.request.Request(
            f"{self.url}/readyz", headers={"Authorization": f"Bearer {self.admin_token}"}
        )
        context = ssl.create_default_context(cafile=str(self.ca_file))
        try:
            with urllib.request.urlopen(request, timeout=5, context=context) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def _wait(self, name: str, process: subprocess.Popen[bytes], ready: Any) -> None:
        deadline = time.monotonic() + self.start_timeout
        while not ready():
            if process.poll() is not None:
                raise ControlPlaneError(
                    f"{name} exited with status {process.returncode} while starting; "
                    f"its log ({self.workdir / (name + '.log')}) ends with:\n{self.logs(name)}"
                )
            if time.monotonic() > deadline:
                raise ControlPlaneError(
                    f"{name} was not ready within {self.start_timeout:.0f}s; its log ends with:\n"
                    f"{self.logs(name)}"
                )
            time.sleep(0.25)


def _private_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _etcd_healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
            return bool(json.loads(response.read()).get("health") == "true")
    except (urllib.error.URLError, OSError, ValueError):
        return False
