"""Readable example strings of a resource pattern (witness ARNs a person recognises).

Candidates only: the caller keeps the first that lies in the language it needs and falls back to
the automaton's shortest string otherwise.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from functools import lru_cache

PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso")
REGIONS = ("us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1", "")
ACCOUNTS = ("123456789012", "111122223333", "aws", "")
#: Services whose ARNs name no region (``arn:aws:iam::123456789012:role/example``), and of those
#: the ones whose ARNs name no account either (``arn:aws:s3:::example``), as AWS writes them.
GLOBAL_SERVICES = frozenset(
    {"iam", "sts", "organizations", "route53", "cloudfront", "waf", "shield", "globalaccelerator", "s3"}
)
NO_ACCOUNT_SERVICES = frozenset({"s3", "route53"})
_LIMIT = 96


def _regions(service: str | None) -> tuple[str, ...]:
    """Region candidates, the empty one first for a service without regions."""
    return ("", *REGIONS[:-1]) if (service or "").lower() in GLOBAL_SERVICES else REGIONS


def _accounts(service: str | None) -> tuple[str, ...]:
    return ("", *ACCOUNTS[:-1]) if (service or "").lower() in NO_ACCOUNT_SERVICES else ACCOUNTS


def _fills(part: str, position: int, service: str | None = None) -> list[str]:
    if "*" not in part and "?" not in part:
        return [part]
    if part == "*":
        choices = {1: PARTITIONS, 3: _regions(service), 4: _accounts(service)}.get(position)
        if choices is not None:
            return list(choices)
    return [
        part.replace("*", "example").replace("?", "x"),
        part.replace("*", "").replace("?", "x"),
        part.replace("*", "x").replace("?", "x"),
    ]


def resource_samples(pattern: str, service: str | None) -> Iterator[str]:
    """Example resources for ``pattern`` (its wildcards filled in), most natural first."""
    if pattern == "*" or not pattern.startswith("arn"):
        regions, accounts = _regions(service)[:2], _accounts(service)[:1]
        service = service or "service"
        for partition, region, account in itertools.product(PARTITIONS, regions, accounts):
            yield f"arn:{partition}:{service}:{region}:{account}:example"
        yield "example"
        if pattern != "*":
            yield pattern.replace("*", "example").replace("?", "x")
        return
    parts = pattern.split(":", 5)
    arn_service = parts[2] if len(parts) > 2 and "*" not in parts[2] and "?" not in parts[2] else service
    options = [_fills(part, i, arn_service) for i, part in enumerate(parts)]
    for chosen in _combinations(tuple(len(o) for o in options)):
        yield ":".join(o[i] for o, i in zip(options, chosen, strict=True))


@lru_cache(maxsize=64)
def _combinations(lengths: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """The first choice indices to try for options of these lengths: every wildcard varied early
    (ordered by the sum of the indices). Depends on the lengths alone, so worked out once per
    shape: sorting the ~240 combinations of a pattern like ``arn:*:eks:*:*:cluster/*`` cost a
    cold coverage check more than the samples it needed."""
    indices = sorted(itertools.product(*(range(n) for n in lengths)), key=sum)
    return tuple(indices[:_LIMIT])
