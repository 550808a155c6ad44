"""The AWS-managed policies the benchmarks check capa-minimal against: a CAPA role's usual ten.

Shared by benchmarks/policy_engine.py and benchmarks/catalog.py, so that their figures speak of the
same inputs (tests/fixtures/policies/aws-managed; ReadOnlyAccess names ~300 services).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from awsip.policy import PolicyDocument

ROOT = Path(__file__).resolve().parents[1]
MANAGED = ROOT / "tests" / "fixtures" / "policies" / "aws-managed"
ATTACHED = (
    "AmazonEC2FullAccess",
    "AmazonEKSClusterPolicy",
    "AmazonEKSServicePolicy",
    "AmazonEKSWorkerNodePolicy",
    "AutoScalingFullAccess",
    "ElasticLoadBalancingFullAccess",
    "IAMReadOnlyAccess",
    "AmazonSSMReadOnlyAccess",
    "SecretsManagerReadWrite",
    "ReadOnlyAccess",
)


def attached_paths() -> list[Path]:
    return [MANAGED / f"{name}.json" for name in ATTACHED]


def parse_attached() -> list[PolicyDocument]:
    """The ten policies freshly parsed, under their ARNs.

    The policy engine is imported here, not with this module, so that a benchmark's process loads
    it only where the benchmark means to (benchmarks/catalog.py times imports in its children).
    """
    from awsip.policy import parse_policy

    return [
        parse_policy(path.read_text(), name=f"arn:aws:iam::aws:policy/{path.stem}")
        for path in attached_paths()
    ]
