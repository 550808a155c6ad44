"""An index by name for kmock's object store: a read of one object finds it without a scan.

kmock keeps every object in one dict keyed by ``(resource, namespace, name)`` and answers a
request for one object (get, patch, delete) by checking every stored object of every kind against
the request. Each request therefore costs time in proportion to everything stored: a thousand
Events posted make every later status patch of every provider slower, which a real API server
(whose store is keyed) does not do. In the scale benchmark that taxed an operator for each Event
it posts, on every unrelated request after it.

:class:`NameIndexedStore` is that dict with an index by name, kept on every change; the emulator
(:class:`awsip.sandbox.kube.SandboxKubernetesEmulator`) looks a named request's candidates up in
it and applies kmock's own check to those only, so what matches is unchanged (the same check, on
the only keys that can pass its name test). Lists and watches (no name) still go through kmock.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

#: kmock's key of an object: (resource, namespace, name).
Key = tuple[Any, str | None, str]


class NameIndexedStore(dict[Key, Any]):
    """A dict of objects keyed by (resource, namespace, name), indexed by name as it changes."""

    def __init__(self, items: Mapping[Key, Any] | None = None) -> None:
        super().__init__()
        self._by_name: dict[str, dict[Key, None]] = {}
        if items:
            self.update(items)

    def named(self, name: str) -> Iterator[Key]:
        """The keys of the objects called ``name`` (of any resource and namespace), oldest first."""
        return iter(list(self._by_name.get(name, ())))

    def __setitem__(self, key: Key, value: Any) -> None:
        super().__setitem__(key, value)
        self._by_name.setdefault(key[2], {})[key] = None

    def __delitem__(self, key: Key) -> None:
        super().__delitem__(key)
        self._unindex(key)

    def pop(self, key: Key, *default: Any) -> Any:
        present = key in self
        value = super().pop(key, *default)
        if present:
            self._unindex(key)
        return value

    def popitem(self) -> tuple[Key, Any]:
        key, value = super().popitem()
        self._unindex(key)
        return key, value

    def setdefault(self, key: Key, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args: Any, **kwargs: Any) -> None:
        items: Iterable[tuple[Key, Any]] = dict(*args, **kwargs).items()
        for key, value in items:
            self[key] = value

    def __ior__(self, other: Any) -> NameIndexedStore:  # type: ignore[override,misc]
        self.update(other)
        return self

    def clear(self) -> None:
        super().clear()
        self._by_name.clear()

    def _unindex(self, key: Key) -> None:
        same = self._by_name.get(key[2])
        if same is not None:
            same.pop(key, None)
            if not same:
                del self._by_name[key[2]]
