"""Partitions and the region used for each AWS call (pure)."""

from __future__ import annotations

#: The region used for STS and IAM when the provider names none (the partition's first region).
DEFAULT_REGIONS = {"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}


def partition_of_region(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def region_for(partition: str, region: str | None, *, fallback: str | None = None) -> str:
    """The provider's region, else ``fallback`` (the operator's own) if in the partition, else its default."""
    if region:
        return region
    if fallback and partition_of_region(fallback) == partition:
        return fallback
    return DEFAULT_REGIONS.get(partition, DEFAULT_REGIONS["aws"])
