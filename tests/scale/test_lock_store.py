"""The atomic Redis lock store: tickets stay unique when replicas take them at the same time."""
from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator

import pytest

from .cluster import REDIS, stores_unreachable
from .conftest import skip_or_fail


@pytest.fixture(scope="module")
def replicas() -> Iterator[list]:
    reason = stores_unreachable()
    if reason:
        skip_or_fail(reason)
    from rasa.utils.endpoints import EndpointConfig

    from nlu.channels import AtomicRedisLockStore

    prefix = f"locktest{uuid.uuid4().hex[:8]}"
    config = EndpointConfig(url=REDIS["host"], port=str(REDIS["port"]), db=str(REDIS["db"]),
                            key_prefix=prefix, type="nlu.channels.AtomicRedisLockStore")
    stores = [AtomicRedisLockStore(endpoint_config=config) for _ in range(3)]  # three "replicas"
    yield stores
    for key in stores[0].red.scan_iter(f"{prefix}:*"):
        stores[0].red.delete(key)


def test_tickets_issued_at_once_by_several_replicas_are_unique(replicas: list) -> None:
    conversation = f"c-{uuid.uuid4().hex[:8]}"
    tickets: list[int] = []
    barrier = threading.Barrier(30)

    def take(store: object) -> None:
        barrier.wait()
        tickets.append(store.issue_ticket(conversation))  # type: ignore[attr-defined]

    threads = [threading.Thread(target=take, args=(replicas[n % 3],)) for n in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(tickets) == sorted(set(tickets)) and len(tickets) == 30
    lock = replicas[0].get_lock(conversation)
    assert lock is not None and len(lock.tickets) == 30
    for n, ticket in enumerate(sorted(tickets)):
        replicas[n % 3].cleanup(conversation, ticket)
    assert replicas[1].get_lock(conversation) is None  # deleted with its last ticket


async def test_the_lock_serialises_holders_across_replicas(replicas: list) -> None:
    conversation = f"c-{uuid.uuid4().hex[:8]}"
    inside = 0
    most = 0
    order: list[int] = []

    async def hold(n: int) -> None:
        nonlocal inside, most
        async with replicas[n % 3].lock(conversation):
            inside += 1
            most = max(most, inside)
            order.append(n)
            await asyncio.sleep(0.02)
            inside -= 1

    await asyncio.gather(*(hold(n) for n in range(9)))
    assert most == 1 and sorted(order) == list(range(9))
    assert replicas[0].get_lock(conversation) is None
