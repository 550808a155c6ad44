"""The CAPA ``AWSClusterRoleIdentity`` awsip keeps for a provider: what it should be, and what to do (pure).

A provider with ``spec.clusterAPI.roleIdentity`` asks awsip for a Cluster API Provider AWS identity
(``infrastructure.cluster.x-k8s.io/v1beta2``, kind ``AWSClusterRoleIdentity``, cluster-scoped) that
carries its verified role. This module decides everything about that object without any I/O; the
controller (:mod:`awsip.controller.cluster_identities`) reads the objects, calls :func:`plan_identity`
or :func:`plan_release`, and carries out the :class:`Operation` s it returns.

The desired object (:func:`desired_identity`)
    ``roleARN``, ``externalID`` (CAPA's API takes it inline: this object is the one place awsip
    ever writes it), ``durationSeconds``, ``sessionName`` when the provider sets one (otherwise
    CAPA names its own sessions, so CloudTrail tells them from awsip's verification sessions),
    ``sourceIdentityRef`` (default: CAPA's controller identity ``default``) and
    ``allowedNamespaces: {list: [the provider's namespace]}`` -- nothing wider, ever. Labels and
    annotations say which provider owns it (namespace, name, uid). ``inlinePolicy`` and
    ``policyARNs`` (CAPA's session policies) are never set: the verification checked the role's
    permissions without them, and a session policy would make CAPA's permissions differ from what
    was verified.

Ownership
    An identity is awsip's to change or delete only when its ``awsip.io/owner-uid`` annotation is
    the provider's uid (:func:`owned_by`). Anything else of that name -- written by hand, by another
    tool, for another provider, or for an earlier provider of the same name -- is never taken over:
    ``ClusterIdentityReady`` says so (``IdentityNotOwned``).

The provider's verdict (:func:`provider_verdict`) decides what is written
    - Ready=True for the current generation: create the identity, or update an owned one to the
      desired content; other identities owned by the provider (an earlier ``name``) are deleted
      once the new one is in place.
    - Ready=False (a verdict), or refused by the tenancy rules: nothing is created or updated. An
      owned identity is **kept, and marked** (annotation ``awsip.io/provider-ready: "False"`` and
      the reason). CAPA reads the identity on every reconciliation of every cluster that names
      it, deletion included: removing it would stop the reconciliation of running clusters and
      leave their AWS resources undeletable by CAPA, because the provider's role failed a check
      that may have nothing to do with what those clusters need (a trust-policy finding, one new
      action in the profile, a tenancy ConfigMap deleted by mistake, which refuses every provider).
      Keeping it lets clusters go on using the role last verified, which is what the marking,
      ``ClusterIdentityReady=False`` and its message make visible; whoever decides that the role
      must no longer be used deletes the identity (awsip does not recreate it until the provider is
      Ready again).
    - Unknown (a transient failure being retried): nothing is touched.
    - ``allowedNamespaces`` of an owned identity is put back to the provider's namespace in every
      case: narrowing never breaks the provider's own clusters, and a wider list is never left.
- :func:`plan_release`: the provider is deleted, or no longer asks for an identity: every identity
  it owns is deleted (each delete guarded by the identity's uid).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from awsip.api.condition_reasons import ConditionType, Reason, find_condition
from awsip.api.v1alpha1 import AWSIdentityReference, AWSInfrastructureProviderSpec

GROUP: Final = "infrastructure.cluster.x-k8s.io"
VERSION: Final = "v1beta2"
API_VERSION: Final = f"{GROUP}/{VERSION}"
KIND: Final = "AWSClusterRoleIdentity"
PLURAL: Final = "awsclusterroleidentities"

#: The source identity when the spec names none: CAPA's controller credentials (a singleton).
CONTROLLER_IDENTITY: Final = AWSIdentityReference(kind="AWSClusterControllerIdentity", name="default")

MANAGED_BY_LABEL: Final = "app.kubernetes.io/managed-by"
MANAGED_BY: Final = "awsip"
#: Label and annotation: the owning provider's uid (the label lets awsip list what it owns).
OWNER_UID: Final = "awsip.io/owner-uid"
#: Label and annotation: the owning provider's namespace (at most 63 characters: a valid label).
OWNER_NAMESPACE: Final = "awsip.io/owner-namespace"
#: Annotation only: the owning provider's name (up to 253 characters, too long for a label).
OWNER_NAME: Final = "awsip.io/owner-name"
#: Annotations: whether the provider was Ready when awsip last wrote the identity, and if not, why.
PROVIDER_READY: Final = "awsip.io/provider-ready"
PROVIDER_READY_REASON: Final = "awsip.io/provider-ready-reason"


@dataclass(frozen=True)
class Owner:
    """The provider an identity belongs to."""

    namespace: str
    name: str
    uid: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


VerdictKind = Literal["Ready", "NotReady", "NotPermitted", "Pending"]


@dataclass(frozen=True)
class ProviderVerdict:
    """What the provider's status says, as far as its identity is concerned."""

    kind: VerdictKind
    #: Ready's reason (NotReady, NotPermitted), for the marking and the condition's message.
    reason: str = ""


def provider_verdict(status: Mapping[str, Any] | None, generation: int | None) -> ProviderVerdict:
    """``Ready`` -- True for this generation (observedGeneration; without a generation, as it is);
    ``NotPermitted`` -- refused by the tenancy rules; ``NotReady`` -- any other False; ``Pending`` --
    Unknown, absent, or a verdict about an older generation."""
    ready = find_condition(status, ConditionType.READY)
    if ready is None or ready.get("status") not in ("True", "False"):
        return ProviderVerdict("Pending")
    reason = str(ready.get("reason") or "")
    if reason == Reason.NOT_PERMITTED:
        return ProviderVerdict("NotPermitted", reason)
    if ready.get("status") == "False":
        return ProviderVerdict("NotReady", reason)
    observed = (status or {}).get("observedGeneration")
    if generation is not None and observed != generation:
        return ProviderVerdict("Pending")
    return ProviderVerdict("Ready", reason)


# -- the desired object ----------------------------------------------------------------------------


def owner_metadata(owner: Owner) -> tuple[dict[str, str], dict[str, str]]:
    """(labels, annotations) that say ``owner`` owns an identity."""
    labels = {MANAGED_BY_LABEL: MANAGED_BY, OWNER_UID: owner.uid, OWNER_NAMESPACE: owner.namespace}
    annotations = {OWNER_UID: owner.uid, OWNER_NAMESPACE: owner.namespace, OWNER_NAME: owner.name}
    return labels, annotations


def allowed_namespaces(owner: Owner) -> dict[str, Any]:
    """CAPA's ``allowedNamespaces``: the provider's namespace, and nothing else."""
    return {"list": [owner.namespace]}


def desired_identity(
    owner: Owner, spec: AWSInfrastructureProviderSpec, external_id: str | None
) -> dict[str, Any]:
    """The identity for a Ready provider (see the module docs). ``external_id``: the one verified."""
    cluster_api = spec.cluster_api
    if cluster_api is None or cluster_api.role_identity is None:
        raise ValueError("the spec asks for no role identity (spec.clusterAPI.roleIdentity)")
    wanted = cluster_api.role_identity
    source = wanted.source_identity_ref or CONTROLLER_IDENTITY
    identity_spec: dict[str, Any] = {
        "allowedNamespaces": allowed_namespaces(owner),
        "roleARN": spec.role_arn,
        "durationSeconds": spec.duration_seconds,
        "sourceIdentityRef": {"kind": source.kind, "name": source.name},
    }
    if spec.session_name is not None:
        identity_spec["sessionName"] = spec.session_name
    if external_id is not None:
        identity_spec["externalID"] = external_id
    labels, annotations = owner_metadata(owner)
    annotations[PROVIDER_READY] = "True"
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {"name": wanted.name, "labels": labels, "annotations": annotations},
        "spec": identity_spec,
    }


# -- what exists -----------------------------------------------------------------------------------


def _metadata(obj: Mapping[str, Any] | None) -> Mapping[str, Any]:
    metadata = obj.get("metadata") if isinstance(obj, Mapping) else None
    return metadata if isinstance(metadata, Mapping) else {}


def _string_map(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, Mapping) else {}


def owned_by(obj: Mapping[str, Any] | None, owner: Owner) -> bool:
    """Whether awsip created ``obj`` for this very provider (its uid; the name is not enough)."""
    return bool(owner.uid) and _string_map(_metadata(obj).get("annotations")).get(OWNER_UID) == owner.uid


def _spec(obj: Mapping[str, Any] | None) -> dict[str, Any]:
    spec = obj.get("spec") if isinstance(obj, Mapping) else None
    return dict(spec) if isinstance(spec, Mapping) else {}


def _name(obj: Mapping[str, Any]) -> str:
    return str(_metadata(obj).get("name") or "")


# -- plans -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """One write to the API: create ``body``; merge-patch ``name`` with ``body``; delete ``name``.

    ``resource_version`` (patch) and ``uid`` (delete) are preconditions: the write applies only
    to the object as it was read."""

    verb: Literal["create", "patch", "delete"]
    name: str
    body: dict[str, Any] | None = None
    resource_version: str | None = None
    uid: str | None = None


@dataclass(frozen=True)
class IdentityState:
    """What ``ClusterIdentityReady`` says (status True/False/Unknown, reason, message)."""

    status: Literal["True", "False", "Unknown"]
    reason: str
    message: str


@dataclass(frozen=True)
class IdentityPlan:
    """The writes to make, in order, and the condition once they are made (None: leave it as it
    is, or say that a verdict is awaited if there is none)."""

    operations: tuple[Operation, ...]
    state: IdentityState | None


def merge_patch_to(current: Any, wanted: Any) -> Any:
    """The JSON merge patch (RFC 7386) that turns ``current`` into ``wanted``; {} if equal.

    Keys of ``current`` absent from ``wanted`` are removed (None); lists are replaced whole."""
    if not isinstance(current, Mapping) or not isinstance(wanted, Mapping):
        return copy.deepcopy(wanted)
    patch: dict[str, Any] = {key: None for key in current if key not in wanted}
    for key, value in wanted.items():
        if key not in current:
            patch[key] = copy.deepcopy(value)
        elif current[key] != value:
            if isinstance(value, Mapping) and isinstance(current[key], Mapping):
                patch[key] = merge_patch_to(current[key], value)
            else:
                patch[key] = copy.deepcopy(value)
    return patch


def _metadata_patch(
    existing: Mapping[str, Any], labels: Mapping[str, str], annotations: Mapping[str, str]
) -> dict[str, Any]:
    """Adds or corrects only our own labels and annotations (others' stay as they are); the
    not-Ready reason goes when the identity is no longer marked."""
    metadata = _metadata(existing)
    patch: dict[str, Any] = {}
    for key, ours in (("labels", labels), ("annotations", annotations)):
        theirs = _string_map(metadata.get(key))
        changed: dict[str, str | None] = {k: v for k, v in ours.items() if theirs.get(k) != v}
        if key == "annotations" and PROVIDER_READY_REASON in theirs and PROVIDER_READY_REASON not in ours:
            changed[PROVIDER_READY_REASON] = None
        if changed:
            patch[key] = changed
    return patch


def _patch(
    existing: Mapping[str, Any], spec_patch: Mapping[str, Any], metadata_patch: Mapping[str, Any]
) -> Operation | None:
    if not spec_patch and not metadata_patch:
        return None
    body: dict[str, Any] = {}
    metadata = dict(metadata_patch)
    version = _metadata(existing).get("resourceVersion")
    if version:
        # In a merge patch, metadata.resourceVersion is a precondition: 409 if the object moved on.
        metadata["resourceVersion"] = str(version)
    body["metadata"] = metadata
    if spec_patch:
        body["spec"] = dict(spec_patch)
    return Operation("patch", _name(existing), body, resource_version=str(version) if version else None)


def _reference_hint(name: str) -> str:
    return f"Clusters use it with AWSCluster.spec.identityRef {{kind: {KIND}, name: {name}}}."


def not_owned_state(name: str, existing: Mapping[str, Any], owner: Owner) -> IdentityState:
    """The refusal to take over ``existing`` (it never names another tenant's provider)."""
    annotations = _string_map(_metadata(existing).get("annotations"))
    if annotations.get(OWNER_UID) and (
        annotations.get(OWNER_NAMESPACE),
        annotations.get(OWNER_NAME),
    ) == (owner.namespace, owner.name):
        whose = "awsip created it for an earlier provider of this name, deleted since"
    elif annotations.get(OWNER_UID):
        whose = "awsip created it for another provider"
    else:
        whose = "awsip did not create it"
    return IdentityState(
        "False",
        Reason.IDENTITY_NOT_OWNED,
        f"{KIND} {name} already exists and {whose}: awsip never takes over an identity it did not "
        f"create for this provider. Delete it, or choose another spec.clusterAPI.roleIdentity.name.",
    )


def plan_identity(
    *,
    owner: Owner,
    name: str,
    verdict: ProviderVerdict,
    desired: Mapping[str, Any] | None,
    existing: Mapping[str, Any] | None,
    owned: Sequence[Mapping[str, Any]] = (),
) -> IdentityPlan:
    """What to write for a provider that asks for identity ``name``.

    ``desired``: :func:`desired_identity` (required when the verdict is Ready); ``existing``: the
    object called ``name``, or None; ``owned``: every identity this provider owns (any name,
    ``existing`` among them or not). See the module docs for the rules.
    """
    if existing is not None and not owned_by(existing, owner):
        return IdentityPlan((), not_owned_state(name, existing, owner))
    others = [o for o in owned if owned_by(o, owner) and _name(o) != name]
    labels, annotations = owner_metadata(owner)

    if verdict.kind == "Ready":
        if desired is None:
            raise ValueError("a Ready provider's plan needs the desired identity")
        synced = IdentityState(
            "True",
            Reason.IDENTITY_SYNCED,
            f"{KIND} {name} carries the verified role {desired['spec']['roleARN']}, usable from "
            f"namespace {owner.namespace} only. {_reference_hint(name)}",
        )
        # Earlier names go once the new one is in place (the writes run in order, stop at a failure).
        deletions = tuple(_delete(o) for o in others)
        if existing is None:
            create = Operation("create", name, copy.deepcopy(dict(desired)))
            return IdentityPlan((create, *deletions), synced)
        desired_metadata = desired["metadata"]
        update = _patch(
            existing,
            merge_patch_to(_spec(existing), desired["spec"]),
            _metadata_patch(existing, desired_metadata["labels"], desired_metadata["annotations"]),
        )
        return IdentityPlan(((update,) if update is not None else ()) + deletions, synced)

    if verdict.kind == "Pending":  # a transient failure is retried: nothing changes meanwhile
        return IdentityPlan((), None)

    # NotReady or NotPermitted: keep what exists (narrowed to the namespace) and mark it.
    marked = dict(annotations)
    marked[PROVIDER_READY] = "False"
    marked[PROVIDER_READY_REASON] = verdict.reason or "Unknown"
    marks: list[Operation] = []
    for obj in ([existing] if existing is not None else []) + others:
        spec_patch: dict[str, Any] = {}
        if _spec(obj).get("allowedNamespaces") != allowed_namespaces(owner):
            spec_patch["allowedNamespaces"] = merge_patch_to(
                _spec(obj).get("allowedNamespaces"), allowed_namespaces(owner)
            )
        operation = _patch(obj, spec_patch, _metadata_patch(obj, labels, marked))
        if operation is not None:
            marks.append(operation)
    kept = [_name(o) for o in ([existing] if existing is not None else []) + others]
    return IdentityPlan(tuple(marks), _not_ready_state(name, verdict, kept))


def _not_ready_state(name: str, verdict: ProviderVerdict, kept: Sequence[str]) -> IdentityState:
    if verdict.kind == "NotPermitted":
        head = (
            f"The tenancy rules do not permit this provider its role: awsip neither creates nor "
            f"updates {KIND} {name}."
        )
        reason = Reason.NOT_PERMITTED
    else:
        head = (
            f"The provider is not Ready ({verdict.reason or 'Unknown'}): awsip neither creates nor "
            f"updates {KIND} {name} until it is."
        )
        reason = Reason.PROVIDER_NOT_READY
    if not kept:
        return IdentityState("False", reason, head)
    tail = (
        f" {_names(kept)} {'is' if len(kept) == 1 else 'are'} kept with the role last verified, and "
        f"marked {PROVIDER_READY}=False, so that clusters using {'it' if len(kept) == 1 else 'them'} "
        f"keep reconciling; delete {'it' if len(kept) == 1 else 'them'} to stop clusters from using "
        f"the role."
    )
    return IdentityState("False", reason, head + tail)


def _names(names: Iterable[str]) -> str:
    return ", ".join(f"{KIND} {n}" for n in names)


def _delete(obj: Mapping[str, Any]) -> Operation:
    uid = _metadata(obj).get("uid")
    return Operation("delete", _name(obj), uid=str(uid) if uid else None)


def plan_release(owner: Owner, owned: Sequence[Mapping[str, Any]]) -> tuple[Operation, ...]:
    """Deletes of every identity ``owner`` owns (the provider is deleted, or opted out)."""
    return tuple(_delete(o) for o in owned if owned_by(o, owner))
