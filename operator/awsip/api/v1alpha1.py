"""API types of ``AWSInfrastructureProvider`` (infrastructure.awsip.io/v1alpha1).

These pydantic models are the single source of truth: the CRD's OpenAPI schema is generated from
them (``awsip crd``), and the operator parses specs and builds statuses with them. Rules that
Kubernetes must enforce across fields are attached as CEL (``x-kubernetes-validations``) and are
mirrored by pydantic validators so that the command line rejects the same documents.

Regular expressions spell out ASCII classes (``[A-Za-z0-9_]`` rather than ``\\w``) because the
API server (RE2) and pydantic (Rust regex) disagree on whether ``\\w`` matches Unicode letters.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from awsip.api import constants

# ---------------------------------------------------------------------------------------------
# Patterns (shared by the CRD schema and pydantic)
# ---------------------------------------------------------------------------------------------

PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
#: arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME -- IAM allows paths of printable ASCII (! to ~).
ROLE_ARN_PATTERN = (
    r"^arn:(aws|aws-cn|aws-us-gov):iam::[0-9]{12}:role/([!-~]{0,510}/)?[A-Za-z0-9_+=,.@-]{1,64}$"
)
EXTERNAL_ID_PATTERN = r"^[A-Za-z0-9_+=,.@:/-]+$"
SESSION_NAME_PATTERN = r"^[A-Za-z0-9_+=,.@-]+$"
REGION_PATTERN = r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$"
DNS_SUBDOMAIN_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
DATA_KEY_PATTERN = r"^[-._a-zA-Z0-9]+$"
#: Go duration strings as Flux and Argo CD accept them: 30s, 5m, 1h, 1h30m.
DURATION_PATTERN = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"
#: The bounds of verification.interval. Above a month a verdict says little about the role's
#: present, and far above it the date arithmetic of the schedule leaves the calendar.
MIN_INTERVAL = "1m"
MAX_INTERVAL = "720h"
CONDITION_REASON_PATTERN = r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"
ACCOUNT_ID_PATTERN = r"^[0-9]{12}$"

MAX_MISSING_LISTED = 50
MAX_TRUST_FINDINGS = 20
MAX_POLICY_FINDINGS = 20
MAX_MESSAGE_LENGTH = 4096
MAX_REASON_LENGTH = 1024

Profile = Literal["capa-minimal"]
VerificationMethod = Literal["Auto", "Local", "Simulate"]
ConditionStatus = Literal["True", "False", "Unknown"]
PermissionsMethod = Literal["Local", "Simulate", "LocalAndSimulate"]
Severity = Literal["Critical", "High", "Medium", "Low", "Info"]


def _cel(rule: str, message: str, *, field_path: str | None = None, reason: str | None = None) -> Any:
    """One ``x-kubernetes-validations`` entry (typed ``Any`` to fit pydantic's JSON-schema extras)."""
    validation = {"rule": rule, "message": message}
    if field_path:
        validation["fieldPath"] = field_path
    if reason:
        validation["reason"] = reason
    return validation


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid", frozen=True)

    def to_k8s(self) -> dict[str, Any]:
        """The object as it is stored in Kubernetes (camelCase keys, unset fields omitted)."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


# ---------------------------------------------------------------------------------------------
# Spec
# ---------------------------------------------------------------------------------------------


class SecretKeyRef(_Model):
    """A key of a Secret in the provider's own namespace."""

    name: Annotated[str, Field(min_length=1, max_length=253, pattern=DNS_SUBDOMAIN_PATTERN)] = Field(
        description="Name of the Secret, in the same namespace as the provider."
    )
    key: Annotated[str, Field(min_length=1, max_length=253, pattern=DATA_KEY_PATTERN)] = Field(
        description="Key in the Secret's data that holds the External ID."
    )


class ConfigMapKeyRef(_Model):
    """A key of a ConfigMap in the provider's own namespace."""

    name: Annotated[str, Field(min_length=1, max_length=253, pattern=DNS_SUBDOMAIN_PATTERN)] = Field(
        description="Name of the ConfigMap, in the same namespace as the provider."
    )
    key: Annotated[str, Field(min_length=1, max_length=253, pattern=DATA_KEY_PATTERN)] = Field(
        description="Key in the ConfigMap's data that holds an IAM policy document (JSON)."
    )


class RequiredPolicy(_Model):
    """The permissions the role must grant: a built-in profile or a policy document of your own."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                _cel(
                    "has(self.profile) != has(self.configMapRef)",
                    "set exactly one of requiredPolicy.profile or requiredPolicy.configMapRef",
                )
            ]
        }
    )

    profile: Profile | None = Field(
        default=None,
        description="Built-in policy profile. capa-minimal is the minimal policy that Cluster API "
        "Provider AWS needs.",
    )
    config_map_ref: ConfigMapKeyRef | None = Field(
        default=None,
        alias="configMapRef",
        description="A ConfigMap key holding the required IAM policy document as JSON.",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> RequiredPolicy:
        if (self.profile is None) == (self.config_map_ref is None):
            raise ValueError("set exactly one of requiredPolicy.profile or requiredPolicy.configMapRef")
        return self


class Verification(_Model):
    """How and how often the role is verified."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                _cel(
                    f"duration(self.interval) >= duration('{MIN_INTERVAL}')",
                    f"verification.interval must be at least {MIN_INTERVAL}",
                    field_path=".interval",
                ),
                _cel(
                    f"duration(self.interval) <= duration('{MAX_INTERVAL}')",
                    f"verification.interval must be at most {MAX_INTERVAL} (30 days)",
                    field_path=".interval",
                ),
            ]
        }
    )

    interval: Annotated[str, Field(max_length=32, pattern=DURATION_PATTERN)] = Field(
        default=constants.DEFAULT_INTERVAL,
        description="How often the role is re-verified, as a duration (30m, 1h, 6h). At least 1m, "
        "at most 720h (30 days).",
    )
    method: VerificationMethod = Field(
        default="Auto",
        description="Local reads the role's policies and evaluates them; Simulate asks IAM's "
        "SimulatePrincipalPolicy (which also sees SCPs); Auto runs Local, and Simulate where permitted.",
    )
    probe_external_id: bool = Field(
        default=False,
        alias="probeExternalID",
        description="Also try AssumeRole without the External ID: if AWS lets us in, the trust policy "
        "does not enforce it.",
    )

    @model_validator(mode="after")
    def _interval_at_least_a_minute(self) -> Verification:
        from awsip.api.durations import parse_duration

        seconds = parse_duration(self.interval)
        if seconds < parse_duration(MIN_INTERVAL):
            raise ValueError(f"verification.interval must be at least {MIN_INTERVAL}")
        if seconds > parse_duration(MAX_INTERVAL):
            raise ValueError(f"verification.interval must be at most {MAX_INTERVAL} (30 days)")
        return self


IdentityKind = Literal["AWSClusterControllerIdentity", "AWSClusterRoleIdentity", "AWSClusterStaticIdentity"]


class AWSIdentityReference(_Model):
    """A Cluster API Provider AWS identity (cluster-scoped), as CAPA's v1beta2 AWSIdentityReference."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                _cel(
                    "self.kind != 'AWSClusterControllerIdentity' || self.name == 'default'",
                    "CAPA's AWSClusterControllerIdentity is a singleton named default",
                    field_path=".name",
                )
            ]
        }
    )

    kind: IdentityKind = Field(description="Kind of the identity.")
    name: Annotated[str, Field(min_length=1, max_length=253, pattern=DNS_SUBDOMAIN_PATTERN)] = Field(
        description="Name of the identity (cluster-scoped)."
    )

    @model_validator(mode="after")
    def _controller_identity_is_default(self) -> AWSIdentityReference:
        if self.kind == "AWSClusterControllerIdentity" and self.name != "default":
            raise ValueError("CAPA's AWSClusterControllerIdentity is a singleton named default")
        return self


class RoleIdentity(_Model):
    """The AWSClusterRoleIdentity awsip creates and keeps for this provider while it is Ready."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                _cel(
                    "!has(self.sourceIdentityRef) || self.sourceIdentityRef.kind != "
                    "'AWSClusterRoleIdentity' || self.sourceIdentityRef.name != self.name",
                    "sourceIdentityRef must not name the identity itself",
                    field_path=".sourceIdentityRef",
                )
            ]
        }
    )

    name: Annotated[str, Field(min_length=1, max_length=253, pattern=DNS_SUBDOMAIN_PATTERN)] = Field(
        description="Name of the AWSClusterRoleIdentity (infrastructure.cluster.x-k8s.io/v1beta2, "
        "cluster-scoped). awsip creates it, or updates it if awsip created it for this provider; an "
        "identity of that name that awsip did not create for this provider is never taken over."
    )
    source_identity_ref: AWSIdentityReference | None = Field(
        default=None,
        alias="sourceIdentityRef",
        description="The identity whose credentials assume the role (CAPA chains them). Defaults to "
        "CAPA's own controller identity: {kind: AWSClusterControllerIdentity, name: default}.",
    )

    @model_validator(mode="after")
    def _not_its_own_source(self) -> RoleIdentity:
        source = self.source_identity_ref
        if source is not None and source.kind == "AWSClusterRoleIdentity" and source.name == self.name:
            raise ValueError("sourceIdentityRef must not name the identity itself")
        return self


class ClusterAPI(_Model):
    """What awsip does for Cluster API Provider AWS (CAPA) with this provider once it is verified."""

    role_identity: RoleIdentity | None = Field(
        default=None,
        alias="roleIdentity",
        description="Create and own a CAPA AWSClusterRoleIdentity with this provider's role ARN, External "
        "ID, session name and duration, usable only from the provider's namespace (the operator must "
        "run with --cluster-api-identities). Clusters then name it in AWSCluster.spec.identityRef.",
    )


class AWSInfrastructureProviderSpec(_Model):
    """An AWS account registered as an infrastructure provider: a role to assume, and how to check it."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                _cel(
                    "!(has(self.externalID) && has(self.externalIDSecretRef))",
                    "externalID and externalIDSecretRef are mutually exclusive: set one of them",
                ),
                _cel(
                    "!has(self.region) || self.roleARN.startsWith('arn:' + "
                    "(self.region.startsWith('cn-') ? 'aws-cn' : "
                    "(self.region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws')) + ':')",
                    "region must belong to the role ARN's partition (cn-* for aws-cn, us-gov-* for "
                    "aws-us-gov, any other region for aws)",
                    field_path=".region",
                ),
            ]
        }
    )

    role_arn: Annotated[str, Field(max_length=2048, pattern=ROLE_ARN_PATTERN)] = Field(
        alias="roleARN",
        description="ARN of the IAM role to assume, e.g. arn:aws:iam::123456789012:role/capa-manager.",
    )
    external_id: Annotated[str, Field(min_length=2, max_length=1224, pattern=EXTERNAL_ID_PATTERN)] | None = (
        Field(
            default=None,
            alias="externalID",
            description="External ID that the role's trust policy requires (sts:ExternalId). Prefer "
            "externalIDSecretRef: a spec is readable by everyone who can read the resource.",
        )
    )
    external_id_secret_ref: SecretKeyRef | None = Field(
        default=None,
        alias="externalIDSecretRef",
        description="A Secret key holding the External ID. Mutually exclusive with externalID.",
    )
    session_name: Annotated[str, Field(min_length=2, max_length=64, pattern=SESSION_NAME_PATTERN)] | None = (
        Field(
            default=None,
            alias="sessionName",
            description="RoleSessionName for AssumeRole. Defaults to awsip-NAMESPACE-NAME (truncated).",
        )
    )
    duration_seconds: Annotated[int, Field(ge=900, le=43200)] = Field(
        default=constants.DEFAULT_DURATION_SECONDS,
        alias="durationSeconds",
        description="Lifetime of the assumed-role session, 900 to 43200 seconds.",
    )
    region: Annotated[str, Field(max_length=32, pattern=REGION_PATTERN)] | None = Field(
        default=None,
        description="AWS region whose regional STS endpoint is used (e.g. eu-central-1).",
    )
    required_policy: RequiredPolicy = Field(
        default_factory=lambda: RequiredPolicy(profile=constants.DEFAULT_PROFILE),
        alias="requiredPolicy",
        description="The permissions the role must grant. Defaults to the capa-minimal profile.",
        json_schema_extra={"default": {"profile": constants.DEFAULT_PROFILE}},
    )
    verification: Verification = Field(
        default_factory=Verification,
        description="How and how often the role is verified.",
        # A complete default: the API server checks a default against the schema's CEL rules when
        # the CRD is created, before nested defaults (interval) would fill it in, and refuses {}.
        json_schema_extra={
            "default": {"interval": constants.DEFAULT_INTERVAL, "method": "Auto", "probeExternalID": False}
        },
    )
    display_name: Annotated[str, Field(max_length=256)] | None = Field(
        default=None,
        alias="displayName",
        description="Human-readable name shown in user interfaces.",
    )
    cluster_api: ClusterAPI | None = Field(
        default=None,
        alias="clusterAPI",
        description="Opt-in integration with Cluster API Provider AWS (a role identity for clusters).",
    )

    @model_validator(mode="after")
    def _cross_field_rules(self) -> AWSInfrastructureProviderSpec:
        if self.external_id is not None and self.external_id_secret_ref is not None:
            raise ValueError("externalID and externalIDSecretRef are mutually exclusive: set one of them")
        if self.region is not None:
            expected = (
                "aws-cn"
                if self.region.startswith("cn-")
                else "aws-us-gov"
                if self.region.startswith("us-gov-")
                else "aws"
            )
            if not self.role_arn.startswith(f"arn:{expected}:"):
                raise ValueError(
                    "region must belong to the role ARN's partition (cn-* for aws-cn, us-gov-* for "
                    "aws-us-gov, any other region for aws)"
                )
        return self

    @property
    def partition(self) -> str:
        return self.role_arn.split(":", 2)[1]

    @property
    def account_id(self) -> str:
        return self.role_arn.split(":", 5)[4]

    @property
    def role_name(self) -> str:
        return self.role_arn.rsplit("/", 1)[1]

    def effective_session_name(self, namespace: str, name: str) -> str:
        """The RoleSessionName: the spec's, or one derived from namespace and name (IAM's charset)."""
        if self.session_name:
            return self.session_name
        import re

        raw = f"awsip-{namespace}-{name}"
        return re.sub(r"[^A-Za-z0-9_+=,.@-]", "-", raw)[:64]


# ---------------------------------------------------------------------------------------------
# Status
# ---------------------------------------------------------------------------------------------


class _StatusModel(_Model):
    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)


class Condition(_StatusModel):
    """The standard Kubernetes condition (metav1.Condition)."""

    type: Annotated[str, Field(max_length=316)] = Field(description="Type of the condition.")
    status: ConditionStatus = Field(description="True, False or Unknown.")
    reason: Annotated[
        str, Field(min_length=1, max_length=MAX_REASON_LENGTH, pattern=CONDITION_REASON_PATTERN)
    ] = Field(description="Machine-readable reason in CamelCase.")
    message: Annotated[str, Field(max_length=32768)] = Field(
        default="", description="Human-readable explanation, with what to change."
    )
    last_transition_time: datetime = Field(
        alias="lastTransitionTime", description="When the status last changed."
    )
    observed_generation: Annotated[int, Field(ge=0)] | None = Field(
        default=None, alias="observedGeneration", description="The generation this condition was set for."
    )


class MissingPermission(_StatusModel):
    action: Annotated[str, Field(max_length=256)] = Field(description="The IAM action, e.g. ec2:CreateVpc.")
    resource: Annotated[str, Field(max_length=2048)] = Field(description="The required resource pattern.")
    reason: Annotated[str, Field(max_length=MAX_REASON_LENGTH)] = Field(
        description="Why it is not granted: no matching Allow, blocked by the boundary, or denied by a statement."
    )


class PermissionFinding(_StatusModel):
    """A finding about the role's own policies, measured against AWS's authorization reference.

    Info-level: it never changes Ready (the permissions verdict already accounts for it).
    """

    code: Annotated[str, Field(max_length=128, pattern=CONDITION_REASON_PATTERN)] = Field(
        description="UnknownAction, ResourceTypeMismatch or UnsupportedConditionKey."
    )
    action: Annotated[str, Field(max_length=1024)] = Field(description="The action(s) or pattern concerned.")
    resource: Annotated[str, Field(max_length=2048)] = Field(description="The statement's resource patterns.")
    policy: Annotated[str, Field(max_length=2048)] = Field(
        description="The policy (ARN, or inline policy name)."
    )
    statement: Annotated[str, Field(max_length=256)] = Field(description="The statement (Sid or index).")
    message: Annotated[str, Field(max_length=MAX_MESSAGE_LENGTH)] = Field(
        description="What is wrong, e.g. a typo with the closest known action."
    )


class PermissionsStatus(_StatusModel):
    method: PermissionsMethod | None = Field(default=None, description="Which verification ran.")
    required_actions: Annotated[int, Field(ge=0)] = Field(
        default=0, alias="requiredActions", description="Number of required actions checked."
    )
    missing_actions: Annotated[int, Field(ge=0)] = Field(
        default=0, alias="missingActions", description="Number of required actions not granted."
    )
    unknown_actions: Annotated[int, Field(ge=0)] = Field(
        default=0, alias="unknownActions", description="Number of required actions the engine cannot decide."
    )
    missing: Annotated[list[MissingPermission], Field(max_length=MAX_MISSING_LISTED)] = Field(
        default_factory=list, description=f"The first {MAX_MISSING_LISTED} missing permissions."
    )
    truncated: bool = Field(default=False, description="True when more are missing than are listed.")
    findings: Annotated[list[PermissionFinding], Field(max_length=MAX_POLICY_FINDINGS)] = Field(
        default_factory=list,
        description=f"The first {MAX_POLICY_FINDINGS} info-level findings about the role's own policies "
        "(typos in actions, resources no request for the action can name, condition keys its requests "
        "never carry). They do not change Ready.",
    )
    finding_count: Annotated[int, Field(ge=0)] = Field(
        default=0, alias="findingCount", description="Number of findings (all of them, listed or not)."
    )


class TrustFinding(_StatusModel):
    severity: Severity = Field(description="Critical, High, Medium, Low or Info.")
    code: Annotated[str, Field(max_length=128, pattern=CONDITION_REASON_PATTERN)] = Field(
        description="Machine-readable finding, e.g. WildcardPrincipal."
    )
    message: Annotated[str, Field(max_length=MAX_MESSAGE_LENGTH)] = Field(
        description="What is wrong and how to fix it."
    )
    statement: Annotated[str, Field(max_length=256)] | None = Field(
        default=None, description="Sid or index of the trust-policy statement."
    )


class TrustPolicyStatus(_StatusModel):
    external_id_enforced: bool | None = Field(
        default=None,
        alias="externalIDEnforced",
        description="Whether the trust policy requires sts:ExternalId.",
    )
    findings: Annotated[list[TrustFinding], Field(max_length=MAX_TRUST_FINDINGS)] = Field(
        default_factory=list, description="Findings about the role's trust policy."
    )
    truncated: bool = Field(default=False, description="True when there are more findings than listed.")


class AWSInfrastructureProviderStatus(_StatusModel):
    """Observed state, written by the operator (kstatus compatible)."""

    observed_generation: Annotated[int, Field(ge=0)] | None = Field(
        default=None, alias="observedGeneration", description="The generation the status was computed for."
    )
    conditions: Annotated[list[Condition], Field(max_length=16)] = Field(
        default_factory=list,
        description="Ready, RoleAssumed, PermissionsVerified, TrustPolicySecure, Reconciling, Stalled; "
        "ClusterIdentityReady with spec.clusterAPI.roleIdentity.",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]},
    )
    account_id: Annotated[str, Field(pattern=ACCOUNT_ID_PATTERN)] | None = Field(
        default=None, alias="accountID", description="Account of the assumed role (GetCallerIdentity)."
    )
    assumed_role_arn: Annotated[str, Field(max_length=2048)] | None = Field(
        default=None, alias="assumedRoleARN", description="ARN of the assumed-role session."
    )
    last_verified_time: datetime | None = Field(
        default=None, alias="lastVerifiedTime", description="When the role was last verified."
    )
    permissions: PermissionsStatus | None = Field(default=None, description="Permission check results.")
    trust_policy: TrustPolicyStatus | None = Field(
        default=None, alias="trustPolicy", description="Trust-policy findings."
    )


class AWSInfrastructureProvider(_Model):
    """AWSInfrastructureProvider registers an AWS account (an IAM role) for cluster provisioning."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)

    api_version: Literal["infrastructure.awsip.io/v1alpha1"] = Field(
        default="infrastructure.awsip.io/v1alpha1", alias="apiVersion"
    )
    kind: Literal["AWSInfrastructureProvider"] = Field(default="AWSInfrastructureProvider")
    metadata: dict[str, Any] = Field(default_factory=dict)
    spec: AWSInfrastructureProviderSpec
    status: AWSInfrastructureProviderStatus | None = None
