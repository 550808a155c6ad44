"""Every word a provider's status conditions can say: the condition types and their reasons.

One home for them, beside the API types (as Cluster API keeps its ``conditions_consts.go``): the
verification picks a check's reason here, the trust analysis its findings' codes, the status
builders the reasons of ``Ready``, ``Reconciling`` and ``Stalled``, the controller those of a
provider it does not verify. Whoever reads or writes a status -- the scheduler, the sandbox's table,
a test -- finds the vocabulary in this file, and :func:`find_condition` to look one condition up.

Every reason matches the CRD's reason pattern (``awsip.api.v1alpha1.CONDITION_REASON_PATTERN``); a test
checks it. What each reason means for the user: README.md ("Reading the status") and
docs/trust-findings.md (the finding codes).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final


class ConditionType:
    """The conditions awsip owns (kstatus: ``Ready``, ``Reconciling``, ``Stalled``; and the checks)."""

    READY: Final = "Ready"
    ROLE_ASSUMED: Final = "RoleAssumed"
    PERMISSIONS_VERIFIED: Final = "PermissionsVerified"
    TRUST_POLICY_SECURE: Final = "TrustPolicySecure"
    RECONCILING: Final = "Reconciling"
    STALLED: Final = "Stalled"

    #: In the order the status lists them.
    ALL: Final = (READY, ROLE_ASSUMED, PERMISSIONS_VERIFIED, TRUST_POLICY_SECURE, RECONCILING, STALLED)

    #: The Cluster API identity of a provider with ``spec.clusterAPI.roleIdentity``. Not in
    #: :attr:`ALL`: the verification's status builders carry it over as they find it, and only the
    #: controller's Cluster API step (:mod:`awsip.status.identity_condition`) sets it. It never
    #: changes Ready, Reconciling or Stalled.
    CLUSTER_IDENTITY_READY: Final = "ClusterIdentityReady"


class Reason:
    """Condition reasons, by the condition that carries them.

    ``Ready`` and ``Stalled`` repeat the reason of the check that decided them, so any reason of a
    check can also be Ready's; the trust findings' codes (:class:`FindingCode`) are
    ``TrustPolicySecure``'s reasons when the trust policy is insecure.
    """

    # Ready, Reconciling, Stalled: the verdict and where the work stands
    VERIFIED: Final = "Verified"
    VERIFYING: Final = "Verifying"
    RETRYING: Final = "Retrying"
    VERIFICATION_COMPLETE: Final = "VerificationComplete"
    #: The spec does not validate (possible where the CRD schema is not enforced): nothing is verified.
    INVALID_SPEC: Final = "InvalidSpec"
    #: The tenancy rules refuse the provider's namespace its role: nothing is asked of AWS.
    NOT_PERMITTED: Final = "NotPermitted"
    #: A check that did not run (an earlier one failed), on its own condition or, rarely, on Ready.
    NOT_VERIFIED: Final = "NotVerified"

    # RoleAssumed
    ASSUME_ROLE_SUCCEEDED: Final = "AssumeRoleSucceeded"
    ACCESS_DENIED: Final = "AccessDenied"
    ROLE_NOT_FOUND: Final = "RoleNotFound"
    ASSUME_ROLE_REJECTED: Final = "AssumeRoleRejected"
    OPERATOR_CREDENTIALS_UNAVAILABLE: Final = "OperatorCredentialsUnavailable"
    EXTERNAL_ID_SECRET_NOT_FOUND: Final = "ExternalIDSecretNotFound"
    INVALID_EXTERNAL_ID: Final = "InvalidExternalID"

    # PermissionsVerified
    ALL_PERMISSIONS_GRANTED: Final = "AllPermissionsGranted"
    MISSING_PERMISSIONS: Final = "MissingPermissions"
    UNDECIDED_PERMISSIONS: Final = "UndecidedPermissions"
    CANNOT_READ_POLICIES: Final = "CannotReadPolicies"
    CANNOT_SIMULATE: Final = "CannotSimulate"
    POLICY_CONFIGMAP_NOT_FOUND: Final = "PolicyConfigMapNotFound"
    INVALID_REQUIRED_POLICY: Final = "InvalidRequiredPolicy"
    #: The policy engine's work for this provider went beyond a verification's budget.
    POLICY_CHECK_TOO_COSTLY: Final = "PolicyCheckTooCostly"
    UNSUPPORTED_ROLE_POLICY: Final = "UnsupportedRolePolicy"

    # TrustPolicySecure (and, when insecure, the most severe finding's FindingCode)
    SECURE: Final = "Secure"
    CANNOT_READ_TRUST_POLICY: Final = "CannotReadTrustPolicy"

    # ClusterIdentityReady (spec.clusterAPI.roleIdentity; NOT_PERMITTED and KUBERNETES_UNAVAILABLE too)
    #: The AWSClusterRoleIdentity carries the verified role, for the provider's namespace only.
    IDENTITY_SYNCED: Final = "IdentitySynced"
    #: Ready is not True: no identity is created or updated; one awsip created is kept and marked.
    PROVIDER_NOT_READY: Final = "ProviderNotReady"
    #: An identity of that name exists that awsip did not create for this provider: never taken over.
    IDENTITY_NOT_OWNED: Final = "IdentityNotOwned"
    #: The API server does not serve awsclusterroleidentities (infrastructure.cluster.x-k8s.io/v1beta2).
    CLUSTER_API_NOT_INSTALLED: Final = "ClusterAPINotInstalled"
    #: The operator runs without --cluster-api-identities (chart: clusterAPI.roleIdentities.enabled).
    CLUSTER_API_IDENTITIES_DISABLED: Final = "ClusterAPIIdentitiesDisabled"
    #: The API server refused the operator access to awsclusterroleidentities (HTTP 401/403).
    IDENTITY_ACCESS_DENIED: Final = "IdentityAccessDenied"
    #: The API server (or CAPA's admission webhook) rejected the identity awsip wrote.
    IDENTITY_REJECTED: Final = "IdentityRejected"

    # any check, while a transient failure is retried
    AWS_UNAVAILABLE: Final = "AWSUnavailable"
    KUBERNETES_UNAVAILABLE: Final = "KubernetesUnavailable"
    # any check: something other than AWS answered (awsip.aws.errors); asked again next interval
    AWS_ANSWER_UNPARSABLE: Final = "AWSAnswerUnparsable"
    # any check: a bug in awsip ended the verification; retried with backoff (the log has the trace)
    INTERNAL_ERROR: Final = "InternalError"


class FindingCode:
    """Codes of trust-policy findings (``status.trustPolicy.findings[].code``).

    Their severities, and the order in which one is chosen as ``TrustPolicySecure``'s reason, are
    the trust analysis' business (``awsip.trust.severities.SEVERITIES``).
    """

    WILDCARD_PRINCIPAL: Final = "WildcardPrincipal"
    CONDITIONALLY_SCOPED_WILDCARD_PRINCIPAL: Final = "ConditionallyScopedWildcardPrincipal"
    NOT_PRINCIPAL_ALLOW: Final = "NotPrincipalAllow"
    MALFORMED_TRUST_POLICY: Final = "MalformedTrustPolicy"
    NO_ASSUME_ROLE_STATEMENT: Final = "NoAssumeRoleStatement"
    MANAGEMENT_PRINCIPAL_NOT_TRUSTED: Final = "ManagementPrincipalNotTrusted"
    MANAGEMENT_PRINCIPAL_DENIED: Final = "ManagementPrincipalDenied"
    EXTERNAL_ID_NOT_ENFORCED: Final = "ExternalIDNotEnforced"
    EXTERNAL_ID_NOT_EXACT: Final = "ExternalIDNotExact"
    EXTERNAL_ID_NOT_CONFIGURED: Final = "ExternalIDNotConfigured"
    EXTERNAL_ID_RECOMMENDED: Final = "ExternalIDRecommended"
    PRINCIPAL_BROADER_THAN_MANAGEMENT_ACCOUNT: Final = "PrincipalBroaderThanManagementAccount"
    FOREIGN_ACCOUNT_PRINCIPAL: Final = "ForeignAccountPrincipal"
    FEDERATED_PRINCIPAL: Final = "FederatedPrincipal"
    UNRESOLVED_PRINCIPAL: Final = "UnresolvedPrincipal"
    DENY_NOT_PRINCIPAL: Final = "DenyNotPrincipal"
    SERVICE_PRINCIPAL: Final = "ServicePrincipal"


def find_condition(status: Mapping[str, Any] | None, type_: str) -> Mapping[str, Any] | None:
    """The condition of type ``type_`` in a status as stored (a dict from the API), or None.

    Tolerant of whatever the object holds: a missing status, no ``conditions`` list, entries that
    are not objects.
    """
    conditions = status.get("conditions") if isinstance(status, Mapping) else None
    if not isinstance(conditions, list):
        return None
    for item in conditions:
        if isinstance(item, Mapping) and item.get("type") == type_:
            return item
    return None
