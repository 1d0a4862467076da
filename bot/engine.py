"""The dialogue engine behind the core: one interface, more than one implementation.

:class:`InProcessEngine` loads the trained Rasa model inside the bot process (the
embedded default) and runs the custom actions of ``nlu/`` in-process too, through
:class:`InProcessActionEndpoint`, so a single command gives a whole working bot.
The core only sees :class:`DialogueEngine`; a remote Rasa server can take its place.

Conversations of the embedded engine live in Rasa's SQL tracker store on a local
SQLite file (``var/tracker.db`` by default), through
:class:`conversations.tracker_store.EncryptedSQLTrackerStore`: the same store as the scaled
deployment's PostgreSQL, with every event encrypted.  A restart in the middle of a
guided note loses nothing, and memory does not grow with the number of
conversations.  :class:`PseudonymousEngine` puts a keyed pseudonym in place of the
user id before anything reaches Rasa, embedded or remote.
"""
from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional, Protocol

from conversations.stores import concrete_stores, delete_conversation, encrypts_events

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
BotMessage = dict[str, Any]


class EngineUnavailable(RuntimeError):
    """The dialogue engine could not answer (down, slow, or failed)."""


class DialogueEngine(Protocol):
    """What the core needs from a dialogue engine."""

    @property
    def intents(self) -> frozenset[str]: ...  # read only: an attribute or a property

    async def start(self) -> None: ...

    async def handle(
        self, user_id: str, text: str, metadata: Optional[dict[str, Any]] = None
    ) -> list[BotMessage]: ...

    async def reset(self, user_id: str) -> None: ...

    async def forget(self, user_id: str) -> None: ...

    async def close(self) -> None: ...


def quiet_rasa_logging() -> None:
    """Keep Rasa and TensorFlow from logging message content or noise.

    Rasa logs parsed user messages at DEBUG; we never let it reach that level
    so that no log line holds what a user wrote.
    """
    import structlog

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("LOG_LEVEL_LIBRARIES", "ERROR")
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
    for name in ("rasa", "rasa_sdk", "tensorflow", "absl", "sanic", "apscheduler", "matplotlib"):
        logging.getLogger(name).setLevel(logging.WARNING if name.startswith("rasa") else logging.ERROR)


def _in_process_endpoint_class() -> type:
    from rasa.core.actions.action import ActionExecutionRejection as RasaRejection
    from rasa.utils.endpoints import EndpointConfig
    from rasa_sdk.executor import ActionExecutor
    from rasa_sdk.interfaces import ActionExecutionRejection as SdkRejection

    class InProcessActionEndpoint(EndpointConfig):
        """An action endpoint that runs ``nlu`` actions in this process.

        Rasa's ``RemoteAction`` posts the action call to ``request``; we hand it
        straight to rasa_sdk's executor instead of going over HTTP, so the same
        action code runs here and in a separate action server.
        """

        def __init__(self, package: str = "nlu.actions") -> None:
            super().__init__(url="in-process://actions")
            self.executor = ActionExecutor()
            self.executor.register_package(package)

        async def request(self, method: str = "post", subpath: Optional[str] = None,
                          content_type: Optional[str] = "application/json",
                          compress: bool = False, **kwargs: Any) -> Any:
            # Rasa builds the call afresh for each action (``current_state`` makes new
            # lists and event dicts; the domain is Rasa's own ``_data`` and the events
            # hold Rasa's parse data, which rasa_sdk and our actions only read), so it is
            # handed over without a copy: a JSON round trip of the session's events cost
            # about 3 ms a turn.  tests/hardening/test_turn_shortcuts.py checks that the
            # actions change nothing Rasa keeps.
            action_call = dict(kwargs.get("json") or {})
            try:
                return await self.executor.run(action_call)
            except SdkRejection as error:
                raise RasaRejection(error.action_name, error.message) from None

    return InProcessActionEndpoint


TRACKER_STORE_CLASS = "conversations.tracker_store.EncryptedSQLTrackerStore"


def tracker_key(key: Optional[str], key_file: Optional[Path]) -> tuple[str, bool]:
    """The tracker-store key: ``key`` when given, else the one in ``key_file``.

    A missing key file is made (mode 0600) with a new key; the flag says so (the
    conversations stored under an older key can then be read by nobody).
    """
    if key and key.strip():
        return key.strip(), False
    if key_file is None:
        raise EngineUnavailable("no tracker-store key and no key file to keep one in")
    fresh = False
    if not key_file.exists():
        from cryptography.fernet import Fernet

        key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            try:
                os.fchmod(fd, 0o600)
                os.write(fd, Fernet.generate_key() + b"\n")
                os.fsync(fd)
            finally:
                os.close(fd)
            fresh = True
            logger.warning("created a new tracker-store key file at %s", key_file)
    return key_file.read_text("ascii").strip(), fresh


def sqlite_path(url: str) -> Optional[Path]:
    """The file of a ``sqlite:///path`` URL (None for anything else, or in-memory SQLite)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url[len(prefix):] in ("", ":memory:"):
        return None
    return Path(url[len(prefix):].split("?", 1)[0])


class InProcessEngine:
    """Rasa loaded in this process from a trained model archive.

    ``tracker_url`` (an SQLAlchemy URL, e.g. ``sqlite:////srv/bot/var/tracker.db``)
    keeps conversations in :class:`conversations.tracker_store.EncryptedSQLTrackerStore`,
    encrypted with ``tracker_key`` or the key kept in ``tracker_key_file``; a
    ``tracker_store`` in the endpoints file takes precedence (its key then comes
    from ``TRACKER_KEY``).  Without either, conversations are kept in memory
    (tests and benchmarks only: they grow with every conversation and a restart
    loses them).
    """

    def __init__(self, model_path: Path, endpoints_path: Optional[Path] = None,
                 tracker_url: Optional[str] = None, tracker_key: Optional[str] = None,
                 tracker_key_file: Optional[Path] = None) -> None:
        self.model_path = model_path
        self.endpoints_path = endpoints_path
        self.tracker_url = tracker_url
        self.tracker_key = tracker_key
        self.tracker_key_file = tracker_key_file
        self.intents: frozenset[str] = frozenset()
        self._agent: Any = None

    def _tracker_store_config(self) -> Any:
        """The endpoint configuration of the embedded SQL tracker store."""
        from rasa.utils.endpoints import EndpointConfig

        assert self.tracker_url
        key, fresh = tracker_key(self.tracker_key, self.tracker_key_file)
        path = sqlite_path(self.tracker_url)
        if path is not None:  # made readable by its owner only, as the diary is
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        return EndpointConfig(url=self.tracker_url, type=TRACKER_STORE_CLASS, key=key,
                              discard_unreadable=fresh)

    async def start(self) -> None:
        quiet_rasa_logging()
        from rasa.core.agent import load_agent
        from rasa.core.utils import AvailableEndpoints

        from bot import rasa_speedups

        rasa_speedups.apply()
        endpoints = AvailableEndpoints.read_endpoints(
            str(self.endpoints_path) if self.endpoints_path and self.endpoints_path.exists() else None
        )
        if endpoints.action is None or not endpoints.action.url:
            endpoints.action = _in_process_endpoint_class()()
        own_store = endpoints.tracker_store is None and bool(self.tracker_url)
        if own_store:
            endpoints.tracker_store = self._tracker_store_config()
        try:
            self._agent = await load_agent(model_path=str(self.model_path), endpoints=endpoints)
        except RuntimeError as error:
            if getattr(error, "tracker_store_key_error", False) is not True:
                raise
            raise EngineUnavailable(f"the conversation store can't be opened: {error}") from None
        if own_store and not self._keeps_conversations_encrypted():
            # Rasa falls back to memory when a store class fails to import: say so, don't run on it
            raise EngineUnavailable("the encrypted conversation store could not be loaded")
        quiet_rasa_logging()  # loading may have reset levels
        if not self._agent.is_ready():
            raise EngineUnavailable("the Rasa model could not be loaded")
        self.intents = frozenset(self._agent.domain.intents)
        await self._warm_up()
        rasa_speedups.freeze_startup_objects()

    def _keeps_conversations_encrypted(self) -> bool:
        stores = concrete_stores(self._agent.tracker_store)
        return bool(stores) and all(encrypts_events(s) for s in stores)

    async def _warm_up(self) -> None:
        """Run one message through NLU and policies so the first user is not slow."""
        sender = "__warm_up__"
        await self.handle(sender, "hello")
        await self.forget(sender)

    async def handle(
        self, user_id: str, text: str, metadata: Optional[dict[str, Any]] = None
    ) -> list[BotMessage]:
        from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

        if self._agent is None:
            raise EngineUnavailable("the dialogue engine is not started")
        message = UserMessage(text, CollectingOutputChannel(), user_id, metadata=metadata or {})
        return list(await self._agent.handle_message(message) or [])

    async def reset(self, user_id: str) -> None:
        """Start the conversation afresh (Rasa's ``restart``), keeping nothing of it."""
        await self.handle(user_id, "/restart")

    async def forget(self, user_id: str) -> None:
        """Delete the user's conversation history from the tracker store."""
        if self._agent is None:
            return
        async with self._agent.lock_store.lock(user_id):
            delete_conversation(self._agent.tracker_store, user_id)

    async def close(self) -> None:
        self._agent = None
        await asyncio.sleep(0)


class PseudonymousEngine:
    """Any dialogue engine, reached under a keyed pseudonym of the user id.

    ``pseudonym`` is the diary's ``Cipher.user_key`` (an HMAC of the user id), so
    the dialogue engine's store (Rasa's ``events`` table, the lock store's keys)
    never holds a Telegram user id, and a conversation is found, reset and
    forgotten under the same name as the user's diary rows.  The safety guard
    runs in the core, before this.  Other attributes are the inner engine's.
    """

    def __init__(self, inner: DialogueEngine, pseudonym: Callable[[str], str]) -> None:
        self.inner = inner
        self._pseudonym = pseudonym

    @property
    def intents(self) -> frozenset[str]:
        return self.inner.intents

    def conversation_id(self, user_id: str) -> str:
        """The id the dialogue engine knows the user's conversation by."""
        return self._pseudonym(str(user_id))

    async def start(self) -> None:
        await self.inner.start()

    async def handle(
        self, user_id: str, text: str, metadata: Optional[dict[str, Any]] = None
    ) -> list[BotMessage]:
        return await self.inner.handle(self.conversation_id(user_id), text, metadata)

    async def reset(self, user_id: str) -> None:
        await self.inner.reset(self.conversation_id(user_id))

    async def forget(self, user_id: str) -> None:
        await self.inner.forget(self.conversation_id(user_id))

    async def forget_conversation(self, conversation_id: str) -> None:
        """Forget a conversation by the id it is stored under (retention sweeps)."""
        await self.inner.forget(conversation_id)

    async def close(self) -> None:
        await self.inner.close()

    def __getattr__(self, name: str) -> Any:
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)
