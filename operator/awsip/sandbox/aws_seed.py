"""Seeding a loopback moto server with the AWS side of awsip: the operator's identity and provider roles.

Used by the tests, the sandbox and the e2e harness::

    with MotoServer() as moto:                       # ThreadedMotoServer on 127.0.0.1, free port
        iam = moto.client("iam")                      # admin client (moto's auth mode is off)
        operator = create_operator_user(iam)          # IAM user + access keys: the operator identity
        policy_arn = create_managed_policy(iam, "capa-minimal", load_profile("capa-minimal"))
        role_arn = create_provider_role(iam, "capa", trusted_principal_arn=operator.arn,
                                        external_id="...", managed_policy_arns=[policy_arn])
        moto.set_iam_auth(True)                       # from now on moto enforces IAM policies
        # point the operator at it: AWS_ENDPOINT_URL=moto.endpoint, operator.environment()

What moto's IAM auth mode enforces (moto 5): every request must be signed with a key moto knows
(an IAM user's access key or an assumed-role session); identity policies are evaluated for the
action (resources only where moto resolves them, e.g. roles); ``sts:AssumeRole`` also needs the
role's trust policy to name the caller's ARN exactly (no account-root matching), and a
``StringEquals sts:ExternalId`` condition rejects a wrong External ID (but accepts a missing one).
So trust policies seeded here name the operator user's exact ARN.

Where moto answers otherwise than AWS, :func:`answer_like_aws_for_missing_roles` (installed by
:class:`MotoServer`) corrects it here, in the emulated world, never in the product:

* moto lets ``sts:AssumeRole`` succeed for a role that does not exist ("the role does not need to
  exist", its docstring says) and skips the trust check; the session's IAM calls then fail inside
  moto with a 500 and a traceback, which botocore cannot parse. AWS answers AccessDenied to the
  AssumeRole itself (and NoSuchEntity to reads of the role, which moto already does).
* a session of a role deleted since is answered with the same 500 on every call; AWS denies it
  (the role's policies are gone with it).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3

#: moto's default account: everything seeded here lives in it.
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
#: Credentials for requests while moto's auth mode is off (moto accepts any).
ADMIN_ACCESS_KEY_ID = "AKIAIOSFODNN7SEEDING"
ADMIN_SECRET_ACCESS_KEY = "seeding-secret-key-not-a-real-one"

#: What the operator's own identity may do in the sandbox: assume provider roles and read IAM
#: roles and policies (the Local check falls back to it). Not iam:SimulatePrincipalPolicy: moto
#: does not implement it (it answers 500), and without the permission the Auto method cleanly
#: runs Local only.
OPERATOR_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AssumeProviderRoles",
            "Effect": "Allow",
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Resource": "*",
        },
        {
            "Sid": "ReadRolesAndPolicies",
            "Effect": "Allow",
            "Action": [
                "iam:GetRole",
                "iam:ListAttachedRolePolicies",
                "iam:ListRolePolicies",
                "iam:GetRolePolicy",
                "iam:GetPolicy",
                "iam:GetPolicyVersion",
            ],
            "Resource": "*",
        },
    ],
}


@dataclass(frozen=True)
class OperatorUser:
    """An IAM user whose access keys act as the operator's own credentials."""

    name: str
    arn: str
    access_key_id: str = field(repr=False)
    secret_access_key: str = field(repr=False)

    def environment(self, endpoint: str, *, region: str = REGION) -> dict[str, str]:
        """Environment variables that make boto3's default chain use this user against ``endpoint``."""
        return {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
        }


def answer_like_aws_for_missing_roles() -> None:
    """Patch moto (process-wide, once): AssumeRole of a role that does not exist is AccessDenied,
    and a deleted role's session is denied everything instead of failing with a 500.

    Only requests checked by moto's IAM auth mode are concerned, as in AWS, where every request is.
    The role is looked up in the account its ARN names (moto keeps one IAM per account).
    """
    from moto.iam import access_control
    from moto.iam.exceptions import NotFoundException
    from moto.iam.models import iam_backends

    base = access_control.IAMRequestBase
    if getattr(base, "_awsip_answers_like_aws", False):
        return
    check_action_permitted = base.check_action_permitted
    collect_policies = access_control.AssumedRoleAccessKey.collect_policies

    def role_exists(role_arn: str) -> bool:
        parts = role_arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
            return False
        try:
            iam_backends[parts[4]][parts[1]].get_role_by_arn(role_arn)
        except NotFoundException:
            return False
        return True

    def checked(self: Any, resource: str) -> None:
        if self._action == "sts:AssumeRole" and not role_exists(resource):
            self._raise_access_denied()
        check_action_permitted(self, resource)

    def policies_of_a_role_that_may_be_gone(self: Any) -> list[str]:
        try:
            policies: list[str] = collect_policies(self)
        except NotFoundException:
            return []  # no policy allows anything: every action is denied
        return policies

    base.check_action_permitted = checked  # type: ignore[method-assign]
    access_control.AssumedRoleAccessKey.collect_policies = policies_of_a_role_that_may_be_gone  # type: ignore[method-assign]
    base._awsip_answers_like_aws = True  # type: ignore[attr-defined]


class MotoServer:
    """A moto server in a thread on 127.0.0.1 (a free port unless one is given), answering like AWS
    where moto does not (:func:`answer_like_aws_for_missing_roles`)."""

    def __init__(self, port: int = 0) -> None:
        from moto.server import ThreadedMotoServer

        answer_like_aws_for_missing_roles()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self.endpoint = ""

    def start(self) -> MotoServer:
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        # moto keeps its auth mode in process-wide state that outlives a server: an earlier
        # server in this process (a test, the sandbox) may have left it on. Start from off.
        self.set_iam_auth(False)
        return self

    def stop(self) -> None:
        try:
            self.set_iam_auth(False)
        finally:
            self._server.stop()

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget every resource (and switch auth mode off)."""
        self.set_iam_auth(False)
        _post(f"{self.endpoint}/moto-api/reset", b"")

    def set_iam_auth(self, enabled: bool) -> None:
        """Switch moto's IAM authentication and authorization on or off for all later requests."""
        set_iam_auth(self.endpoint, enabled)

    def client(self, service: str, *, region: str = REGION) -> Any:
        """A client with seeding credentials (works while auth mode is off)."""
        return boto3.session.Session().client(
            service,
            region_name=region,
            endpoint_url=self.endpoint,
            aws_access_key_id=ADMIN_ACCESS_KEY_ID,
            aws_secret_access_key=ADMIN_SECRET_ACCESS_KEY,
        )


def set_iam_auth(endpoint: str, enabled: bool) -> None:
    """moto's ``/moto-api/reset-auth`` takes the number of requests to let through unauthenticated."""
    _post(f"{endpoint}/moto-api/reset-auth", b"0" if enabled else b"inf")


def _post(url: str, body: bytes) -> None:
    # Not form-encoded: moto reads the raw body (werkzeug would consume a form body).
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/octet-stream"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def create_operator_user(
    iam: Any, name: str = "awsip-operator", *, policy: Mapping[str, Any] | None = OPERATOR_POLICY
) -> OperatorUser:
    """An IAM user with an inline policy (default :data:`OPERATOR_POLICY`) and an access key."""
    user = iam.create_user(UserName=name)["User"]
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="awsip-operator", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return OperatorUser(
        name=name, arn=user["Arn"], access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"]
    )


def create_managed_policy(iam: Any, name: str, document: Mapping[str, Any], *, path: str = "/") -> str:
    """A customer-managed policy; returns its ARN."""
    arn: str = iam.create_policy(PolicyName=name, Path=path, PolicyDocument=json.dumps(document))["Policy"][
        "Arn"
    ]
    return arn


def provider_trust_policy(
    trusted_principal_arn: str, *, external_id: str | None = None, wildcard_principal: bool = False
) -> dict[str, Any]:
    """A trust policy naming ``trusted_principal_arn`` exactly (``*`` with ``wildcard_principal``)."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": "*" if wildcard_principal else trusted_principal_arn},
        "Action": "sts:AssumeRole",
    }
    if external_id is not None:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return {"Version": "2012-10-17", "Statement": [statement]}


def create_provider_role(
    iam: Any,
    name: str,
    *,
    trusted_principal_arn: str | None = None,
    external_id: str | None = None,
    trust_policy: Mapping[str, Any] | None = None,
    managed_policy_arns: Sequence[str] = (),
    inline_policies: Mapping[str, Mapping[str, Any]] | None = None,
    boundary_arn: str | None = None,
    path: str = "/",
    max_session_duration: int = 3600,
) -> str:
    """A provider role; returns its ARN.

    The trust policy is ``trust_policy`` if given, else :func:`provider_trust_policy` for
    ``trusted_principal_arn`` and ``external_id``.
    """
    if trust_policy is None:
        if trusted_principal_arn is None:
            raise ValueError("give trusted_principal_arn or trust_policy")
        trust_policy = provider_trust_policy(trusted_principal_arn, external_id=external_id)
    params: dict[str, Any] = {
        "RoleName": name,
        "Path": path,
        "AssumeRolePolicyDocument": json.dumps(trust_policy),
        "MaxSessionDuration": max_session_duration,
    }
    if boundary_arn is not None:
        params["PermissionsBoundary"] = boundary_arn
    arn: str = iam.create_role(**params)["Role"]["Arn"]
    for policy_arn in managed_policy_arns:
        iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
    for policy_name, document in (inline_policies or {}).items():
        iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(document))
    return arn


def without_actions(document: Mapping[str, Any], actions: Sequence[str]) -> dict[str, Any]:
    """A copy of a policy document without the given actions (statements left empty are dropped)."""
    removed = {action.lower() for action in actions}
    statements = []
    for statement in document["Statement"]:
        statement = dict(statement)
        listed = statement.get("Action")
        if listed is not None:
            kept = [a for a in ([listed] if isinstance(listed, str) else listed) if a.lower() not in removed]
            if not kept:
                continue
            statement["Action"] = kept
        statements.append(statement)
    return {**document, "Statement": statements}
