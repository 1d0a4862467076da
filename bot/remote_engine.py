"""The remote dialogue engine: a Rasa server (``rasa run --enable-api``) over HTTP.

Used when ``RASA_URL`` is set, so that any number of bot and Rasa replicas can
serve one user: the Rasa servers keep conversations in a shared tracker store
(PostgreSQL) and serialise each conversation with a shared lock store (Redis);
see ``README.md ("Deploying")``.  It has the interface of
:class:`bot.engine.InProcessEngine` and answers with the same bot message dicts.

Messages go to the bot's own channel on the server (``nlu.channels.BotInput``,
``/webhooks/bot/webhook``), which keeps the message metadata, reports failures
as failures and can delete a conversation (``forget``).  ``RASA_URL`` may list
several servers separated by commas: requests then go round-robin over them,
and a server that refuses the connection is skipped.

Time-outs and retries: every call has one overall time budget (``timeout``).
A request that could not even connect is retried on the next server after a
short backoff, a few times; a message that may have reached Rasa is never sent
twice (that would put it twice into the conversation), and idempotent calls
(reading the domain, restart, delete) are also retried when the connection
drops.  When no answer comes, :class:`bot.engine.EngineUnavailable` is raised.
No log line holds what a user wrote or their id.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import time
from typing import Any, Optional
from urllib.parse import quote

import aiohttp

from bot.engine import BotMessage, EngineUnavailable

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 8.0
DEFAULT_RETRIES = 2
DEFAULT_BACKOFF = 0.2
DOWN_FOR = 5.0  # seconds a server that refused a connection is passed over
CHANNEL = "bot"

_CONNECT_ERRORS: tuple[type[BaseException], ...] = (aiohttp.ClientConnectorError,)
_DROPPED_ERRORS: tuple[type[BaseException], ...] = (
    aiohttp.ClientConnectorError,
    aiohttp.ServerDisconnectedError,
    aiohttp.ClientOSError,
)


class ServerNotReady(EngineUnavailable):
    """No server could be reached, or it is still loading (worth waiting for at start)."""


_NOT_READY_STATUS = {409, 502, 503, 504}  # 409: Rasa is up but has no model loaded yet


def parse_urls(value: str) -> list[str]:
    """``"http://a:5005, http://b:5005/"`` -> ``["http://a:5005", "http://b:5005"]``."""
    urls = [u.strip().rstrip("/") for u in value.split(",") if u.strip()]
    if not urls:
        raise ValueError("RASA_URL holds no URL")
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise ValueError("each RASA_URL must start with http:// or https://")
    return urls


class RemoteEngine:
    """Rasa on other machines, reached over HTTP with time-outs and retries."""

    def __init__(
        self,
        url: str | list[str],
        token: Optional[str] = None,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        start_timeout: float = 60.0,
        channel: str = CHANNEL,
    ) -> None:
        self.urls = parse_urls(url) if isinstance(url, str) else [u.rstrip("/") for u in url]
        self.token = token or None
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = backoff
        self.start_timeout = start_timeout
        self.channel = channel
        self.intents: frozenset[str] = frozenset()
        self._session: Optional[aiohttp.ClientSession] = None
        self._next = itertools.cycle(range(len(self.urls)))
        self._down_until: dict[str, float] = {}

    @classmethod
    def from_settings(cls, settings: Any) -> RemoteEngine:
        """Build from :class:`bot.settings.Settings` (``RASA_URL``, ``RASA_TOKEN``, ...)."""
        return cls(
            settings.rasa_url,
            token=getattr(settings, "rasa_token", None),
            timeout=float(getattr(settings, "rasa_timeout", DEFAULT_TIMEOUT)),
            retries=int(getattr(settings, "rasa_retries", DEFAULT_RETRIES)),
            start_timeout=float(getattr(settings, "rasa_start_timeout", 60.0)),
        )

    # -- the DialogueEngine interface -------------------------------------------------

    async def start(self) -> None:
        """Open the HTTP session and read the intents from the server's domain.

        Waits up to ``start_timeout`` seconds for a server that is still loading
        its model, so the bot and Rasa can be started together.
        """
        if self._session is None or self._session.closed:
            # Idle connections are dropped after 4 s, before any server or proxy
            # closes them (Sanic's shortest default is 5 s): a message is never
            # sent down a connection the server is closing, where it could not be
            # retried safely.  Short-lived connections and a 10 s DNS cache also
            # let new replicas behind one name (docker-compose --scale) get work.
            connector = aiohttp.TCPConnector(limit=100, keepalive_timeout=4, ttl_dns_cache=10)
            self._session = aiohttp.ClientSession(connector=connector, raise_for_status=False)
        deadline = time.monotonic() + self.start_timeout
        while True:
            try:
                domain = await self._request("GET", "/domain", idempotent=True,
                                             headers={"Accept": "application/json"})
                break
            except ServerNotReady:
                if time.monotonic() >= deadline:
                    raise
                await asyncio.sleep(1.0)
        self.intents = frozenset(_intent_names(domain))
        if not self.intents:
            raise EngineUnavailable("the Rasa server's domain has no intents")

    async def handle(
        self, user_id: str, text: str, metadata: Optional[dict[str, Any]] = None
    ) -> list[BotMessage]:
        body = {"sender": user_id, "message": text, "metadata": metadata or {}}
        answer = await self._request("POST", f"/webhooks/{self.channel}/webhook", json=body)
        if not isinstance(answer, list):
            raise EngineUnavailable("the Rasa server answered something other than a message list")
        return [m for m in answer if isinstance(m, dict)]

    async def reset(self, user_id: str) -> None:
        """Start the conversation afresh: a ``restart`` event, as Rasa's /restart does."""
        await self._request(
            "POST", f"/conversations/{quote(user_id, safe='')}/tracker/events",
            params={"include_events": "NONE"}, json={"event": "restart"}, idempotent=True,
        )

    async def forget(self, user_id: str) -> None:
        """Delete the user's whole conversation history from the shared tracker store."""
        await self._request("DELETE", f"/webhooks/{self.channel}/conversations/{quote(user_id, safe='')}",
                            idempotent=True)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- HTTP ------------------------------------------------------------------------

    def _pick(self) -> str:
        """The next server in turn, passing over those that recently refused to connect."""
        now = time.monotonic()
        for _ in range(len(self.urls)):
            url = self.urls[next(self._next)]
            if self._down_until.get(url, 0.0) <= now:
                return url
        return self.urls[next(self._next)]  # all look down: try anyway

    async def _request(self, method: str, path: str, *, idempotent: bool = False,
                       params: Optional[dict[str, str]] = None, **kwargs: Any) -> Any:
        """One call with an overall time budget; retried only when that is safe."""
        if self._session is None or self._session.closed:
            raise EngineUnavailable("the remote engine is not started")
        query = dict(params or {})
        if self.token:
            query["token"] = self.token
        retry_on = _DROPPED_ERRORS if idempotent else _CONNECT_ERRORS
        deadline = time.monotonic() + self.timeout
        last_error = "no attempt"
        for attempt in range(self.retries + 1):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            base = self._pick()
            try:
                async with self._session.request(
                    method, base + path, params=query,
                    timeout=aiohttp.ClientTimeout(total=remaining), **kwargs,
                ) as resp:
                    if resp.status in _NOT_READY_STATUS:
                        raise ServerNotReady(f"{method} {_route(path)} answered HTTP {resp.status}")
                    if resp.status >= 400:
                        raise EngineUnavailable(f"{method} {_route(path)} answered HTTP {resp.status}")
                    return await resp.json(content_type=None)
            except retry_on as error:
                last_error = type(error).__name__
                if isinstance(error, aiohttp.ClientConnectorError):
                    self._down_until[base] = time.monotonic() + DOWN_FOR
                logger.warning("Rasa server %s unreachable (%s), attempt %d", base, last_error, attempt + 1)
                if attempt < self.retries:
                    await asyncio.sleep(min(self.backoff * 2**attempt, max(0.0, deadline - time.monotonic())))
            except asyncio.TimeoutError:
                raise EngineUnavailable(
                    f"{method} {_route(path)} timed out after {self.timeout:g} s") from None
            except (aiohttp.ClientError, ValueError) as error:
                raise EngineUnavailable(f"{method} {_route(path)} failed: {type(error).__name__}") from None
        raise ServerNotReady(f"no Rasa server answered {method} {_route(path)} ({last_error})")


def _route(path: str) -> str:
    """A path fit for logs and errors: no user id in it."""
    for prefix in ("/conversations/", f"/webhooks/{CHANNEL}/conversations/"):
        if path.startswith(prefix):
            return prefix + "<id>" + ("/tracker/events" if path.endswith("/tracker/events") else "")
    return path


def _intent_names(domain: Any) -> list[str]:
    """Intent names from ``GET /domain``: entries are names or ``{name: {...}}``."""
    names: list[str] = []
    for entry in (domain or {}).get("intents", []) if isinstance(domain, dict) else []:
        if isinstance(entry, str):
            names.append(entry)
        elif isinstance(entry, dict):
            names.extend(str(k) for k in entry)
    return names
