"""Names of the custom resource and the vocabulary of its status conditions."""

from typing import Final

GROUP: Final = "infrastructure.awsip.io"
VERSION: Final = "v1alpha1"
API_VERSION: Final = f"{GROUP}/{VERSION}"
KIND: Final = "AWSInfrastructureProvider"
PLURAL: Final = "awsinfrastructureproviders"
SINGULAR: Final = "awsinfrastructureprovider"
SHORT_NAMES: Final = ("awsip",)
CATEGORIES: Final = ("awsip",)
CRD_NAME: Final = f"{PLURAL}.{GROUP}"

DEFAULT_PROFILE: Final = "capa-minimal"
DEFAULT_INTERVAL: Final = "1h"
DEFAULT_DURATION_SECONDS: Final = 900


class ConditionType:
    READY: Final = "Ready"
    ROLE_ASSUMED: Final = "RoleAssumed"
    PERMISSIONS_VERIFIED: Final = "PermissionsVerified"
    TRUST_POLICY_SECURE: Final = "TrustPolicySecure"
    RECONCILING: Final = "Reconciling"
    STALLED: Final = "Stalled"

    ALL: Final = (READY, ROLE_ASSUMED, PERMISSIONS_VERIFIED, TRUST_POLICY_SECURE, RECONCILING, STALLED)
