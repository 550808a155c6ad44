"""The floor of the scale benchmark: a minimal operator, run as ``python benchmarks/floor_operator.py``.

It does the least an operator that verifies a role must do for a provider: ``sts:AssumeRole`` with
the provider's External ID, the reads a verification makes with the role's session
(``iam:GetRole``, ``iam:ListAttachedRolePolicies``, ``iam:ListRolePolicies``), and one status
patch with ``Ready=True``. Same framework (Kopf, watching the providers cluster-wide), same
clients (boto3, one IAM client shared by all sessions and signing with each session's
credentials, as awsip's; the kubernetes client), same worker pool size as ``awsip run``; no
policy evaluation, no Reconciling patch, no Kopf handler progress (an ``on.event`` handler
persists nothing), no finalizer, no Events. What the emulators need to serve that is the floor to
compare awsip against.

Flags: ``--workers N`` (threads for the blocking calls), ``--liveness URL``, ``--assume-only``
(no IAM reads: AssumeRole and the patch alone).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import datetime
import logging
import threading
from typing import Any

import boto3
import kopf
from botocore.credentials import Credentials

from awsip.api import constants
from awsip.controller import kube_client as kube
from awsip.status import uid_bound_patch

_state: dict[str, Any] = {}
_session = threading.local()


def _pool() -> concurrent.futures.ThreadPoolExecutor:
    pool: concurrent.futures.ThreadPoolExecutor = _state["pool"]
    return pool


def _sign_as_session(context: dict[str, Any] | None = None, **_: Any) -> None:
    if context is not None:
        context.setdefault("signing", {})["request_credentials"] = _session.credentials


@kopf.on.startup()
def startup(settings: kopf.OperatorSettings, **_: Any) -> None:
    settings.posting.enabled = False
    settings.watching.server_timeout = 600
    configuration = kube.load_configuration()
    configuration.connection_pool_maxsize = _pool()._max_workers
    _state["kube"] = kube.KubeClient(configuration)
    session = boto3.session.Session()
    _state["sts"] = session.client("sts")
    iam = session.client("iam", aws_access_key_id="unused", aws_secret_access_key="unused")
    iam.meta.events.register("before-call", _sign_as_session)
    _state["iam"] = iam


@kopf.on.login()
def login(**_: Any) -> kopf.ConnectionInfo:
    return kube.connection_info(kube.load_configuration())


def _verify(namespace: str, name: str, uid: str | None, spec: dict[str, Any]) -> None:
    params = {"RoleArn": spec["roleARN"], "RoleSessionName": f"floor-{name}"[:64]}
    if spec.get("externalID"):
        params["ExternalId"] = spec["externalID"]
    credentials = _state["sts"].assume_role(**params)["Credentials"]
    if not _state["assume_only"]:
        _session.credentials = Credentials(
            credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]
        )
        role_name = spec["roleARN"].rsplit("/", 1)[1]
        iam = _state["iam"]
        iam.get_role(RoleName=role_name)
        iam.list_attached_role_policies(RoleName=role_name)
        iam.list_role_policies(RoleName=role_name)
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    ready = {
        "type": "Ready",
        "status": "True",
        "reason": "Verified",
        "message": "Assumed.",
        "lastTransitionTime": now,
    }
    # The same kind of write as awsip's: a JSON patch bound to the object's uid.
    status = {"conditions": [ready], "lastVerifiedTime": now}
    _state["kube"].patch_status(namespace, name, uid_bound_patch(None, status, uid=uid))


@kopf.on.event(constants.GROUP, constants.VERSION, constants.PLURAL)
async def event(type: str | None, body: kopf.Body, **_: Any) -> None:
    if type not in (None, "ADDED") or body.get("status"):
        return
    spec = dict(body.get("spec") or {})
    namespace, name = str(body.metadata.namespace), str(body.metadata.name)
    uid = body.metadata.uid
    await asyncio.get_running_loop().run_in_executor(_pool(), _verify, namespace, name, uid, spec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--liveness", default=None)
    parser.add_argument("--assume-only", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    _state["pool"] = concurrent.futures.ThreadPoolExecutor(args.workers)
    _state["assume_only"] = args.assume_only
    kopf.run(clusterwide=True, standalone=True, liveness_endpoint=args.liveness)


if __name__ == "__main__":
    main()
