"""The sandbox emulator's index by name: always what a scan of kmock's store would find."""

from __future__ import annotations

import base64
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from awsip.sandbox.client import SandboxClient
from awsip.sandbox.kube import KubeEmulator
from awsip.sandbox.object_index import NameIndexedStore

_keys = st.tuples(st.sampled_from(["v1/events", "v1/secrets", "x/v1/providers"]),
                  st.sampled_from([None, "a", "b"]), st.sampled_from(["n1", "n2", "n3"]))  # fmt: skip
_operations = st.lists(
    st.one_of(
        st.tuples(st.just("set"), _keys, st.integers()),
        st.tuples(st.just("del"), _keys, st.none()),
        st.tuples(st.just("pop"), _keys, st.none()),
        st.tuples(st.just("setdefault"), _keys, st.integers()),
        st.tuples(st.just("update"), _keys, st.integers()),
        st.tuples(st.just("popitem"), _keys, st.none()),
        st.tuples(st.just("clear"), _keys, st.none()),
    ),
    max_size=40,
)


@given(_operations)
def test_the_index_names_what_a_scan_finds_in_the_same_order(operations: list[tuple[str, Any, Any]]) -> None:
    store, plain = NameIndexedStore(), dict[Any, Any]()
    for operation, key, value in operations:
        for target in (store, plain):
            if operation == "set":
                target[key] = value
            elif operation == "del" and key in target:
                del target[key]
            elif operation == "pop":
                target.pop(key, None)
            elif operation == "setdefault":
                target.setdefault(key, value)
            elif operation == "update":
                target.update({key: value})
            elif operation == "popitem" and target:
                target.popitem()
            elif operation == "clear":
                target.clear()
        assert dict(store) == plain
        for name in ("n1", "n2", "n3"):
            assert list(store.named(name)) == [k for k in plain if k[2] == name]


def _object(kind: str, namespace: str, value: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": kind, "metadata": {"name": "same", "namespace": namespace},
            "data": {"k": value}}  # fmt: skip


def test_the_emulator_finds_each_object_by_name_among_namesakes_of_other_kinds() -> None:
    # One name in two kinds and two namespaces, deleted and created again: each read, patch and
    # delete reaches its own object only (kmock's check still decides among the name's candidates).
    with KubeEmulator() as emulator:
        client = SandboxClient(emulator.url)
        for namespace in ("a", "b"):
            client.create(_object("ConfigMap", namespace, f"cm-{namespace}"))
            client.create(_object("Secret", namespace, base64.b64encode(namespace.encode()).decode()))
        client.patch("v1", "ConfigMap", "b", "same", {"data": {"k": "patched"}})
        assert client.get("v1", "ConfigMap", "a", "same")["data"] == {"k": "cm-a"}  # type: ignore[index]
        assert client.get("v1", "ConfigMap", "b", "same")["data"] == {"k": "patched"}  # type: ignore[index]
        client.delete("v1", "Secret", "a", "same")
        assert client.get("v1", "Secret", "a", "same") is None
        assert client.get("v1", "Secret", "b", "same")["data"] == {"k": "Yg=="}  # type: ignore[index]
        assert client.get("v1", "ConfigMap", "a", "same") is not None
        client.create(_object("Secret", "a", "YWdhaW4="))
        assert client.get("v1", "Secret", "a", "same")["data"] == {"k": "YWdhaW4="}  # type: ignore[index]
        assert len(client.list_objects("v1", "Secret")) == 2
