"""compile_glob and the automata (Nfa), written for speed (a cold check compiles thousands of
patterns and builds automata of long ARN patterns), build exactly what the plain one-character-
at-a-time constructions they replaced built."""

from __future__ import annotations

import itertools
import re

from hypothesis import example, given
from hypothesis import strategies as st

from awsip.policy.model import Wild
from awsip.policy.patterns import resolve, static, tokenize
from awsip.policy.samples import _LIMIT, _fills, resource_samples
from awsip.policy.wildcard import ANY1, ANY1_NC, LIT, STAR, STAR_NC, Glob, Nfa, Resolved, compile_glob

from .test_properties import FAST


def plain_compile(tokens: Resolved, ignore_case: bool, arn: bool) -> tuple[object, ...]:
    """The construction one character at a time (the engine's before it was made faster)."""
    arn = arn and sum(t.count(":") for t in tokens if isinstance(t, str)) >= 5
    atoms: list[tuple[int, str]] = []
    regex: list[str] = []
    colons = 0
    for token in tokens:
        in_prefix = arn and colons < 5
        if isinstance(token, Wild):
            if token is Wild.STAR:
                atoms.append((STAR_NC if in_prefix else STAR, ""))
                regex.append("[^:]*" if in_prefix else ".*")
            else:
                atoms.append((ANY1_NC if in_prefix else ANY1, ""))
                regex.append("[^:]" if in_prefix else ".")
            continue
        text = token.lower() if ignore_case else token
        for char in text:
            atoms.append((LIT, char))
            if char == ":":
                colons += 1
        regex.append(re.escape(text))
    collapsed: list[tuple[int, str]] = []
    for atom in atoms:
        if collapsed and atom[0] in (STAR, STAR_NC) and collapsed[-1][0] == atom[0]:
            continue
        collapsed.append(atom)
    text = "".join(t.value if isinstance(t, Wild) else t for t in tokens)
    literal = "".join(c for _, c in collapsed) if all(k == LIT for k, _ in collapsed) else None
    universal = len(collapsed) == 1 and collapsed[0][0] == STAR
    return text, tuple(collapsed), ignore_case, "".join(regex), literal, universal


token = st.one_of(
    st.sampled_from([Wild.STAR, Wild.QMARK]),
    st.text(alphabet="aB:/*?.é", max_size=6),  # literal text, empty included
)


@FAST
@given(tokens=st.lists(token, max_size=10).map(tuple), ignore_case=st.booleans(), arn=st.booleans())
@example(tokens=(Wild.STAR, "", Wild.STAR), ignore_case=False, arn=False)
@example(tokens=("arn:aws:s3:::", Wild.STAR, Wild.STAR), ignore_case=False, arn=True)
@example(tokens=(), ignore_case=False, arn=False)
def test_compiled_globs_are_those_of_the_plain_construction(
    tokens: Resolved, ignore_case: bool, arn: bool
) -> None:
    glob = compile_glob(tokens, ignore_case, arn)
    fields = (glob.text, glob.atoms, glob.ignore_case, glob.source, glob.literal, glob.universal)
    assert fields == plain_compile(tokens, ignore_case, arn)


def plain_automaton(globs: tuple[Glob, ...]) -> tuple[object, ...]:
    """The automaton's tables built one state at a time (the engine's before it was made faster)."""
    kinds: list[int] = []
    chars: list[str] = []
    ci: list[bool] = []
    accept: list[bool] = []
    starts: list[int] = []
    for glob in globs:
        starts.append(len(kinds))
        for kind, char in glob.atoms:
            kinds.append(kind)
            chars.append(char)
            ci.append(glob.ignore_case)
            accept.append(False)
        kinds.append(-1)
        chars.append("")
        ci.append(glob.ignore_case)
        accept.append(True)
    closure: list[frozenset[int]] = [frozenset()] * len(kinds)
    for s in range(len(kinds) - 1, -1, -1):
        closure[s] = frozenset({s}) | closure[s + 1] if kinds[s] in (STAR, STAR_NC) else frozenset({s})
    universal = [False] * len(kinds)
    for s in range(len(kinds) - 1, -1, -1):
        universal[s] = kinds[s] == -1 or (kinds[s] == STAR and universal[s + 1])
    universal = [u and kinds[s] != -1 for s, u in enumerate(universal)]
    start: set[int] = set()
    for s in starts:
        start |= closure[s]
    alphabet: set[str] = set()
    for s, kind in enumerate(kinds):
        if kind == LIT:
            alphabet.add(chars[s])
            if ci[s]:
                alphabet.update(v for v in (chars[s].upper(), chars[s].lower()) if len(v) == 1)
    return kinds, chars, ci, accept, closure, universal, frozenset(start), alphabet


@FAST
@given(
    globs=st.lists(
        st.tuples(st.lists(token, max_size=8).map(tuple), st.booleans(), st.booleans()), max_size=4
    ).map(lambda specs: tuple(compile_glob(tokens, ignore_case, arn) for tokens, ignore_case, arn in specs))
)
def test_automata_are_those_of_the_plain_construction(globs: tuple[Glob, ...]) -> None:
    nfa = Nfa(globs)
    built = (nfa._kinds, nfa._chars, nfa._ci, nfa._accept, nfa._closure, nfa._universal, nfa.start)
    assert (*built, nfa.alphabet()) == plain_automaton(globs)
    assert nfa.alphabet() == plain_automaton(globs)[-1]  # worked out once, the same again


def plain_samples(pattern: str, service: str | None) -> list[str]:
    """resource_samples before the order of its combinations was remembered per shape."""
    parts = pattern.split(":", 5)
    arn_service = parts[2] if len(parts) > 2 and "*" not in parts[2] and "?" not in parts[2] else service
    options = [_fills(part, i, arn_service) for i, part in enumerate(parts)]
    indices = sorted(itertools.product(*(range(len(o)) for o in options)), key=sum)
    return [":".join(o[i] for o, i in zip(options, chosen, strict=True)) for chosen in indices[:_LIMIT]]


@FAST
@given(
    parts=st.lists(st.sampled_from(["*", "?", "a*", "eks", "cluster/*", "", "x?y"]), min_size=1, max_size=6),
    service=st.sampled_from([None, "iam", "s3", "eks"]),
)
@example(parts=["*", "eks", "*", "*", "cluster/*"], service="eks")
def test_resource_samples_come_in_the_plain_order(parts: list[str], service: str | None) -> None:
    pattern = ":".join(["arn", *parts])
    assert list(resource_samples(pattern, service)) == plain_samples(pattern, service)


@FAST
@given(
    text=st.text(alphabet="a:/*?${}' ,", max_size=14),
    wildcards=st.booleans(),
    variables=st.booleans(),
)
@example(text="", wildcards=True, variables=True)
@example(text="${*}x", wildcards=True, variables=True)
def test_static_tokens_are_the_resolved_ones(text: str, wildcards: bool, variables: bool) -> None:
    """static() hands out a pattern's own tokens when no variable can be in it: they are what
    resolving them gives."""
    try:
        pattern = tokenize(text, wildcards=wildcards, variables=variables)
    except ValueError:
        return
    expected = None if pattern.variables else resolve(pattern, None)
    assert static(pattern) == expected
