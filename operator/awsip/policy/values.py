"""Typed condition values (numbers, dates, IP addresses) and exact sets of them (interval unions).

A context value that does not parse as the operator's type never matches a positive operator (so a
negated operator holds for it). The interval sets let the coverage solver decide exactly whether
some value satisfies a combination of numeric, date or address conditions.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_EPOCH = re.compile(r"[+-]?\d+")
_EPOCH_START = datetime(1970, 1, 1, tzinfo=UTC)
IP_MAX = 2**32 + 2**128 - 1  # IPv4 addresses are 0 .. 2**32-1, IPv6 follow on one line


def parse_number(text: str) -> Decimal | None:
    text = text.strip()
    if not _NUMBER.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        return None


def parse_date(text: str) -> Decimal | None:
    """Seconds since the epoch: ISO 8601 (naive means UTC) or an integer epoch time."""
    text = text.strip()
    if _EPOCH.fullmatch(text):
        return Decimal(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH_START
    micros = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    return Decimal(micros) / Decimal(1_000_000)


def format_date(seconds: Decimal) -> str:
    """ISO 8601 in UTC; epoch seconds for moments outside the years 1..9999."""
    micros = int((seconds * 1_000_000).to_integral_value())
    try:
        moment = _EPOCH_START + timedelta(microseconds=micros)
    except OverflowError:
        return str(int(seconds))
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}"
    return text + "Z"


def parse_address(text: str) -> int | None:
    """An IP address on one line: IPv4 as is, IPv6 after all IPv4 addresses."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    return int(address) if address.version == 4 else 2**32 + int(address)


def parse_network(text: str) -> tuple[int, int] | None:
    """A CIDR block (or one address) as the closed range of its addresses on the same line."""
    try:
        network = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None
    offset = 0 if network.version == 4 else 2**32
    return offset + int(network.network_address), offset + int(network.broadcast_address)


def format_address(value: int) -> str:
    if value < 2**32:
        return str(ipaddress.IPv4Address(value))
    return str(ipaddress.IPv6Address(value - 2**32))


# A bound: (value, inclusive); None is -infinity for a lower and +infinity for an upper bound.
Bound = tuple[Decimal, bool] | None


@dataclass(frozen=True, slots=True)
class Interval:
    lo: Bound
    hi: Bound

    def empty(self) -> bool:
        if self.lo is None or self.hi is None:
            return False
        (a, a_in), (b, b_in) = self.lo, self.hi
        return a > b or (a == b and not (a_in and b_in))

    def contains(self, x: Decimal) -> bool:
        if self.lo is not None:
            a, a_in = self.lo
            if x < a or (x == a and not a_in):
                return False
        if self.hi is not None:
            b, b_in = self.hi
            if x > b or (x == b and not b_in):
                return False
        return True


def _max_lo(a: Bound, b: Bound) -> Bound:
    if a is None:
        return b
    if b is None:
        return a
    if a[0] != b[0]:
        return a if a[0] > b[0] else b
    return (a[0], a[1] and b[1])


def _min_hi(a: Bound, b: Bound) -> Bound:
    if a is None:
        return b
    if b is None:
        return a
    if a[0] != b[0]:
        return a if a[0] < b[0] else b
    return (a[0], a[1] and b[1])


@dataclass(frozen=True, slots=True)
class Intervals:
    """A union of intervals of real numbers (exact: Decimal bounds, open or closed)."""

    parts: tuple[Interval, ...]

    @staticmethod
    def compare(operator: str, value: Decimal) -> Intervals:
        """The numbers ``x`` with ``x <operator> value`` (Equals, LessThan, ... GreaterThanEquals)."""
        parts = {
            "Equals": Interval((value, True), (value, True)),
            "LessThan": Interval(None, (value, False)),
            "LessThanEquals": Interval(None, (value, True)),
            "GreaterThan": Interval((value, False), None),
            "GreaterThanEquals": Interval((value, True), None),
        }
        return Intervals((parts[operator],))

    def union(self, other: Intervals) -> Intervals:
        return Intervals(self.parts + other.parts)

    def intersect(self, other: Intervals) -> Intervals:
        parts = []
        for a in self.parts:
            for b in other.parts:
                part = Interval(_max_lo(a.lo, b.lo), _min_hi(a.hi, b.hi))
                if not part.empty():
                    parts.append(part)
        return Intervals(tuple(parts))

    def complement(self) -> Intervals:
        result = Intervals((Interval(None, None),))
        for part in self.parts:
            pieces = []
            if part.lo is not None:
                pieces.append(Interval(None, (part.lo[0], not part.lo[1])))
            if part.hi is not None:
                pieces.append(Interval((part.hi[0], not part.hi[1]), None))
            result = result.intersect(Intervals(tuple(pieces)))
        return result

    def contains(self, x: Decimal) -> bool:
        return any(part.contains(x) for part in self.parts)

    def sample(self) -> Decimal | None:
        """Some member, preferring an integer; None when empty."""
        for part in self.parts:
            if part.empty():
                continue
            candidates: list[Decimal] = []
            if part.lo is None and part.hi is None:
                candidates.append(Decimal(0))
            if part.lo is not None:
                a = part.lo[0]
                candidates += [a, a.to_integral_value() + 1, a + 1]
            if part.hi is not None:
                b = part.hi[0]
                candidates += [b, b.to_integral_value() - 1, b - 1]
            if part.lo is not None and part.hi is not None:
                candidates.append((part.lo[0] + part.hi[0]) / 2)
            for candidate in candidates:
                if part.contains(candidate):
                    return candidate
        return None


@dataclass(frozen=True, slots=True)
class Ranges:
    """A union of closed ranges of integers within ``0 .. IP_MAX`` (IP addresses)."""

    parts: tuple[tuple[int, int], ...]

    def union(self, other: Ranges) -> Ranges:
        return Ranges(self.parts + other.parts)

    def intersect(self, other: Ranges) -> Ranges:
        parts = []
        for a_lo, a_hi in self.parts:
            for b_lo, b_hi in other.parts:
                lo, hi = max(a_lo, b_lo), min(a_hi, b_hi)
                if lo <= hi:
                    parts.append((lo, hi))
        return Ranges(tuple(parts))

    def complement(self) -> Ranges:
        result = Ranges(((0, IP_MAX),))
        for lo, hi in self.parts:
            pieces = []
            if lo > 0:
                pieces.append((0, lo - 1))
            if hi < IP_MAX:
                pieces.append((hi + 1, IP_MAX))
            result = result.intersect(Ranges(tuple(pieces)))
        return result

    def contains(self, x: int) -> bool:
        return any(lo <= x <= hi for lo, hi in self.parts)

    def sample(self) -> int | None:
        for lo, hi in sorted(self.parts):
            # Prefer an IPv4 address a person recognises over the first address of a block.
            if lo <= hi:
                return lo + 1 if lo + 1 <= hi and lo % 256 == 0 else lo
        return None
