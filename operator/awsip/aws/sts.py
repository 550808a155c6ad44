"""STS calls: AssumeRole and GetCallerIdentity, and the shapes they return.

Temporary credentials are kept in memory only, in an object whose ``repr`` shows none of them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

_ASSUMED_ROLE_ARN = re.compile(r"^arn:([^:]+):sts::([0-9]{12}):assumed-role/([^/]+)/(.+)$")


@dataclass(frozen=True)
class CallerIdentity:
    """The result of GetCallerIdentity."""

    account: str
    arn: str
    user_id: str = ""

    @property
    def partition(self) -> str:
        return self.arn.split(":", 2)[1] if self.arn.startswith("arn:") else "aws"

    @property
    def role_name(self) -> str | None:
        """The IAM role's name when this identity is an assumed-role session (IRSA, Pod Identity, ...)."""
        match = _ASSUMED_ROLE_ARN.match(self.arn)
        return match.group(3) if match else None

    @property
    def principal_arn(self) -> str:
        """The ARN a trust policy names to trust this identity.

        An assumed-role session ``arn:aws:sts::111122223333:assumed-role/NAME/SESSION`` is trusted
        as its role, ``arn:aws:iam::111122223333:role/NAME`` (IAM does not report the role's path
        here; trust policies match the role by name and path, so a role with a path must be named
        with it). Users and other principals are trusted by their own ARN.
        """
        match = _ASSUMED_ROLE_ARN.match(self.arn)
        if match:
            partition, account, role, _session = match.groups()
            return f"arn:{partition}:iam::{account}:role/{role}"
        return self.arn


@dataclass(frozen=True)
class TemporaryCredentials:
    """Credentials of an assumed-role session. Nothing of them appears in ``repr`` or ``str``."""

    access_key_id: str = field(repr=False)
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    expiration: datetime | None = None
    account: str = ""
    """The role's account: where every call signed with these credentials counts (AWS's quotas)."""

    def __str__(self) -> str:
        return repr(self)


@dataclass(frozen=True)
class AssumedRole:
    credentials: TemporaryCredentials
    assumed_role_arn: str
    assumed_role_id: str = ""

    @property
    def identity(self) -> CallerIdentity | None:
        """The session's identity, as GetCallerIdentity with it would answer; None if AssumeRole's
        answer did not name it."""
        match = _ASSUMED_ROLE_ARN.match(self.assumed_role_arn)
        if match is None:
            return None
        return CallerIdentity(account=match.group(2), arn=self.assumed_role_arn, user_id=self.assumed_role_id)


#: Characters STS accepts in a session tag value besides letters, separators and numbers
#: (its pattern is ``[\p{L}\p{Z}\p{N}_.:/=+\-@]*``, at most 256 characters).
_TAG_VALUE_SYMBOLS = frozenset("_.:/=+-@")
MAX_TAG_VALUE_LENGTH = 256


def session_tag_value(value: str) -> str:
    """``value`` as STS accepts it for a session tag: other characters become ``_``, and it is cut
    to 256 characters. Kubernetes names (what awsip passes) never need either."""
    cleaned = "".join(
        char if char in _TAG_VALUE_SYMBOLS or unicodedata.category(char)[0] in "LZN" else "_"
        for char in value
    )
    return cleaned[:MAX_TAG_VALUE_LENGTH]


def assume_role(
    sts: Any,
    *,
    role_arn: str,
    session_name: str,
    duration_seconds: int,
    external_id: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> AssumedRole:
    """Call STS AssumeRole with the client's (the operator's) credentials."""
    params: dict[str, Any] = {
        "RoleArn": role_arn,
        "RoleSessionName": session_name,
        "DurationSeconds": duration_seconds,
    }
    if external_id is not None:
        params["ExternalId"] = external_id
    if tags:
        params["Tags"] = [{"Key": key, "Value": session_tag_value(value)} for key, value in tags.items()]
    response = sts.assume_role(**params)
    credentials = response["Credentials"]
    return AssumedRole(
        credentials=TemporaryCredentials(
            access_key_id=credentials["AccessKeyId"],
            secret_access_key=credentials["SecretAccessKey"],
            session_token=credentials["SessionToken"],
            expiration=credentials.get("Expiration"),
            account=_arn_account(role_arn),
        ),
        assumed_role_arn=str(response.get("AssumedRoleUser", {}).get("Arn", "")),
        assumed_role_id=str(response.get("AssumedRoleUser", {}).get("AssumedRoleId", "")),
    )


def _arn_account(arn: str) -> str:
    """The account field of an ARN (``arn:PARTITION:SERVICE:REGION:ACCOUNT:...``), or ""."""
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 and parts[0] == "arn" else ""


def get_caller_identity(sts: Any) -> CallerIdentity:
    response = sts.get_caller_identity()
    return CallerIdentity(
        account=str(response["Account"]), arn=str(response["Arn"]), user_id=str(response.get("UserId", ""))
    )
