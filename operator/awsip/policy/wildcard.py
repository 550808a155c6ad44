"""Wildcard patterns as regular languages: fast matching, and exact emptiness of their combinations.

A :class:`Glob` is a pattern with ``*`` (any sequence, including ``:`` and ``/``) and ``?`` (exactly
one character); in ARN mode (``ArnLike``) the wildcards of the first five ``:``-separated parts do
not cross ``:``. Matching one string uses a compiled regular expression.

Questions about whole languages ("is every string of pattern R matched by one of the patterns
A1..An?", "do R and D share a string?", "which strings of R are in which of A1..An?") are answered
by a breadth-first search over the product of the patterns' automata, with an on-the-fly subset
construction per union of patterns. A :class:`Language` is a union of patterns taken positively or
negatively (its complement); the search looks for a string in the intersection of the languages.
Only characters that occur in the patterns (and their other case, ``:``, and one representative of
every other character) need to be tried, so the search is exact and yields a witness string.

Nothing here remembers anything between calls: :class:`awsip.policy.caches.PatternCaches` decides
what is kept (compiled globs, automata and their memoized steps) and within which bound.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import repeat

from awsip.policy.interrupt import checkpoint
from awsip.policy.model import Wild

# Atom kinds of a compiled pattern.
LIT, ANY1, STAR, ANY1_NC, STAR_NC = range(5)

#: Tokens of a resolved pattern (no variables left): literal runs and wildcards.
Resolved = tuple[str | Wild, ...]

DEFAULT_BUDGET = 50_000
#: Bound on the work of one search, counted in NFA states stepped: the number of product states
#: alone does not bound the time when the patterns are long (a hostile ``a*a*a*...`` of hundreds
#: of stars makes every product state hundreds of NFA states wide).
DEFAULT_WORK_BUDGET = 2_000_000


#: The regular expression of each wildcard atom.
_ATOM_SOURCE = {ANY1: ".", ANY1_NC: "[^:]", STAR: ".*", STAR_NC: "[^:]*"}


class Undecided(Exception):
    """The automaton search exceeded its budget; the caller reports Unknown."""


@dataclass(frozen=True, eq=False)
class Glob:
    text: str
    atoms: tuple[tuple[int, str], ...]
    ignore_case: bool
    literal: str | None  # the pattern's only string when it has no wildcards
    universal: bool  # matches every string
    #: The regular expression's pieces: literal text (escaped when it is written) or an atom kind.
    parts: tuple[str | int, ...] = field(repr=False)

    @cached_property
    def source(self) -> str:
        """The regular expression, written when first needed (most globs of a check are literal,
        universal, or only searched with automata; escaping costs microseconds)."""
        return "".join(
            [re.escape(part) if isinstance(part, str) else _ATOM_SOURCE[part] for part in self.parts]
        )

    @cached_property
    def shape(self) -> Shape:
        """What the glob matches, as a set member: its atoms and case (hashed once)."""
        return Shape(self.atoms, self.ignore_case)

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.source, re.DOTALL)

    def matches(self, value: str) -> bool:
        if self.ignore_case:
            value = value.lower()
        if self.literal is not None:
            return value == self.literal
        if self.universal:
            return True
        return self._matcher(value)

    @cached_property
    def _matcher(self) -> Callable[[str], bool]:
        """How to match one string without ever backtracking badly.

        The plain regular expression (``a.*a.*a.*...``) takes exponential time on a string it does
        not match once a pattern has many stars -- and the documents come from AWS accounts we do
        not control. So: the plain expression for at most one star; with more, and only ``*`` that
        crosses everything, each part between stars is matched at its leftmost place and never
        retried (atomic groups; leftmost is always right when the gaps may hold anything); with
        ARN-mode stars, the bit-parallel automaton.
        """
        stars = sum(1 for kind, _ in self.atoms if kind in (STAR, STAR_NC))
        if stars <= 1:
            plain = self.regex
            return lambda value: plain.fullmatch(value) is not None
        if any(kind in (STAR_NC, ANY1_NC) for kind, _ in self.atoms):
            return self.automaton_matches
        parts: list[str] = [""]
        for kind, char in self.atoms:
            if kind == STAR:
                parts.append("")
            else:
                parts[-1] += re.escape(char) if kind == LIT else "."
        middle = "".join(f"(?>.*?{part})" for part in parts[1:-1])
        leftmost = re.compile(f"{parts[0]}{middle}.*{parts[-1]}", re.DOTALL)
        return lambda value: leftmost.fullmatch(value) is not None

    @cached_property
    def _masks(self) -> tuple[dict[str, int], int, int, int, int]:
        """Bit masks over the atoms' positions: per literal character, any character, any but ':'
        (for ``?``), and the stars (``*``, ``*`` not crossing ':')."""
        literals: dict[str, int] = {}
        any1 = any1_nc = star = star_nc = 0
        for position, (kind, char) in enumerate(self.atoms):
            bit = 1 << position
            if kind == LIT:
                literals[char] = literals.get(char, 0) | bit
            elif kind == ANY1:
                any1 |= bit
            elif kind == ANY1_NC:
                any1_nc |= bit
            elif kind == STAR:
                star |= bit
            else:
                star_nc |= bit
        return literals, any1, any1_nc, star, star_nc

    def automaton_matches(self, value: str) -> bool:
        """Whether the whole ``value`` matches, in time linear in its length (a bit-parallel run of
        the pattern's automaton: bit ``i`` set = the first ``i`` atoms are matched). ``value`` is
        taken as is (lower-case it for an ignore-case glob)."""
        literals, any1, any1_nc, star, star_nc = self._masks
        stars = star | star_nc

        def closure(state: int) -> int:  # a star also matches nothing
            while True:
                wider = state | ((state & stars) << 1)
                if wider == state:
                    return state
                state = wider

        state = closure(1)
        for char in value:
            step = any1 | star | literals.get(char, 0)
            if char != ":":
                step |= any1_nc | star_nc
            live = state & step
            state = closure(((live & ~stars) << 1) | (live & stars))
            if not state:
                return False
        return bool(state >> len(self.atoms) & 1)


#: The literal atom of each ASCII character.
_ASCII_ATOMS: dict[str, tuple[int, str]] = {chr(code): (LIT, chr(code)) for code in range(128)}


class Shape:
    """A glob's atoms and case: equal shapes match the same strings. Its hash is worked out once
    (the atoms of an ARN pattern are dozens of pairs; coverage compares shapes in every cell)."""

    __slots__ = ("_hash", "atoms", "ignore_case")

    def __init__(self, atoms: tuple[tuple[int, str], ...], ignore_case: bool) -> None:
        self.atoms = atoms
        self.ignore_case = ignore_case
        self._hash = hash((atoms, ignore_case))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Shape)
            and self._hash == other._hash
            and self.ignore_case == other.ignore_case
            and self.atoms == other.atoms
        )


def _arn_parts(tokens: Resolved) -> bool:
    colons = sum(t.count(":") for t in tokens if isinstance(t, str))
    return colons >= 5


def compile_glob(tokens: Resolved, ignore_case: bool = False, arn: bool = False) -> Glob:
    """Compile resolved tokens (the engine remembers the result: :class:`~awsip.policy.caches.PatternCaches`).

    One pass over the tokens builds the atoms, the text and, for a pattern without wildcards, its
    literal (a cold coverage check compiles a few dozen); the regular expression is written when a
    match needs it.
    """
    arn = arn and _arn_parts(tokens)
    atoms: list[tuple[int, str]] = []
    parts: list[str | int] = []
    texts: list[str] = []  # the tokens as written
    literals: list[str] = []  # the literal runs as matched (lower case when ignoring case)
    colons = 0
    for token in tokens:
        if isinstance(token, Wild):
            in_prefix = arn and colons < 5
            texts.append("*" if token is Wild.STAR else "?")  # not .value: a property of Enum
            if token is Wild.STAR:
                kind = STAR_NC if in_prefix else STAR
                # A run of stars is one star ("**" is "*"): collapsed as the atoms are made.
                if not (atoms and atoms[-1][0] == kind):
                    atoms.append((kind, ""))
            else:
                kind = ANY1_NC if in_prefix else ANY1
                atoms.append((kind, ""))
            parts.append(kind)
            continue
        texts.append(token)
        text = token.lower() if ignore_case else token
        literals.append(text)
        parts.append(text)
        # One atom per character (patterns are long ARNs): the ASCII ones shared, not made anew
        # (each new pair was an object for the garbage collector to track and visit).
        atoms.extend(map(_ASCII_ATOMS.__getitem__, text) if text.isascii() else zip(repeat(LIT), text))
        if arn:
            colons += text.count(":")
    wildcards = len(literals) < len(tokens)
    return Glob(
        text="".join(texts),
        atoms=tuple(atoms),
        ignore_case=ignore_case,
        literal=None if wildcards else "".join(literals),
        universal=len(atoms) == 1 and atoms[0][0] == STAR,
        parts=tuple(parts),
    )


def action_shape() -> Glob:
    """The strings shaped like an action: "service:name", a non-empty service without ':'."""
    atoms = ((ANY1_NC, ""), (STAR_NC, ""), (LIT, ":"), (ANY1, ""), (STAR, ""))
    return Glob(
        "service:name", atoms, True, None, False, tuple(kind if kind != LIT else char for kind, char in atoms)
    )


def glob_text(text: str, *, ignore_case: bool = False, wildcards: bool = True) -> Glob:
    """A glob from plain text (no policy variables): ``*`` and ``?`` are wildcards if ``wildcards``."""
    tokens: list[str | Wild] = []
    for char in text:
        if wildcards and char == "*":
            tokens.append(Wild.STAR)
        elif wildcards and char == "?":
            tokens.append(Wild.QMARK)
        elif tokens and isinstance(tokens[-1], str):
            tokens[-1] += char
        else:
            tokens.append(char)
    return compile_glob(tuple(tokens), ignore_case)


def matches(pattern: str, text: str, *, ignore_case: bool = False) -> bool:
    """Whether ``text`` matches the plain-text glob ``pattern`` as a whole (``*`` any run of
    characters, ``?`` exactly one). Linear in the text, whatever the pattern: documents and
    tenancy rules come from people we do not control, and ``a*a*a*...`` must not backtrack."""
    return glob_text(pattern, ignore_case=ignore_case).matches(text)


def has_wildcards(text: str) -> bool:
    """Whether plain text contains ``*`` or ``?``."""
    return "*" in text or "?" in text


State = frozenset[int]


class StepBudget:
    """How many step results the automata sharing this budget may still memoize (all together).

    A search memoizes the subset construction's steps as it goes; without a shared bound, every
    cached automaton could hold its own large table. Not locked: a race only miscounts by a step.
    """

    def __init__(self, steps: int) -> None:
        self.capacity = steps
        self.remaining = steps

    def take(self) -> bool:
        if self.remaining <= 0:
            return False
        self.remaining -= 1
        return True

    def refund(self, steps: int) -> None:
        self.remaining = min(self.capacity, self.remaining + steps)


#: Steps one automaton memoizes when nobody gives it a budget (it lives for one search only).
LOCAL_STEPS = 200_000


class Nfa:
    """The union of some globs as one automaton; states are positions in the globs' atoms.

    ``budget`` bounds the step results it memoizes (shared with the other automata of a cache);
    without one it memoizes up to :data:`LOCAL_STEPS`.
    """

    def __init__(self, globs: tuple[Glob, ...], budget: StepBudget | None = None) -> None:
        self.globs = globs
        self.budget = budget if budget is not None else StepBudget(LOCAL_STEPS)
        # One state per atom, and one accepting state ending each glob (kind -1). Built a glob at a
        # time (a cold check builds automata of ARN patterns of a hundred atoms and more).
        kinds: list[int] = []
        chars: list[str] = []
        ci: list[bool] = []
        accept: list[bool] = []
        starts: list[int] = []
        for glob in globs:
            starts.append(len(kinds))
            atoms = glob.atoms
            if atoms:
                glob_kinds, glob_chars = zip(*atoms, strict=True)
                kinds.extend(glob_kinds)
                chars.extend(glob_chars)
            kinds.append(-1)  # end of this glob
            chars.append("")
            ci.extend([glob.ignore_case] * (len(atoms) + 1))
            accept.extend([False] * len(atoms))
            accept.append(True)
        self._kinds = kinds
        self._chars = chars
        self._ci = ci
        self._accept = accept
        # closure[s]: s plus the states reachable by skipping stars (which match the empty string).
        closure: list[frozenset[int]] = list(map(frozenset, zip(range(len(kinds)), strict=True)))
        for s in range(len(kinds) - 2, -1, -1):
            if kinds[s] in (STAR, STAR_NC):
                closure[s] = closure[s] | closure[s + 1]
        self._closure = closure
        # universal[s]: from s every continuation is accepted (only '*' atoms up to the end).
        universal = [False] * len(kinds)
        for end, kind in enumerate(kinds):
            if kind == -1:
                s = end - 1
                while s >= 0 and kinds[s] == STAR:
                    universal[s] = True
                    s -= 1
        self._universal = universal
        start: set[int] = set()
        for s in starts:
            start |= closure[s]
        self.start: State = frozenset(start)
        self._steps: dict[tuple[State, str], State] = {}
        self._accepts: dict[State, bool] = {}
        self._alphabet: frozenset[str] | None = None

    def accepts(self, state: State) -> bool:
        result = self._accepts.get(state)
        if result is None:
            result = any(self._accept[s] for s in state)
            if self.budget.take():
                self._accepts[state] = result
        return result

    def universal(self, state: State) -> bool:
        return any(self._universal[s] for s in state)

    def step(self, state: State, char: str) -> State:
        key = (state, char)
        result = self._steps.get(key)
        if result is not None:
            return result
        out: set[int] = set()
        lower = char.lower()
        for s in state:
            kind = self._kinds[s]
            if kind == LIT:
                atom = self._chars[s]
                if atom == char or (self._ci[s] and atom == lower):
                    out |= self._closure[s + 1]
            elif kind == ANY1 or (kind == ANY1_NC and char != ":"):
                out |= self._closure[s + 1]
            elif kind == STAR or (kind == STAR_NC and char != ":"):
                out |= self._closure[s]
        result = frozenset(out)
        if self.budget.take():
            self._steps[key] = result
        return result

    @property
    def states(self) -> int:
        """The number of NFA states (atoms and ends of globs): what the automaton weighs in a cache."""
        return len(self._kinds)

    def release(self) -> None:
        """Give the memoized results back to the budget and memoize no more (evicted from a cache)."""
        self.budget.refund(len(self._steps) + len(self._accepts))
        self.budget = StepBudget(0)

    def alphabet(self) -> frozenset[str]:
        """The characters of the globs' literals, both cases where they ignore case (worked out
        once: an automaton kept by an engine takes part in many searches)."""
        found = self._alphabet
        if found is None:
            chars: set[str] = set()
            for s, kind in enumerate(self._kinds):
                if kind == LIT:
                    char = self._chars[s]
                    chars.add(char)
                    if self._ci[s]:
                        for variant in (char.upper(), char.lower()):
                            if len(variant) == 1:
                                chars.add(variant)
            found = self._alphabet = frozenset(chars)
        return found


#: Builds (or recalls) the automaton of a union of globs; :class:`Nfa` itself builds a fresh one.
Automata = Callable[[tuple[Glob, ...]], Nfa]


@dataclass(frozen=True, slots=True)
class Language:
    """A union of globs (``positive``) or its complement (not ``positive``)."""

    globs: tuple[Glob, ...]
    positive: bool = True

    def contains(self, value: str) -> bool:
        for glob in self.globs:  # a loop, not any(...): coverage asks this of every candidate
            if glob.matches(value):
                return self.positive
        return not self.positive


_REPRESENTATIVES = "xyzqwkvjXYZ0123456789-_./@#%&+=~!"


def _alphabet(automata: Sequence[Nfa], prefer: str = "") -> list[str]:
    chars: set[str] = {":"}
    for automaton in automata:
        chars |= automaton.alphabet()
    for candidate in _REPRESENTATIVES:
        if candidate not in chars:
            chars.add(candidate)
            break
    else:  # pragma: no cover - every representative occurs in the patterns
        for code in range(0x100, 0x10000):
            if chr(code) not in chars:
                chars.add(chr(code))
                break
    # Try the preferred characters first so that witnesses look like the patterns they come from.
    ordered = [c for c in dict.fromkeys(prefer) if c in chars]
    return ordered + sorted(chars - set(ordered))


class _Work:
    """Counts the NFA states a search steps through and stops it beyond the work budget."""

    def __init__(self, alphabet_size: int) -> None:
        self.alphabet_size = alphabet_size
        self.done = 0

    def spend(self, product_state: tuple[State, ...]) -> None:
        checkpoint()
        self.done += self.alphabet_size * sum(len(state) for state in product_state)
        if self.done > DEFAULT_WORK_BUDGET:
            raise Undecided(f"more than {DEFAULT_WORK_BUDGET} automaton steps")


_Parents = dict[tuple[State, ...], tuple[tuple[State, ...], str] | None]


def _witness(parents: _Parents, node: tuple[State, ...]) -> str:
    """The string that led the breadth-first search from its start to ``node``."""
    chars: list[str] = []
    link = parents[node]
    while link is not None:
        node, char = link
        chars.append(char)
        link = parents[node]
    return "".join(reversed(chars))


def find_string(
    languages: Sequence[Language],
    *,
    budget: int = DEFAULT_BUDGET,
    prefer: str = "",
    automata_of: Automata = Nfa,
) -> str | None:
    """A shortest string in the intersection of the languages, or None when it is empty.

    Raises :class:`Undecided` when more than ``budget`` product states would be explored.
    ``automata_of`` builds the automaton of each language's globs (an engine passes its cache).
    """
    if not languages:
        return ""
    for language in languages:
        if language.positive and all(g.literal is not None and not g.ignore_case for g in language.globs):
            # A finite language (literal strings): test its strings, no automaton needed.
            members = sorted(
                {g.literal for g in language.globs if g.literal is not None}, key=lambda m: (len(m), m)
            )
            return next((m for m in members if all(lang.contains(m) for lang in languages)), None)
    automata = [automata_of(lang.globs) for lang in languages]
    polarity = [lang.positive for lang in languages]
    alphabet = _alphabet(automata, prefer)

    def classify(states: tuple[State, ...]) -> tuple[State, ...] | None:
        # Drop components whose outcome is already fixed; None when the product is dead.
        out = []
        for automaton, positive, state in zip(automata, polarity, states, strict=True):
            if positive:
                if not state:
                    return None
            elif automaton.universal(state):
                return None
            out.append(state)
        return tuple(out)

    start = classify(tuple(a.start for a in automata))
    if start is None:
        return None
    parents: _Parents = {start: None}
    queue: deque[tuple[State, ...]] = deque([start])
    work = _Work(len(alphabet))
    while queue:
        current = queue.popleft()
        work.spend(current)
        if all(a.accepts(s) == p for a, p, s in zip(automata, polarity, current, strict=True)):
            return _witness(parents, current)
        for char in alphabet:
            following = classify(tuple(a.step(s, char) for a, s in zip(automata, current, strict=True)))
            if following is None or following in parents:
                continue
            parents[following] = (current, char)
            if len(parents) > budget:
                raise Undecided(f"more than {budget} automaton states")
            queue.append(following)
    return None


_UNIVERSAL: State = frozenset({-1})  # canonical state of an automaton that accepts every continuation


def _canon(automaton: Nfa, state: State) -> State:
    return _UNIVERSAL if state and automaton.universal(state) else state


def _step(automaton: Nfa, state: State, char: str) -> State:
    return state if state is _UNIVERSAL else _canon(automaton, automaton.step(state, char))


def _accepts(automaton: Nfa, state: State) -> bool:
    return state is _UNIVERSAL or automaton.accepts(state)


def iter_cells(
    required: Sequence[Language],
    tracked: Sequence[Language],
    *,
    budget: int = DEFAULT_BUDGET,
    prefer: str = "",
    automata_of: Automata = Nfa,
) -> Iterator[tuple[str, tuple[bool, ...]]]:
    """The distinct ways a string of ``required`` can belong to the ``tracked`` languages.

    Yields one (witness string, membership vector) per reachable combination, shortest witnesses
    first: every string in the intersection of ``required`` belongs to the tracked languages as one
    of the yielded vectors says. The caller may stop early. Raises :class:`Undecided` beyond
    ``budget`` product states.
    """
    req_automata = [automata_of(lang.globs) for lang in required]
    req_polarity = [lang.positive for lang in required]
    trk_automata = [automata_of(lang.globs) for lang in tracked]
    trk_polarity = [lang.positive for lang in tracked]
    all_automata = req_automata + trk_automata
    alphabet = _alphabet(all_automata, prefer)
    n = len(req_automata)

    def alive(states: tuple[State, ...]) -> bool:
        for positive, state in zip(req_polarity, states[:n], strict=True):
            if (positive and not state) or (not positive and state is _UNIVERSAL):
                return False
        return True

    start = tuple(_canon(a, a.start) for a in all_automata)
    if not alive(start):
        return
    seen: set[tuple[bool, ...]] = set()
    parents: _Parents = {start: None}
    queue: deque[tuple[State, ...]] = deque([start])
    work = _Work(len(alphabet))
    while queue:
        current = queue.popleft()
        work.spend(current)
        if all(_accepts(a, s) == p for a, p, s in zip(req_automata, req_polarity, current[:n], strict=True)):
            vector = tuple(
                _accepts(a, s) == p for a, p, s in zip(trk_automata, trk_polarity, current[n:], strict=True)
            )
            if vector not in seen:
                seen.add(vector)
                yield _witness(parents, current), vector
        if all(s is _UNIVERSAL or not s for s in current):
            continue  # every automaton's answer is settled for all continuations
        for char in alphabet:
            following = tuple(_step(a, s, char) for a, s in zip(all_automata, current, strict=True))
            if following in parents or not alive(following):
                continue
            parents[following] = (current, char)
            if len(parents) > budget:
                raise Undecided(f"more than {budget} automaton states")
            queue.append(following)


def cells(
    required: Sequence[Language],
    tracked: Sequence[Language],
    *,
    budget: int = DEFAULT_BUDGET,
    prefer: str = "",
) -> list[tuple[str, tuple[bool, ...]]]:
    """All of :func:`iter_cells` as a list."""
    return list(iter_cells(required, tracked, budget=budget, prefer=prefer))
