"""Readable example strings of a resource pattern (witness ARNs a person recognises).

Candidates only: the caller keeps the first that lies in the language it needs and falls back to
the automaton's shortest string otherwise.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso")
REGIONS = ("us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1", "")
ACCOUNTS = ("123456789012", "111122223333", "aws", "")
_LIMIT = 96


def _fills(part: str, position: int) -> list[str]:
    if "*" not in part and "?" not in part:
        return [part]
    if part == "*":
        choices = {1: PARTITIONS, 3: REGIONS, 4: ACCOUNTS}.get(position)
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
        service = service or "service"
        for partition, region, account in itertools.product(PARTITIONS, REGIONS[:2], ACCOUNTS[:1]):
            yield f"arn:{partition}:{service}:{region}:{account}:example"
        yield "example"
        if pattern != "*":
            yield pattern.replace("*", "example").replace("?", "x")
        return
    parts = pattern.split(":", 5)
    options = [_fills(part, i) for i, part in enumerate(parts)]
    # Vary every wildcard early: order the combinations by the sum of their choice indices.
    indices = sorted(itertools.product(*(range(len(o)) for o in options)), key=sum)
    for chosen in indices[:_LIMIT]:
        yield ":".join(o[i] for o, i in zip(options, chosen, strict=True))
