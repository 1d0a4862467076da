"""Rasa's tracker stores seen through its wrappers, and a conversation deleted from any of them.

Shared by the embedded engine (``bot.engine``) and the Rasa server's REST channel
(``nlu.channels``): neither imports the other.
"""
from __future__ import annotations

from typing import Any


class ForgetNotSupported(RuntimeError):
    """The tracker store in use has no way we know of to delete a conversation."""


def concrete_stores(store: Any) -> list[Any]:
    """The concrete tracker stores behind Rasa's wrappers.

    ``agent.tracker_store`` is a ``FailSafeTrackerStore`` around an
    ``AwaitableTrackerStore`` around the configured store; the fail-safe one may
    also hold a fallback (in-memory) store that received writes while the
    primary was failing.
    """
    found: list[Any] = []
    pending = [store]
    while pending:
        current = pending.pop()
        if current is None:
            continue
        inner = [getattr(current, "_tracker_store", None), getattr(current, "_fallback_tracker_store", None)]
        if any(s is not None for s in inner):
            pending.extend(inner)
        else:
            found.append(current)
    return found


def delete_conversation(tracker_store: Any, sender_id: str) -> int:
    """Delete every stored event of ``sender_id``; return how many rows/keys went.

    Works for the SQL, Redis and in-memory tracker stores of Rasa 3.6 (through
    its wrappers).  Call it while holding the conversation's lock so that no
    message being handled writes the conversation back half-way.
    """
    deleted = 0
    for store in concrete_stores(tracker_store):
        if hasattr(store, "session_scope") and hasattr(store, "SQLEvent"):  # SQLTrackerStore
            if hasattr(store, "drop_cached"):  # the encrypted store's in-memory copy goes too
                store.drop_cached(sender_id)
            with store.session_scope() as session:
                deleted += (
                    session.query(store.SQLEvent)
                    .filter(store.SQLEvent.sender_id == sender_id)
                    .delete(synchronize_session=False)
                )
                session.commit()
        elif hasattr(store, "red") and hasattr(store, "key_prefix"):  # RedisTrackerStore
            deleted += int(store.red.delete(store.key_prefix + sender_id))
        elif isinstance(getattr(store, "store", None), dict):  # InMemoryTrackerStore
            deleted += 1 if store.store.pop(sender_id, None) is not None else 0
        else:
            raise ForgetNotSupported(type(store).__name__)
    return deleted


def encrypts_events(store: Any) -> bool:
    """Whether a concrete store keeps every event encrypted (``tracker_store.EncryptedSQLTrackerStore``)."""
    return getattr(store, "encrypts_events", False) is True


__all__ = ["ForgetNotSupported", "concrete_stores", "delete_conversation", "encrypts_events"]
