"""Names of the custom resource and the defaults of its spec (its status vocabulary: ``condition_reasons``)."""

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
