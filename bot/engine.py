"""The dialogue engine behind the core: one interface, more than one implementation.

:class:`InProcessEngine` loads the trained Rasa model inside the bot process (the
embedded default) and runs the custom actions of ``nlu/`` in-process too, through
:class:`InProcessActionEndpoint`, so a single command gives a whole working bot.
The core only sees :class:`DialogueEngine`; a remote Rasa server can take its place.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, Optional, Protocol

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
BotMessage = dict[str, Any]


class EngineUnavailable(RuntimeError):
    """The dialogue engine could not answer (down, slow, or failed)."""


class DialogueEngine(Protocol):
    """What the core needs from a dialogue engine."""

    intents: frozenset[str]

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
            # A JSON round trip: the same isolated copy the HTTP path makes, far
            # cheaper than deepcopy of the tracker and the whole domain.
            action_call = json.loads(json.dumps(kwargs.get("json") or {}))
            try:
                return await self.executor.run(action_call)
            except SdkRejection as error:
                raise RasaRejection(error.action_name, error.message) from None

    return InProcessActionEndpoint


class InProcessEngine:
    """Rasa loaded in this process from a trained model archive."""

    def __init__(self, model_path: Path, endpoints_path: Optional[Path] = None) -> None:
        self.model_path = model_path
        self.endpoints_path = endpoints_path
        self.intents: frozenset[str] = frozenset()
        self._agent: Any = None

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
        self._agent = await load_agent(model_path=str(self.model_path), endpoints=endpoints)
        quiet_rasa_logging()  # loading may have reset levels
        if not self._agent.is_ready():
            raise EngineUnavailable("the Rasa model could not be loaded")
        self.intents = frozenset(self._agent.domain.intents)
        await self._warm_up()
        rasa_speedups.freeze_startup_objects()

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
        from nlu.channels import delete_conversation  # sees through Rasa's store wrappers

        async with self._agent.lock_store.lock(user_id):
            delete_conversation(self._agent.tracker_store, user_id)

    async def close(self) -> None:
        self._agent = None
        await asyncio.sleep(0)
