"""FairShare: a cap per namespace, and turns among the waiting namespaces (issue 14, item 2)."""

from __future__ import annotations

import asyncio

import pytest

from awsip.controller.fair_share import FairShare


async def hold(shares: FairShare, namespace: str, release: asyncio.Event, order: list[str]) -> None:
    async with shares.slot(namespace):
        order.append(namespace)
        await release.wait()


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_namespace_never_holds_more_than_its_share() -> None:
    shares = FairShare(total=4, per_namespace=2)
    release = asyncio.Event()
    order: list[str] = []
    tasks = [asyncio.create_task(hold(shares, "greedy", release, order)) for _ in range(10)]
    await settle()
    assert shares.running["greedy"] == 2 and shares.waiting("greedy") == 8
    # Another namespace gets a free worker at once.
    tasks.append(asyncio.create_task(hold(shares, "other", release, order)))
    await settle()
    assert order.count("other") == 1 and shares.busy == 3
    release.set()
    await asyncio.gather(*tasks)
    assert shares.busy == 0 and shares.waiting() == 0


async def test_waiting_namespaces_take_turns_whatever_their_number_of_providers() -> None:
    shares = FairShare(total=1, per_namespace=1)
    gates = {name: asyncio.Event() for name in ("first", "a", "b")}
    order: list[str] = []
    first = asyncio.create_task(hold(shares, "first", gates["first"], order))
    await settle()
    many = [asyncio.create_task(hold(shares, "a", gates["a"], order)) for _ in range(3)]
    await settle()
    one = asyncio.create_task(hold(shares, "b", gates["b"], order))
    await settle()
    gates["first"].set()
    gates["a"].set()
    gates["b"].set()
    await asyncio.gather(first, *many, one)
    # b waited behind three of a's providers, but its turn came after a's first.
    assert order == ["first", "a", "b", "a", "a"]


async def test_a_cancelled_waiter_gives_its_place_up() -> None:
    shares = FairShare(total=1, per_namespace=1)
    release = asyncio.Event()
    order: list[str] = []
    holder = asyncio.create_task(hold(shares, "a", release, order))
    await settle()
    waiter = asyncio.create_task(hold(shares, "b", release, order))
    await settle()
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert shares.waiting() == 0
    release.set()
    await holder
    assert shares.busy == 0 and order == ["a"]


def test_counts_must_be_positive() -> None:
    with pytest.raises(ValueError):
        FairShare(total=0, per_namespace=1)


def test_the_default_share_is_an_eighth_of_the_workers() -> None:
    from awsip.controller.config import OperatorConfig

    assert OperatorConfig(workers=16).namespace_share == 2
    assert OperatorConfig(workers=4).namespace_share == 1
    assert OperatorConfig(workers=16, namespace_workers=5).namespace_share == 5
    assert OperatorConfig(workers=4, namespace_workers=20).namespace_share == 4
