"""The authorization catalog: what AWS says each action is authorized against.

For every action (``eks:DescribeCluster``) the Service Authorization Reference lists its resource
types (each with an ARN format; none means the action is authorized against ``*``) and the
condition keys it supports, with their types. :class:`Catalog` answers those questions from the
data of :mod:`awsip.catalog.source`, loading one service's file the first time the service is
asked about (a process asks about a handful of services; all 450 take ~0.2 s).

Where the data is known to be incomplete the catalog says so instead of guessing:

- A few prefixes are documented on several pages of the reference (Elastic Load Balancing and
  its V2, API Gateway and its V2, ...). The data merges them by action name, so an action that
  exists on two pages keeps one page's resource types. For these services an action stands for
  the ARNs of *every* resource type of the service, and ``*`` (a superset of the truth: a verdict
  built on it can only miss fewer gaps, never hide one); :attr:`Action.note` says so.
- An action whose resource type has no ARN format in the data cannot be modelled: it is
  :attr:`Action.formal` (the engine falls back to the formal check for it).
"""

from __future__ import annotations

import bisect
import difflib
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from awsip.catalog.arn_formats import COLON_FREE_NAMES, ArnFormat, parse_arn_format
from awsip.catalog.global_keys import GLOBAL_CONDITION_KEYS
from awsip.catalog.partitions import Partition
from awsip.catalog.source import CatalogSource, CatalogUnavailable, DataFiles

#: Prefixes the Service Authorization Reference documents on more than one page (a service and its
#: V2, or several products under one prefix). Pages named "... V2" in the data are added to these.
MERGED_PREFIXES: frozenset[str] = frozenset(
    {
        "apigateway",  # API Gateway Management, and V2
        "aws-marketplace",  # Marketplace catalog, entitlement, procurement, ...
        "elasticloadbalancing",  # Classic Load Balancers, and V2 (application/network/gateway)
        "greengrass",  # IoT Greengrass, and V2
        "kinesisanalytics",  # Kinesis Analytics, and V2
        "lex",  # Lex, and V2
        "ses",  # SES, SES v2, Pinpoint Email
        "sms-voice",  # Pinpoint SMS and Voice, and End User Messaging SMS and Voice V2
    }
)

_WILD = re.compile(r"[*?]")
_CLOSE = 0.8  # how similar a name must be to be suggested (difflib ratio)


@dataclass(frozen=True)
class ConditionKey:
    """A condition key as documented; ``name`` may be a template such as ``aws:RequestTag/${TagKey}``."""

    name: str
    type: str  # String, ARN, Bool, Date, Numeric, IPAddress, ArrayOfString, ArrayOfARN, ...
    is_global: bool = False
    per_service: bool = False  # a global key present only where the service lists it

    @property
    def multivalued(self) -> bool:
        """Whether a request may carry several values (AWS: set operators are required)."""
        return self.type.lower().startswith("arrayof")

    @cached_property
    def _regex(self) -> re.Pattern[str] | None:
        if "${" not in self.name:
            return None
        parts = re.split(r"\$\{[^}]*\}", self.name.lower())
        return re.compile(".+".join(re.escape(p) for p in parts), re.DOTALL)

    def matches(self, key: str) -> bool:
        """Whether a key used in a policy is this key (names are case-insensitive)."""
        regex = self._regex
        if regex is None:
            return key.lower() == self.name.lower()
        return regex.fullmatch(key.lower()) is not None

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "type": self.type, "global": self.is_global}


@dataclass(frozen=True, eq=False)
class ResourceType:
    name: str
    arn: ArnFormat
    condition_keys: tuple[ConditionKey, ...] = ()


@dataclass(frozen=True)
class ActionResourceType:
    resource_type: ResourceType
    required: bool  # marked required ("*") in the reference


@dataclass(frozen=True, eq=False)
class Action:
    """One action with what its requests may carry.

    A request for the action names a resource of one of ``resource_types`` (its ARN), or ``*``
    when ``star`` (an action with no resource type is authorized against ``*``).
    """

    service: str  # the prefix, e.g. "eks"
    name: str  # as AWS spells it, e.g. "DescribeCluster"
    access_level: str
    resource_types: tuple[ActionResourceType, ...]
    condition_keys: tuple[ConditionKey, ...]  # every key the action supports (own and its resources')
    star: bool
    note: str = ""  # how this answer is approximated; "" when the reference is followed exactly
    formal: bool = False  # the data cannot describe the requests: the engine uses the formal check

    @property
    def full_name(self) -> str:
        return f"{self.service}:{self.name}"

    @cached_property
    def formats(self) -> tuple[ArnFormat, ...]:
        """The ARN formats of its resource types (worked out once: samples ask for them often)."""
        return tuple(r.resource_type.arn for r in self.resource_types)

    @cached_property
    def formats_required_first(self) -> tuple[ArnFormat, ...]:
        """:attr:`formats`, those of required resource types first (stable otherwise)."""
        return tuple(r.resource_type.arn for r in sorted(self.resource_types, key=lambda r: not r.required))

    def matches_resource(self, resource: str) -> bool:
        """Whether a request for this action can name ``resource`` (its ARN, or ``*``)."""
        if self.formal:
            return True
        if resource == "*" and self.star:
            return True
        for fmt in self.formats:  # noqa: SIM110 - a loop: samples ask this for every candidate
            if fmt.matches(resource):
                return True
        return False

    def __str__(self) -> str:
        return self.full_name


class Service:
    """One service prefix. Its actions are built on first use: a policy such as ReadOnlyAccess
    names hundreds of services, but only the names of most of their actions are ever needed."""

    def __init__(
        self,
        prefix: str,
        title: str,
        raw_actions: Mapping[str, Any],
        data: DataFiles,
        partitions: tuple[str, ...],
        merged: bool,
    ) -> None:
        self.prefix = prefix
        self.title = title
        self.merged = merged
        self._raw = {
            str(item["name"]).lower(): item
            for item in raw_actions.values()
            if isinstance(item, dict) and isinstance(item.get("name"), str)
        }
        self.names: tuple[str, ...] = tuple(sorted(self._raw))  # lower-case
        self._data = data
        self._partitions = partitions
        self._actions: dict[str, Action] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Service({self.prefix!r})"

    @cached_property
    def condition_keys(self) -> tuple[ConditionKey, ...]:
        raw = self._data.read("conditionKeys", f"{self.prefix}.json")
        return _condition_keys(raw if isinstance(raw, dict) else {})

    @cached_property
    def _keys_by_name(self) -> dict[str, ConditionKey]:
        return {k.name.lower(): k for k in self.condition_keys}

    @cached_property
    def resource_types(self) -> dict[str, ResourceType]:
        """The service's resource types by lower-case name."""
        raw = self._data.read("resourceTypes", f"{self.prefix}.json")
        types: dict[str, ResourceType] = {}
        for item in raw.values() if isinstance(raw, dict) else ():
            if not isinstance(item, dict) or not isinstance(item.get("arn"), str):
                continue
            name = str(item.get("key", ""))
            types[name.lower()] = ResourceType(
                name,
                parse_arn_format(
                    item["arn"], self._partitions, colon_free_names=self.prefix in COLON_FREE_NAMES
                ),
                _resolve_keys(item.get("conditionKeys"), self._keys_by_name),
            )
        return types

    def action(self, name: str) -> Action | None:
        """An action by name (case-insensitive), None when the service has no such action."""
        key = name.lower()
        found = self._actions.get(key)
        if found is not None:
            return found
        raw = self._raw.get(key)
        if raw is None:
            return None
        with self._lock:  # the lazy properties above are filled once
            built = _action(self.prefix, raw, self.resource_types, self._keys_by_name, self.merged)
            return self._actions.setdefault(key, built)

    def matching_names(self, name_pattern: str) -> list[str]:
        """The (lower-case) names of the actions a wildcard pattern matches (case-insensitive)."""
        lowered = name_pattern.lower()
        wild = _WILD.search(lowered)
        if wild is None:
            return [lowered] if lowered in self._raw else []
        prefix = lowered[: wild.start()]
        start = bisect.bisect_left(self.names, prefix)
        regex = _glob_regex(lowered)
        out = []
        for name in self.names[start:]:
            if not name.startswith(prefix):
                break
            if regex.fullmatch(name):
                out.append(name)
        return out

    def matching(self, name_pattern: str) -> list[Action]:
        """The actions whose name matches a wildcard pattern (case-insensitive)."""
        return [a for a in map(self.action, self.matching_names(name_pattern)) if a is not None]


@dataclass(frozen=True)
class ActionLookup:
    """What the catalog knows about one action name."""

    name: str
    action: Action | None  # None: no service defines it
    service_known: bool
    suggestion: str | None = None  # the closest known action, for a typo


def _glob_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL
    )


class Catalog:
    """The Service Authorization Reference, indexed lazily (thread-safe; one per process)."""

    def __init__(self, data: DataFiles, partitions: Iterable[Partition]) -> None:
        self._data = data
        self.partitions: tuple[Partition, ...] = tuple(partitions)
        self.partition_names: tuple[str, ...] = tuple(p.name for p in self.partitions)
        self.source: CatalogSource = data.source()
        prefixes = data.read("services.json")
        if not isinstance(prefixes, list) or not all(isinstance(p, str) for p in prefixes):
            raise CatalogUnavailable("services.json does not list the service prefixes")
        self._prefixes: frozenset[str] = frozenset(p.lower() for p in prefixes)
        titles = data.read("serviceNames.json")
        self._titles: dict[str, str] = (
            {str(k).lower(): str(v) for k, v in titles.items()} if isinstance(titles, dict) else {}
        )
        self._services: dict[str, Service | None] = {}
        self._close_prefixes: dict[str, str | None] = {}
        self._keys: dict[str, ConditionKey | None] = {}
        self._lock = threading.Lock()
        self.global_keys: tuple[ConditionKey, ...] = tuple(
            ConditionKey(name, kind, True, per_service) for name, kind, per_service in GLOBAL_CONDITION_KEYS
        )

    # -- services and actions --------------------------------------------------------------------

    @property
    def prefixes(self) -> frozenset[str]:
        return self._prefixes

    def service(self, prefix: str) -> Service | None:
        """The service of a prefix (loaded on first use), None when the data has no such service."""
        key = prefix.lower()
        if key not in self._prefixes:
            return None
        with self._lock:
            if key in self._services:
                return self._services[key]
        loaded = self._load_service(key)
        with self._lock:
            return self._services.setdefault(key, loaded)

    def action(self, name: str) -> Action | None:
        """A concrete action (``service:Name``, case-insensitive), None when no service defines it."""
        prefix, sep, action = name.partition(":")
        if not sep:
            return None
        service = self.service(prefix)
        return None if service is None else service.action(action)

    def knows(self, name: str) -> bool:
        """Whether some service defines the concrete action ``name`` (builds no action)."""
        prefix, sep, action = name.partition(":")
        service = self.service(prefix) if sep else None
        return service is not None and bool(service.matching_names(action)) and not _WILD.search(action)

    def lookup(self, name: str) -> ActionLookup:
        """The action, or whether its service is known and the closest known action (a typo)."""
        prefix, _, _ = name.partition(":")
        found = self.action(name)
        known = self.service(prefix) is not None
        if found is not None:
            return ActionLookup(name, found, True)
        return ActionLookup(name, None, known, self.suggest(name))

    def _services_of(self, pattern: str) -> tuple[list[str], str] | None:
        if pattern == "*":
            return sorted(self._prefixes), "*"
        service_pattern, sep, name_pattern = pattern.partition(":")
        if not sep:
            return None
        service_pattern = service_pattern.lower()
        if _WILD.search(service_pattern):
            regex = _glob_regex(service_pattern)
            return sorted(p for p in self._prefixes if regex.fullmatch(p)), name_pattern
        return [service_pattern], name_pattern

    def matches_any(self, pattern: str) -> bool:
        """Whether an action pattern matches at least one known action (builds no action)."""
        found = self._services_of(pattern)
        if found is None:
            return False
        prefixes, name_pattern = found
        for prefix in prefixes:
            service = self.service(prefix)
            if service is not None and service.matching_names(name_pattern):
                return True
        return False

    def matching(self, pattern: str) -> list[Action]:
        """The known actions an action pattern (``ec2:Describe*``, ``*``, ``s3:Get?bject``) matches."""
        found = self._services_of(pattern)
        if found is None:
            return []
        prefixes, name_pattern = found
        out: list[Action] = []
        for prefix in prefixes:
            service = self.service(prefix)
            if service is not None:
                out.extend(service.matching(name_pattern))
        return out

    def suggest(self, name: str) -> str | None:
        """The known action closest to ``name`` (for ``ec2:RunInstancez``: ``ec2:RunInstances``;
        for ``ecc2:RunInstances``: ``ec2:RunInstances``, only when that service has the action)."""
        prefix, sep, action = name.partition(":")
        if not sep or not action:
            return None
        prefix = prefix.lower()
        if prefix not in self._prefixes:
            close = self._close_prefix(prefix)
            service = self.service(close) if close else None
            found = service.action(action) if service is not None else None
            return found.full_name if found is not None else None
        service = self.service(prefix)
        if service is None:
            return None
        found = service.action(action)
        if found is not None:
            return found.full_name
        names = difflib.get_close_matches(action.lower(), service.names, n=1, cutoff=_CLOSE)
        found = service.action(names[0]) if names else None
        return found.full_name if found is not None else None

    def _close_prefix(self, prefix: str) -> str | None:
        with self._lock:
            if prefix in self._close_prefixes:
                return self._close_prefixes[prefix]
        close = difflib.get_close_matches(prefix, sorted(self._prefixes), n=1, cutoff=_CLOSE)
        with self._lock:
            return self._close_prefixes.setdefault(prefix, close[0] if close else None)

    # -- condition keys --------------------------------------------------------------------------

    def global_key(self, key: str, *, include_per_service: bool = True) -> ConditionKey | None:
        for candidate in self.global_keys:
            if (include_per_service or not candidate.per_service) and candidate.matches(key):
                return candidate
        return None

    def condition_key(self, key: str) -> ConditionKey | None:
        """What the reference says about a key: its type, from the global keys or the service that
        owns the key's prefix (``kms:ResourceAliases`` from kms). None when nobody documents it."""
        lowered = key.lower()
        if lowered in self._keys:
            return self._keys[lowered]
        found = self._condition_key(key)
        with self._lock:
            if len(self._keys) < 4096:  # keys come from policies we do not control: bounded
                self._keys[lowered] = found
        return found

    def _condition_key(self, key: str) -> ConditionKey | None:
        found = self.global_key(key)
        if found is not None:
            return found
        prefix, sep, _ = key.partition(":")
        service = self.service(prefix) if sep else None
        if service is None:
            return None
        return next((k for k in service.condition_keys if k.matches(key)), None)

    def supported_key(self, action: Action, key: str) -> ConditionKey | None:
        """The key if the action's requests can carry it (a global key, or listed for the action or
        its resource types), else None."""
        found = self.global_key(key, include_per_service=False)
        if found is not None:
            return found
        return next((k for k in action.condition_keys if k.matches(key)), None)

    # -- loading ---------------------------------------------------------------------------------

    def _load_service(self, prefix: str) -> Service | None:
        raw_actions = self._data.read("actions", f"{prefix}.json")
        if not isinstance(raw_actions, dict):
            return None
        title = self._titles.get(prefix, prefix)
        merged = prefix in MERGED_PREFIXES or bool(re.search(r"\bv2$", title, re.IGNORECASE))
        return Service(prefix, title, raw_actions, self._data, self.partition_names, merged)


def _condition_keys(raw: Mapping[str, Any]) -> tuple[ConditionKey, ...]:
    out = []
    for item in raw.values():
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            out.append(ConditionKey(item["key"], str(item.get("type", "String"))))
    return tuple(out)


def _resolve_keys(names: object, known: Mapping[str, ConditionKey]) -> tuple[ConditionKey, ...]:
    if not isinstance(names, list):
        return ()
    out = []
    for name in names:
        if isinstance(name, str):
            out.append(known.get(name.lower()) or ConditionKey(name, "String"))
    return tuple(out)


def _action(
    prefix: str,
    item: Mapping[str, Any],
    types: Mapping[str, ResourceType],
    keys: Mapping[str, ConditionKey],
    merged: bool,
) -> Action:
    rows: list[ActionResourceType] = []
    supported = list(_resolve_keys(item.get("conditionKeys"), keys))
    missing: list[str] = []
    for row in item.get("resourceTypes") or ():
        if not isinstance(row, dict):
            continue
        name = str(row.get("name", ""))
        resource_type = types.get(name.lower())
        if resource_type is None:
            missing.append(name)
            continue
        rows.append(ActionResourceType(resource_type, bool(row.get("required"))))
        supported.extend(_resolve_keys(row.get("conditionKeys"), keys))
        supported.extend(resource_type.condition_keys)
    name = str(item["name"])
    access = str(item.get("accessLevel", ""))
    if merged:
        every = tuple(ActionResourceType(t, False) for t in types.values())
        for resource_type in types.values():
            supported.extend(resource_type.condition_keys)
        note = (
            f"the reference documents {prefix} on several pages; this action stands for the ARNs of "
            "every resource type of the service, and *"
        )
        return Action(prefix, name, access, every, _unique(supported), True, note)
    if missing:
        note = f"resource type {', '.join(missing)} has no ARN format in the catalog: formal check"
        return Action(prefix, name, access, tuple(rows), _unique(supported), True, note, formal=True)
    return Action(prefix, name, access, tuple(rows), _unique(supported), not rows)


def _unique(keys: Iterable[ConditionKey]) -> tuple[ConditionKey, ...]:
    seen: dict[str, ConditionKey] = {}
    for key in keys:
        seen.setdefault(key.name.lower(), key)
    return tuple(seen.values())
