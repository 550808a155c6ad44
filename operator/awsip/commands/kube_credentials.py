"""Whether ``awsip run`` has Kubernetes credentials, checked once before Kopf starts.

Without credentials Kopf's login handler fails, Kopf logs the traceback and retries every minute
for ever: a pod that looks alive and does nothing. ``awsip run`` asks
:func:`awsip.controller.kube_client.load_configuration` -- the very function the login handler
uses -- once up front and, if it fails, stops with one line that says where it looked: the
in-cluster service account (``KUBERNETES_SERVICE_HOST`` and its token file), ``$KUBECONFIG``, and
``~/.kube/config``, in that order.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

#: Where the kubelet mounts a pod's service-account token (in-cluster configuration).
SERVICE_ACCOUNT_TOKEN = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")
DEFAULT_KUBECONFIG = "~/.kube/config"


def where_looked(
    kubeconfig: str | None,
    environ: Mapping[str, str],
    *,
    home: Path,
    token: Path = SERVICE_ACCOUNT_TOKEN,
) -> str | None:
    """Why no configuration can be found, naming each place looked at; None if one is there.

    Mirrors :func:`~awsip.controller.kube_client.load_configuration`'s order: an explicit
    ``kubeconfig``; else in-cluster when ``KUBERNETES_SERVICE_HOST`` is set; else ``$KUBECONFIG``
    (a ``:``-separated list) or ``~/.kube/config``.
    """
    if kubeconfig is not None:
        return None if Path(kubeconfig).is_file() else f"the kubeconfig {kubeconfig} does not exist"
    if environ.get("KUBERNETES_SERVICE_HOST"):
        if token.is_file():
            return None
        return (
            f"KUBERNETES_SERVICE_HOST is set (in a pod), but the service account token {token} is "
            "missing: is automountServiceAccountToken off for the operator's pod?"
        )
    in_cluster = "not in a cluster (KUBERNETES_SERVICE_HOST is not set)"
    listed = environ.get("KUBECONFIG")
    if listed:
        paths = [path for path in listed.split(os.pathsep) if path]
        if any(Path(path).is_file() for path in paths):
            return None
        return f"no Kubernetes credentials: {in_cluster}, and KUBECONFIG={listed} names no file that exists"
    default = home / ".kube" / "config"
    if default.is_file():
        return None
    return (
        f"no Kubernetes credentials: {in_cluster}, KUBECONFIG is not set, and {DEFAULT_KUBECONFIG} "
        f"({default}) does not exist. Run awsip in a pod with a service account, or point KUBECONFIG "
        "at a kubeconfig"
    )


def source(kubeconfig: str | None, environ: Mapping[str, str], *, home: Path) -> str:
    """The configuration :func:`load_configuration` will use, in words."""
    if kubeconfig is not None:
        return f"the kubeconfig {kubeconfig}"
    if environ.get("KUBERNETES_SERVICE_HOST"):
        return "the in-cluster service account"
    if environ.get("KUBECONFIG"):
        return f"KUBECONFIG={environ['KUBECONFIG']}"
    return f"{DEFAULT_KUBECONFIG} ({home / '.kube' / 'config'})"


def problem(kubeconfig: str | None = None) -> str | None:
    """None when the operator can log in to Kubernetes; else one line saying why not."""
    missing = where_looked(kubeconfig, os.environ, home=Path.home())
    if missing is not None:
        return missing
    from awsip.controller.kube_client import load_configuration

    try:
        load_configuration(kubeconfig)
    except Exception as exc:  # the client library raises ConfigException, TypeError, YAML errors...
        text = " ".join(str(exc).split()) or "no details"
        found = source(kubeconfig, os.environ, home=Path.home())
        return f"cannot use {found} ({type(exc).__name__}: {text})"
    return None
