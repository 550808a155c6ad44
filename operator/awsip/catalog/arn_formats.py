"""ARN formats of resource types, e.g. ``arn:${Partition}:eks:${Region}:${Account}:cluster/${ClusterName}``.

A format stands for the ARNs AWS can put in a request for that resource type. Its placeholders
become *slots*, each a small language, chosen so that the set of ARNs of a format contains every
ARN a real request can carry (soundness: a smaller set could hide a gap) while leaving out strings
no request has (an empty partition, an IAM role ARN standing for an EC2 instance):

- ``${Partition}``: one of the real partitions (:mod:`awsip.catalog.partitions`).
- In the first five ``:``-separated components (``arn``, partition, service, region, account) a
  placeholder never contains ``:`` (the components are split at ``:``). The region and any other
  placeholder there is non-empty; the account may be empty or ``aws`` (AWS-managed policies are
  ``arn:aws:iam::aws:policy/...``, public SSM parameters have no account), so it is "no ``:``".
- In the resource part a placeholder is any non-empty text (``/`` and ``:`` included: names with
  paths, S3 object keys, Auto Scaling group names); an account placeholder there may be empty.
  For services whose resource names AWS documents without ``:`` (IAM names are letters, digits
  and ``+=,.@_-`` with ``/`` paths; EKS names; SSM parameter and Secrets Manager secret names;
  ...: :data:`COLON_FREE_NAMES`) a name holds no ``:``.
- A ``*`` written in a format (``arn:${Partition}:dms:${Region}:${Account}:cert:*``) is any text,
  without ``:`` in the first five components.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from awsip.catalog.partitions import Partition

_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


class SlotKind(enum.Enum):
    """The language of one slot of an ARN format."""

    PARTITION = "partition"  # one of the partitions
    SEGMENT = "segment"  # non-empty, no ':' (region, other placeholders before the resource part)
    ACCOUNT = "account"  # no ':', may be empty
    NAME = "name"  # non-empty, any characters
    LABEL = "label"  # non-empty, no ':' ('/' allowed): a name of a service whose names have no ':'
    ANY = "any"  # any text, possibly empty
    ANY_SEGMENT = "any-segment"  # any text without ':', possibly empty

    @property
    def min_length(self) -> int:
        return 1 if self in (SlotKind.SEGMENT, SlotKind.NAME, SlotKind.LABEL, SlotKind.PARTITION) else 0

    @property
    def colon_free(self) -> bool:
        return self in (
            SlotKind.SEGMENT,
            SlotKind.ACCOUNT,
            SlotKind.ANY_SEGMENT,
            SlotKind.PARTITION,
            SlotKind.LABEL,
        )


@dataclass(frozen=True, slots=True)
class Slot:
    """A placeholder (``${ClusterName}``) or a ``*`` of a format."""

    kind: SlotKind
    name: str  # the placeholder's name, or "*"

    @property
    def is_region(self) -> bool:
        return self.name.lower() == "region"

    @property
    def is_account(self) -> bool:
        return "account" in self.name.lower()

    def __str__(self) -> str:
        return "*" if self.name == "*" else "${" + self.name + "}"


#: One token of a format: literal text or a slot.
ArnToken = str | Slot


@dataclass(frozen=True, eq=False)
class ArnFormat:
    """A parsed ARN format (see the module's docstring for what each slot may hold).

    Compared by identity: the catalog makes one per resource type, and caches key on it.
    """

    text: str
    tokens: tuple[ArnToken, ...]
    partitions: tuple[str, ...] = field(repr=False)

    @cached_property
    def regex(self) -> re.Pattern[str]:
        parts: list[str] = []
        for token in self.tokens:
            if isinstance(token, str):
                parts.append(re.escape(token))
            elif token.kind is SlotKind.PARTITION:
                parts.append("(?:" + "|".join(re.escape(p) for p in self.partitions) + ")")
            else:
                parts.append(_SLOT_REGEX[token.kind])
        return re.compile("".join(parts), re.DOTALL)

    @cached_property
    def _literals(self) -> tuple[str, ...]:
        return tuple(t for t in self.tokens if isinstance(t, str) and t)

    def matches(self, arn: str) -> bool:
        """Whether ``arn`` is an ARN of this format (case-sensitive, as resources are).

        The format's literal text must occur in order: a cheap test that rejects most ARNs of other
        types before the regular expression (compiled on first use) is needed."""
        position = 0
        for literal in self._literals:
            found = arn.find(literal, position)
            if found < 0:
                return False
            position = found + len(literal)
        return self.regex.fullmatch(arn) is not None

    @property
    def slots(self) -> tuple[Slot, ...]:
        return tuple(t for t in self.tokens if isinstance(t, Slot))

    def sample(
        self,
        partition: Partition | None = None,
        *,
        region: str | None = None,
        account: str = "123456789012",
        name: str = "example",
    ) -> str:
        """A readable ARN of this format: ``region`` (default: the partition's first), ``name`` for
        every name. The first few are remembered per format: coverage asks for the samples of the
        same partitions and sample accounts again and again (the operator's own samples name each
        provider's account: not all of those are kept)."""
        partition_name = partition.name if partition is not None else self.partitions[0]
        if region is None:
            region = partition.regions[0] if partition is not None and partition.regions else "us-east-1"
        key = (partition_name, region, account, name)
        samples = self._samples
        found = samples.get(key)
        if found is None:
            found = self._sample(partition_name, region, account, name)
            if len(samples) < _SAMPLES_KEPT:
                samples[key] = found
        return found

    @cached_property
    def _samples(self) -> dict[tuple[str, str, str, str], str]:
        return {}

    def _sample(self, partition_name: str, region: str, account: str, name: str) -> str:
        out: list[str] = []
        for token in self.tokens:
            if isinstance(token, str):
                out.append(token)
            elif token.kind is SlotKind.PARTITION:
                out.append(partition_name)
            elif token.is_region:
                out.append(region)
            elif token.is_account and token.kind is not SlotKind.ANY_SEGMENT:
                out.append(account)
            elif token.kind in (SlotKind.ANY, SlotKind.ANY_SEGMENT):
                out.append(name)
            else:
                out.append(name)
        return "".join(out)

    def __str__(self) -> str:
        return self.text


#: Samples remembered per format (a few partitions times the two sample accounts, with room).
_SAMPLES_KEPT = 64

_SLOT_REGEX = {
    SlotKind.SEGMENT: "[^:]+",
    SlotKind.LABEL: "[^:]+",
    SlotKind.ACCOUNT: "[^:]*",
    SlotKind.NAME: ".+",
    SlotKind.ANY: ".*",
    SlotKind.ANY_SEGMENT: "[^:]*",
}


#: Services whose resource names (the placeholders of the resource part) never contain ':', as
#: their API references document the names' characters. Other services' names may (S3 object keys,
#: Auto Scaling group names), so there a name is any text.
COLON_FREE_NAMES: frozenset[str] = frozenset({"iam", "sts", "eks", "ssm", "secretsmanager", "kms", "ecr"})


def parse_arn_format(text: str, partitions: Sequence[str], *, colon_free_names: bool = False) -> ArnFormat:
    """Split a format into literal text and slots; the component (before or after the fifth ':')
    decides each slot's language. ``colon_free_names``: the service's names never contain ':'."""
    tokens: list[ArnToken] = []
    colons = 0
    position = 0

    def literal(chunk: str) -> None:
        nonlocal colons
        for piece in re.split(r"(\*)", chunk):
            if piece == "*":
                kind = SlotKind.ANY_SEGMENT if colons < 5 else SlotKind.ANY
                tokens.append(Slot(kind, "*"))
            elif piece:
                if tokens and isinstance(tokens[-1], str):
                    tokens[-1] += piece
                else:
                    tokens.append(piece)
                colons += piece.count(":")

    for match in _PLACEHOLDER.finditer(text):
        literal(text[position : match.start()])
        position = match.end()
        name = match.group(1).strip()
        kind = _kind(name, colons)
        if kind is SlotKind.NAME and colon_free_names:
            kind = SlotKind.LABEL
        tokens.append(Slot(kind, name))
    literal(text[position:])
    return ArnFormat(text=text, tokens=tuple(tokens), partitions=tuple(partitions))


def _kind(name: str, colons: int) -> SlotKind:
    lowered = name.lower()
    if lowered == "partition":
        return SlotKind.PARTITION
    if colons < 5:
        # The account component (after the fourth ':') may be empty or "aws"; the others may not.
        return SlotKind.ACCOUNT if colons == 4 or "account" in lowered else SlotKind.SEGMENT
    return SlotKind.ANY if "account" in lowered else SlotKind.NAME
