"""The AWS side of the sandbox: provider roles that show the interesting cases.

``examples/*.yaml`` refer to these roles (names, External IDs); a test keeps them in step.

=========================  ===================================================================
role                       what is interesting about it
=========================  ===================================================================
capa-acme-production       compliant: capa-minimal attached, trust policy requires an External ID
capa-acme-staging          misses three actions of capa-minimal
capa-acme-shared           trust policy with a wildcard principal (anyone may try to assume it)
capa-acme-partner          requires an External ID; its example gives the wrong one
capa-acme-development      compliant; its example reads the External ID from a Secret
=========================  ===================================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from awsip.profiles import load_profile
from awsip.sandbox.aws_seed import (
    ACCOUNT_ID,
    create_managed_policy,
    create_provider_role,
    provider_trust_policy,
    without_actions,
)
from awsip.sandbox.manifests import EXPECT_REASON_ANNOTATION as EXPECT_REASON_ANNOTATION

WORKSPACE_NAMESPACE: Final = "acme-workspace"
CAPA_MINIMAL_POLICY: Final = "capa-minimal"


@dataclass(frozen=True)
class RoleScenario:
    name: str
    external_id: str | None = None
    missing_actions: tuple[str, ...] = ()
    wildcard_principal: bool = False

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{ACCOUNT_ID}:role/{self.name}"


PRODUCTION: Final = RoleScenario("capa-acme-production", external_id="acme-prod-4f1d2c9e")
STAGING: Final = RoleScenario(
    "capa-acme-staging",
    external_id="acme-staging-8b2e7d10",
    missing_actions=(
        "ec2:CreateNatGateway",
        "ec2:DeleteNatGateway",
        "elasticloadbalancing:CreateLoadBalancer",
    ),
)
SHARED: Final = RoleScenario("capa-acme-shared", external_id="acme-shared-5e6f7a8b", wildcard_principal=True)
PARTNER: Final = RoleScenario("capa-acme-partner", external_id="acme-partner-c0ffee42")
DEVELOPMENT: Final = RoleScenario("capa-acme-development", external_id="acme-dev-2a9c51f7")

SANDBOX_ROLES: Final = (PRODUCTION, STAGING, SHARED, PARTNER, DEVELOPMENT)


def seed_roles(iam: Any, operator_arn: str, roles: Iterable[RoleScenario] = SANDBOX_ROLES) -> dict[str, str]:
    """Create the roles (and the policies they need) in moto; returns {role name: ARN}.

    Run it while moto's auth mode is off.
    """
    minimal = load_profile(CAPA_MINIMAL_POLICY)
    existing = {p["PolicyName"]: p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"]}
    capa_minimal = existing.get(CAPA_MINIMAL_POLICY) or create_managed_policy(
        iam, CAPA_MINIMAL_POLICY, minimal
    )
    arns = {}
    for role in roles:
        policy_arn = capa_minimal
        if role.missing_actions:
            policy_arn = create_managed_policy(
                iam, f"{role.name}-permissions", without_actions(minimal, role.missing_actions)
            )
        trust = provider_trust_policy(
            operator_arn, external_id=role.external_id, wildcard_principal=role.wildcard_principal
        )
        arns[role.name] = create_provider_role(
            iam, role.name, trust_policy=trust, managed_policy_arns=[policy_arn]
        )
    return arns
