"""A readable resource for a request of an action within a resource pattern.

Sample requests (the Simulate method's requests, witnesses of coverage) should be requests AWS
could make: ``eks:ListClusters`` on ``*``, ``eks:DescribeCluster`` on a cluster ARN, not on a
nodegroup ARN or on ``arn::eks:iam::cluster/:role/``. Candidates are tried in order:

1. the pattern with its wildcards filled in (the given partition, region and account where an ARN
   component is a wildcard, ``example`` elsewhere), if the action can be requested on it;
2. each of the action's ARN formats filled in (required resource types first; the same partition,
   region and account, ``example`` for names), if the pattern matches it;
3. ``*`` when the action can be requested on ``*`` and the pattern matches ``*``.

None when no candidate fits; the caller then searches exactly (automata) or says the pattern
names none of the action's resources.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache

from awsip.catalog.authorization import Action
from awsip.catalog.partitions import Partition

SAMPLE_NAME = "example"
SAMPLE_ACCOUNT = "123456789012"


@lru_cache(maxsize=4096)
def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """IAM's resource wildcards: ``*`` any text (across ``:`` and ``/``), ``?`` one character."""
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL
    )


def pattern_matches(pattern: str, resource: str) -> bool:
    return _pattern_regex(pattern).fullmatch(resource) is not None


def _filled(pattern: str, partition: str, region: str, account: str, name: str) -> Iterator[str]:
    """The pattern with its wildcards filled in, ARN components first by their meaning."""
    parts = pattern.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn":
        defaults = {1: partition, 3: region, 4: account}
        for empty_region in (False, True):
            out = []
            for index, part in enumerate(parts):
                if part in ("*", "?") and index in defaults:
                    value = "" if (empty_region and index == 3) else defaults[index]
                    out.append(value)
                else:
                    out.append(part.replace("*", name).replace("?", "x"))
            yield ":".join(out)
    yield pattern.replace("*", name).replace("?", "x")
    yield pattern.replace("*", "").replace("?", "x")


def resource_sample(
    action: Action,
    pattern: str,
    *,
    partition: Partition | None = None,
    region: str | None = None,
    account: str = SAMPLE_ACCOUNT,
    name: str = SAMPLE_NAME,
    matches: Callable[[str], bool] | None = None,
) -> str | None:
    """A resource that a request for ``action`` can name and that ``pattern`` matches, or None.

    ``matches``: ``action.matches_resource``, or a memoized copy of it (a caller asking for the
    samples of many partitions and accounts tries the same candidates again).
    """
    matches = matches or action.matches_resource
    partition_name = partition.name if partition is not None else "aws"
    if region is None:
        region = partition.regions[0] if partition is not None and partition.regions else "us-east-1"
    if action.formal:
        return next(iter(_filled(pattern, partition_name, region, account, name)))
    if pattern == "*" and action.star and not action.resource_types:
        return "*"
    for candidate in _filled(pattern, partition_name, region, account, name):
        if candidate != "*" and matches(candidate):
            return candidate
    for fmt in action.formats_required_first:
        candidate = fmt.sample(partition, region=region, account=account, name=name)
        if fmt.matches(candidate) and pattern_matches(pattern, candidate):
            return candidate
    if action.star and pattern_matches(pattern, "*"):
        return "*"
    return None
