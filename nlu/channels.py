"""The Rasa input channel the bot's remote engine talks to (``bot.remote_engine``).

Rasa's stock REST channel is close to what the bot needs, but not quite:

* it answers ``200 []`` when handling a message failed (the action server was
  down, the tracker store refused a write), so a client cannot tell "nothing to
  say" from "broken"; this channel answers ``500`` and the bot shows its error
  reply instead;
* its failure log lines carry the user's text; ours never do;
* Rasa's HTTP API can read and append to a conversation but cannot delete one,
  and "forget me" must really erase it from the shared tracker store, so this
  channel adds ``DELETE /webhooks/bot/conversations/<sender_id>``;
* the message metadata (``{"via_guard": true}`` when the bot's safety guard has
  already shown the 999 text) is taken from the JSON body, only when it is an
  object.

List it in the credentials file given to ``rasa run`` (see
``deploy/credentials.scale.yml``)::

    nlu.channels.BotInput:
      token: ${RASA_TOKEN}

When ``token`` is set every route but the health check needs ``?token=<it>``;
the delete route refuses to work without a configured token at all.

The module also holds :class:`AtomicRedisLockStore`, the lock store the scale
deployment needs: Rasa 3.6's ``RedisLockStore`` issues tickets with a plain
GET-then-SET, so two replicas receiving messages of one user at the same moment
can both get "ticket 0" and handle them at once (the scale tests caught this:
both messages answered "2 of 4").
"""
from __future__ import annotations

import hmac
import json
import logging
from asyncio import CancelledError
from collections.abc import Awaitable, Callable
from typing import Any, Optional, TypeVar

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from conversations.stores import ForgetNotSupported, delete_conversation

logger = logging.getLogger(__name__)
T = TypeVar("T")


class BotInput(RestInput):
    """REST input for the bot: metadata kept, failures reported, conversations deletable."""

    @classmethod
    def name(cls) -> str:
        return "bot"

    def __init__(self, token: Optional[str] = None) -> None:
        self.token = token or None

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> BotInput:
        token = (credentials or {}).get("token")
        return cls(token=str(token) if token else None)

    def get_metadata(self, request: Request) -> Optional[dict[str, Any]]:
        metadata = (request.json or {}).get("metadata")
        return metadata if isinstance(metadata, dict) else None

    def _authorised(self, request: Request) -> bool:
        if not self.token:
            return True
        given = request.args.get("token") or ""
        return hmac.compare_digest(given.encode(), self.token.encode())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._authorised(request):
                return response.json({"error": "unauthorised"}, status=401)
            body = request.json if isinstance(request.json, dict) else {}
            sender_id, text = body.get("sender"), body.get("message")
            if not isinstance(sender_id, str) or not sender_id or not isinstance(text, str):
                return response.json({"error": "'sender' and 'message' must be strings"}, status=400)
            collector = CollectingOutputChannel()
            message = UserMessage(text, collector, sender_id, input_channel=self.name(),
                                  metadata=self.get_metadata(request))
            try:
                await on_new_message(message)
            except CancelledError:
                logger.error("handling a message was cancelled")
                return response.json({"error": "cancelled"}, status=503)
            except Exception as error:  # noqa: BLE001 - report it; never log the text
                logger.error("handling a message failed: %s", type(error).__name__)
                return response.json({"error": type(error).__name__}, status=500)
            return response.json(collector.messages)

        @webhook.route("/conversations/<sender_id:path>", methods=["DELETE"])
        async def forget(request: Request, sender_id: str) -> HTTPResponse:
            if not self.token:
                return response.json({"error": "deleting needs a token in the channel's credentials"},
                                     status=403)
            if not self._authorised(request):
                return response.json({"error": "unauthorised"}, status=401)
            agent = getattr(request.app.ctx, "agent", None)
            if agent is None or not agent.is_ready():
                return response.json({"error": "no model loaded"}, status=503)
            try:
                async with agent.lock_store.lock(sender_id):
                    deleted = delete_conversation(agent.tracker_store, sender_id)
            except ForgetNotSupported as error:
                return response.json({"error": f"cannot delete from {error}"}, status=501)
            except Exception as error:  # noqa: BLE001
                logger.error("deleting a conversation failed: %s", type(error).__name__)
                return response.json({"error": type(error).__name__}, status=500)
            return response.json({"deleted": deleted})

        return webhook


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's Redis lock store with every change of a lock made atomically.

    Each read-change-write of a conversation's ticket lock runs as a Redis
    optimistic transaction (WATCH / MULTI / EXEC, retried when another replica
    changed the lock in between), so tickets are unique across replicas and a
    finishing replica never deletes a ticket another one has just issued.
    Waiting for the lock polls every ``poll_seconds`` (Rasa waits a whole
    second), so a user's quick second message is not held up for long.

    In an endpoints file (keys as for ``type: redis``)::

        lock_store:
          type: nlu.channels.AtomicRedisLockStore
          url: localhost
          port: 6379
          db: 1
          key_prefix: bot
    """

    poll_seconds = 0.05

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        if endpoint_config is not None:  # how Rasa builds a lock store named by module path
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    def _atomically(self, conversation_id: str,
                    change: Callable[[Optional[TicketLock]], tuple[Optional[TicketLock], T]]) -> T:
        """Apply ``change`` to the stored lock (None: none stored); store or delete its result."""
        key = self.key_prefix + conversation_id
        outcome: list[T] = []

        def transaction(pipe: Any) -> None:
            raw = pipe.get(key)
            lock = TicketLock.from_dict(json.loads(raw)) if raw else None
            new_lock, value = change(lock)
            pipe.multi()
            if new_lock is None:
                pipe.delete(key)
            else:
                pipe.set(key, new_lock.dumps())
            outcome[:] = [value]

        self.red.transaction(transaction, key)
        return outcome[0]

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def issue(lock: Optional[TicketLock]) -> tuple[Optional[TicketLock], int]:
            lock = lock or self.create_lock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._atomically(conversation_id, issue)
        except Exception as error:  # as Rasa's own: the caller expects a LockError
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        def drop_expired(lock: Optional[TicketLock]) -> tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._atomically(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        def finish(lock: Optional[TicketLock]) -> tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._atomically(conversation_id, finish)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove the ticket, and the lock with it when nobody else holds a ticket."""

        def finish_and_tidy(lock: Optional[TicketLock]) -> tuple[Optional[TicketLock], None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._atomically(conversation_id, finish_and_tidy)

    async def _acquire_lock(self, conversation_id: str, ticket: int,
                            wait_time_in_seconds: float) -> TicketLock:
        return await super()._acquire_lock(
            conversation_id, ticket, min(wait_time_in_seconds, self.poll_seconds))
