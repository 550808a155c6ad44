"""Field and label selectors of list and watch requests, as the API server applies them.

kmock ignores ``fieldSelector`` and ``labelSelector`` and answers every list with every object.
kubectl relies on them: ``kubectl wait awsip/NAME`` lists and watches with
``metadata.name=NAME`` (and reported "condition met" for whichever provider came first),
``kubectl describe`` lists Events with ``involvedObject.name=...,involvedObject.uid=...`` (and
showed other objects' events), ``kubectl get --field-selector/-l`` filter with them. The
emulator (:mod:`awsip.sandbox.kube`) filters with :func:`parse_field_selector` and
:func:`parse_label_selector`; the operator must not depend on the filtering being right, but a
person reading the sandbox through kubectl must be told the truth.

Field selectors accept, as the API server does, only the fields a resource declares:
``metadata.name`` and ``metadata.namespace`` for every resource, and the indexed fields of Events,
Secrets and Namespaces; any other is a 400 "field label not supported", as there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

#: Selectable fields besides metadata.name and metadata.namespace, per resource (plural).
EXTRA_FIELDS: dict[str, frozenset[str]] = {
    "events": frozenset(
        {
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        }
    ),
    "secrets": frozenset({"type"}),
    "namespaces": frozenset({"status.phase"}),
}
COMMON_FIELDS = frozenset({"metadata.name", "metadata.namespace"})

Predicate = Callable[[Mapping[str, Any]], bool]


class SelectorError(ValueError):
    """A selector the API server would refuse (answered 400 BadRequest)."""


@dataclass(frozen=True)
class Selector:
    """Every requirement must hold (the API server ANDs comma-separated terms)."""

    requirements: tuple[Predicate, ...] = ()

    def matches(self, obj: Any) -> bool:
        return isinstance(obj, Mapping) and all(requirement(obj) for requirement in self.requirements)

    def __and__(self, other: Selector) -> Selector:
        return Selector(self.requirements + other.requirements)


EVERYTHING = Selector()


def _field_value(obj: Mapping[str, Any], path: str) -> str:
    """The field's value as the API server compares it: missing fields are the empty string."""
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    if path == "source" and isinstance(value, Mapping):  # events: source is source.component
        value = value.get("component")
    return "" if value is None else str(value)


def parse_field_selector(text: str | None, plural: str) -> Selector:
    """``metadata.name=x,type!=Normal``: ``=``, ``==`` and ``!=`` terms, all required."""
    if not text:
        return EVERYTHING
    allowed = COMMON_FIELDS | EXTRA_FIELDS.get(plural, frozenset())
    requirements: list[Predicate] = []
    for term in text.split(","):
        match = re.fullmatch(r"\s*([A-Za-z0-9_.]+)\s*(!=|==|=)\s*(.*?)\s*", term)
        if match is None:
            raise SelectorError(f"invalid field selector term {term!r}: use field=value or field!=value")
        field, operator, value = match.groups()
        if field not in allowed:
            raise SelectorError(f'field label not supported: "{field}"')
        requirements.append(_field_requirement(field, value, negate=operator == "!="))
    return Selector(tuple(requirements))


def _field_requirement(field: str, value: str, *, negate: bool) -> Predicate:
    return lambda obj: (_field_value(obj, field) == value) != negate


_LABEL_TERM = re.compile(
    r"\s*(?:(?P<not>!)\s*(?P<absent>[A-Za-z0-9_./-]+)"
    r"|(?P<key>[A-Za-z0-9_./-]+)\s*(?:(?P<op>!=|==|=)\s*(?P<value>[A-Za-z0-9_.-]*)"
    r"|\s(?P<setop>in|notin)\s*\((?P<values>[^)]*)\))?)\s*"
)


def _split_label_terms(text: str) -> list[str]:
    """Commas separate terms, except inside the parentheses of ``in (a, b)``."""
    terms, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    terms.append(current)
    return terms


def parse_label_selector(text: str | None) -> Selector:
    """``app=x,tier!=db,env in (a,b),!legacy,owner``: equality-, set-based and existence terms."""
    if not text:
        return EVERYTHING
    requirements: list[Predicate] = []
    for term in _split_label_terms(text):
        match = _LABEL_TERM.fullmatch(term)
        if match is None:
            raise SelectorError(f"invalid label selector term {term!r}")
        requirements.append(_label_requirement(match))
    return Selector(tuple(requirements))


def _labels(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    labels = (obj.get("metadata") or {}).get("labels")
    return labels if isinstance(labels, Mapping) else {}


def _label_requirement(match: re.Match[str]) -> Predicate:
    if match.group("absent") is not None:
        key = match.group("absent")
        return lambda obj: key not in _labels(obj)
    key = match.group("key")
    if match.group("op") is not None:
        value, negate = match.group("value"), match.group("op") == "!="
        # "!=" also selects objects without the label, as in Kubernetes.
        return lambda obj: (_labels(obj).get(key) == value) != negate
    if match.group("setop") is not None:
        values = frozenset(v.strip() for v in match.group("values").split(",") if v.strip())
        if match.group("setop") == "in":
            return lambda obj: _labels(obj).get(key) in values
        return lambda obj: _labels(obj).get(key) not in values
    return lambda obj: key in _labels(obj)


def selector_for(params: Mapping[str, str], plural: str) -> Selector:
    """The selector of a list or watch request's query (:class:`SelectorError` if malformed)."""
    return parse_field_selector(params.get("fieldSelector"), plural) & parse_label_selector(
        params.get("labelSelector")
    )
