"""Evaluate one request the way AWS does for a principal's identity policies and boundary.

1. An explicit Deny in any identity policy or in the permissions boundary decides: ExplicitDeny.
2. Otherwise an Allow in the identity policies is needed and, when a permissions boundary is
   attached, an Allow in the boundary too: Allowed. Anything else: ImplicitDeny.
3. Except ``sts:GetCallerIdentity``: AWS allows it whatever the policies say ("No permissions are
   required to perform this operation", and an explicit Deny does not stop it: STS API reference).

:func:`decide` works on compiled policies; :meth:`awsip.policy.engine.PolicyEngine.simulate`
compiles documents (or recalls them compiled) and calls it.
"""

from __future__ import annotations

from collections.abc import Sequence

from awsip.policy.match import CompiledPolicy, CompiledStatement, Context, matching_statements
from awsip.policy.model import Decision, Request, StatementRef


def _applying(
    compiled: Sequence[CompiledPolicy], action: str, resource: str, context: Context
) -> tuple[list[CompiledStatement], list[CompiledStatement]]:
    allows: list[CompiledStatement] = []
    denies: list[CompiledStatement] = []
    for st in matching_statements(compiled, action):  # the action split once for every policy
        if st.matches_resource(resource, context) and st.conditions_hold(context):
            (denies if st.deny else allows).append(st)
    return allows, denies


def decide(
    identity: Sequence[CompiledPolicy], request: Request, *, boundary: CompiledPolicy | None = None
) -> Decision:
    """The decision for one request, with the statements that decided it."""
    decision = _decide(identity, request, boundary)
    if decision.allowed or request.action.lower() != _GET_CALLER_IDENTITY:
        return decision
    return Decision(
        "Allowed",
        request,
        (),
        decision.identity_allowed,
        decision.boundary_allowed,
        "allowed whatever the policies say: sts:GetCallerIdentity needs no permission and an explicit "
        "Deny does not stop it (AWS STS API reference)",
    )


_GET_CALLER_IDENTITY = "sts:getcalleridentity"


def _decide(
    identity: Sequence[CompiledPolicy], request: Request, boundary: CompiledPolicy | None
) -> Decision:
    context = request.normalized_context()
    allows, denies = _applying(identity, request.action, request.resource, context)
    boundary_allows: list[CompiledStatement] = []
    if boundary is not None:
        b_allows, b_denies = _applying([boundary], request.action, request.resource, context)
        boundary_allows = b_allows
        denies += b_denies
    identity_allowed = bool(allows)
    boundary_allowed = None if boundary is None else bool(boundary_allows)
    refs: tuple[StatementRef, ...]
    if denies:
        refs = tuple(st.ref for st in denies)
        return Decision(
            "ExplicitDeny", request, refs, identity_allowed, boundary_allowed, f"denied by {refs[0]}"
        )
    if identity_allowed and boundary_allowed is not False:
        refs = tuple(st.ref for st in allows + boundary_allows)
        return Decision("Allowed", request, refs, True, boundary_allowed, f"allowed by {refs[0]}")
    refs = tuple(st.ref for st in allows + boundary_allows)
    if not identity_allowed:
        reason = "no Allow statement of the identity policies matches"
        if boundary_allowed is False:
            reason += " (nor of the permissions boundary)"
    else:
        assert boundary is not None
        reason = f"not allowed by the permissions boundary {boundary.document.name or '(unnamed)'}"
    return Decision("ImplicitDeny", request, refs, identity_allowed, boundary_allowed, reason)
