"""Concurrent update processing that keeps each user's messages in order.

Different users are served at the same time (up to a bound), but two updates
from the same user are handled one after the other, in the order they arrived:
a quick double tap or two messages sent in a row must reach the dialogue engine
in the order the user sent them.  The locks hold no content and disappear as
soon as a user has nothing in flight.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, Optional

from telegram import Update
from telegram.ext import BaseUpdateProcessor


def ordering_key(update: object) -> Optional[int]:
    """Whose updates must stay in order: the user's, or for channels the chat's."""
    if isinstance(update, Update):
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
    return None


class PerUserOrderedProcessor(BaseUpdateProcessor):
    """At most ``max_concurrent_updates`` at once; one at a time per user."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = ordering_key(update)
        if key is None:
            await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if self._waiting[key] == 0:
                del self._waiting[key]
                self._locks.pop(key, None)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        self._locks.clear()
        self._waiting.clear()
