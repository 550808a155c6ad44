"""The AWS partitions an ARN can name, with a few of each partition's regions (for readable samples).

Read from botocore's ``partitions.json`` (botocore is a dependency of awsip and tracks AWS's
partitions), as data: botocore's code is not imported. When that file cannot be read, the list
below is used; it names every partition AWS had when it was written.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Partition:
    name: str  # "aws", "aws-cn", ...
    regions: tuple[str, ...]  # known regions, the partition's usual default first


#: Used when botocore's data cannot be read.
FALLBACK_PARTITIONS: tuple[Partition, ...] = (
    Partition("aws", ("us-east-1", "eu-west-1", "eu-central-1")),
    Partition("aws-cn", ("cn-north-1", "cn-northwest-1")),
    Partition("aws-us-gov", ("us-gov-west-1", "us-gov-east-1")),
    Partition("aws-iso", ("us-iso-east-1",)),
    Partition("aws-iso-b", ("us-isob-east-1",)),
    Partition("aws-iso-e", ("eu-isoe-west-1",)),
    Partition("aws-iso-f", ("us-isof-south-1",)),
    Partition("aws-eusc", ("eusc-de-east-1",)),
)

_PREFERRED_REGIONS = {"aws": ("us-east-1", "eu-west-1"), "aws-cn": ("cn-north-1",)}


def load_partitions() -> tuple[Partition, ...]:
    """botocore's partitions ("aws" first), or :data:`FALLBACK_PARTITIONS`."""
    try:
        spec = importlib.util.find_spec("botocore")
    except (ImportError, ValueError):  # pragma: no cover - botocore is a dependency
        return FALLBACK_PARTITIONS
    for location in (spec.submodule_search_locations or []) if spec is not None else []:
        path = Path(location) / "data" / "partitions.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        parsed = parse_partitions(data)
        if parsed:
            return parsed
    return FALLBACK_PARTITIONS  # pragma: no cover - botocore always ships the file


def parse_partitions(data: object) -> tuple[Partition, ...]:
    """Partitions from the layout of botocore's ``partitions.json`` (empty if it is not that)."""
    if not isinstance(data, dict) or not isinstance(data.get("partitions"), list):
        return ()
    found: list[Partition] = []
    for item in data["partitions"]:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
            continue
        name = item["id"]
        regions = [r for r in item.get("regions", {}) if isinstance(r, str) and not r.startswith("aws-")]
        preferred = [r for r in _PREFERRED_REGIONS.get(name, ()) if r in regions]
        ordered = preferred + sorted(r for r in regions if r not in preferred)
        found.append(Partition(name, tuple(ordered)))
    found.sort(key=lambda p: (p.name != "aws", p.name))
    return tuple(found)
