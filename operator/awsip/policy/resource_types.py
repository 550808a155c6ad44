"""The resources an action's requests can name, as automata: the catalog's ARN formats as globs.

:mod:`awsip.catalog` describes each resource type by an ARN format whose slots are small
languages (a partition, a non-empty component without ``:``, any non-empty name ...). Here each
format becomes a union of :class:`~awsip.policy.wildcard.Glob` (one per partition), so that the
engine's exact automaton searches can intersect "the requests AWS can make for this action" with
the patterns of policies: ResourceTypeMismatch findings, and resource-type-aware coverage.
"""

from __future__ import annotations

import itertools
from functools import lru_cache
from itertools import repeat

from awsip.catalog import Action, ArnFormat, Slot, SlotKind
from awsip.policy.model import Pattern
from awsip.policy.patterns import resolve
from awsip.policy.wildcard import ANY1, ANY1_NC, LIT, STAR, STAR_NC, Glob, Language, compile_glob

_SLOT_ATOMS: dict[SlotKind, tuple[int, ...]] = {
    SlotKind.SEGMENT: (ANY1_NC, STAR_NC),
    SlotKind.ACCOUNT: (STAR_NC,),
    SlotKind.NAME: (ANY1, STAR),
    SlotKind.LABEL: (ANY1_NC, STAR_NC),
    SlotKind.ANY: (STAR,),
    SlotKind.ANY_SEGMENT: (STAR_NC,),
}
#: The resource of a request for an action without resource types.
STAR_RESOURCE = "*"


def _glob(fmt: ArnFormat, partitions: tuple[str, ...]) -> Glob:
    atoms: list[tuple[int, str]] = []
    text: list[str] = []
    parts: list[str | int] = []
    chosen = iter(partitions)
    wild = False
    for token in fmt.tokens:
        if isinstance(token, Slot) and token.kind is SlotKind.PARTITION:
            token = next(chosen)
        if isinstance(token, str):
            atoms.extend(zip(repeat(LIT), token, strict=False))
            text.append(token)
            parts.append(token)
            continue
        kinds = _SLOT_ATOMS[token.kind]
        atoms.extend((kind, "") for kind in kinds)
        text.append(str(token))
        parts.extend(kinds)
        wild = True
    return Glob(
        text="".join(text),
        atoms=tuple(atoms),
        ignore_case=False,
        literal=None if wild else "".join(text),
        universal=False,
        parts=tuple(parts),
    )


@lru_cache(maxsize=4096)
def format_globs(fmt: ArnFormat) -> tuple[Glob, ...]:
    """The ARNs of a format: one glob per choice of partition for each partition slot."""
    count = sum(1 for s in fmt.slots if s.kind is SlotKind.PARTITION)
    return tuple(_glob(fmt, combo) for combo in itertools.product(fmt.partitions, repeat=count))


@lru_cache(maxsize=4096)
def action_resources(action: Action) -> Language:
    """Every resource a request for ``action`` can name: the ARNs of its resource types, and ``*``
    when it is authorized against ``*``. (Not meaningful for a ``formal`` action: any string.)"""
    globs: list[Glob] = []
    if action.star:
        globs.append(compile_glob((STAR_RESOURCE,)))
    for fmt in dict.fromkeys(action.formats):
        globs.extend(format_globs(fmt))
    return Language(tuple(globs), True)


def pattern_glob(pattern: Pattern) -> Glob:
    """A Resource pattern as a glob, its policy variables as ``*`` (every value they might take)."""
    return compile_glob(resolve(pattern, None, unresolved_as_star=True) or ())
