from __future__ import annotations

import threading
import time

import pytest

from awsip.aws.cache import PolicyDocumentCache, TtlCache


def test_entries_are_bounded_least_recently_used_first() -> None:
    cache: PolicyDocumentCache[str] = PolicyDocumentCache(max_entries=2)
    cache.put(("a", "v1"), "A")
    cache.put(("b", "v1"), "B")
    assert cache.get(("a", "v1")) == "A"  # a is now the most recently used
    cache.put(("c", "v1"), "C")
    assert cache.get(("b", "v1")) is None
    assert cache.get(("a", "v1")) == "A"
    assert cache.get(("c", "v1")) == "C"
    assert len(cache) == 2


def test_a_new_default_version_is_a_different_entry() -> None:
    cache: PolicyDocumentCache[str] = PolicyDocumentCache()
    assert cache.get_or_load(("arn", "v1"), lambda: "one") == "one"
    assert cache.get_or_load(("arn", "v2"), lambda: "two") == "two"
    assert cache.get_or_load(("arn", "v1"), lambda: "never") == "one"
    assert (cache.hits, cache.misses) == (1, 2)


def test_concurrent_misses_on_one_key_load_once() -> None:
    cache: PolicyDocumentCache[str] = PolicyDocumentCache()
    loads = 0
    lock = threading.Lock()
    start = threading.Barrier(20)

    def load() -> str:
        nonlocal loads
        with lock:
            loads += 1
        time.sleep(0.05)  # long enough for every other thread to arrive while it loads
        return "document"

    results: list[str] = []

    def worker() -> None:
        start.wait()
        results.append(cache.get_or_load(("arn:aws:iam::aws:policy/Shared", "v3"), load))

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert loads == 1
    assert results == ["document"] * 20
    assert cache.misses == 1 and cache.hits == 19


def test_a_failed_load_propagates_and_the_next_caller_loads_again() -> None:
    cache: PolicyDocumentCache[str] = PolicyDocumentCache()

    def fail() -> str:
        raise RuntimeError("denied")

    with pytest.raises(RuntimeError):
        cache.get_or_load(("arn", "v1"), fail)
    assert cache.get_or_load(("arn", "v1"), lambda: "ok") == "ok"


def test_size_must_be_positive() -> None:
    with pytest.raises(ValueError):
        PolicyDocumentCache(max_entries=0)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_policy_document_cache_reports_every_lookup() -> None:
    lookups: list[bool] = []
    cache: PolicyDocumentCache[str] = PolicyDocumentCache(on_lookup=lookups.append)
    for _ in range(3):
        cache.get_or_load(("arn", "v1"), lambda: "one")
    assert lookups == [False, True, True]


def test_ttl_cache_forgets_after_the_ttl() -> None:
    clock = FakeClock()
    cache: TtlCache[str, str] = TtlCache(30, clock=clock)
    assert cache.get_or_load("arn", lambda: "v1") == "v1"
    clock.now = 29.9
    assert cache.get_or_load("arn", lambda: "v2") == "v1"
    clock.now = 30.0
    assert cache.get("arn") is None
    assert cache.get_or_load("arn", lambda: "v2") == "v2"
    assert (cache.hits, cache.misses) == (1, 2)


def test_ttl_cache_of_zero_remembers_nothing_and_failed_loads_store_nothing() -> None:
    never: TtlCache[str, str] = TtlCache(0)
    never.put("k", "v")
    assert never.get("k") is None and len(never) == 0
    cache: TtlCache[str, str] = TtlCache(10)

    def fail() -> str:
        raise RuntimeError("denied")

    with pytest.raises(RuntimeError):
        cache.get_or_load("k", fail)
    assert cache.get_or_load("k", lambda: "loaded") == "loaded"


def test_ttl_cache_is_bounded_and_collapses_concurrent_misses() -> None:
    cache: TtlCache[int, int] = TtlCache(60, max_entries=2)
    for key in range(3):
        cache.put(key, key)
    assert cache.get(0) is None and cache.get(2) == 2 and len(cache) == 2

    loads = 0
    lock = threading.Lock()
    start = threading.Barrier(10)

    def load() -> int:
        nonlocal loads
        with lock:
            loads += 1
        time.sleep(0.05)
        return 42

    def ask() -> int:
        start.wait()
        return cache.get_or_load(7, load)

    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(ask())) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [42] * 10 and loads == 1
