"""End-to-end harness: the telegram-test-api emulator, a mending proxy, and a test user.

::

    test (TelegramUser) ──HTTP client API──> emulator (node, telegram-test-api 4.2.1)
                                                 ^   │ webhook POSTs
    bot (PTB, in-process) ──Bot API──> BotApiProxy ──┘ (and on to the bot, with the secret)

The emulator speaks a Bot API close to Telegram's, but not close enough for
python-telegram-bot 22.8.  :class:`BotApiProxy` sits between the bot and the
emulator and mends the departures, so production code talks plain Bot API:

* ``getMe`` lacks ``is_bot`` (a required field): added.
* message ``date`` comes back in milliseconds: turned into seconds, everywhere.
* updates carry the emulator's own ``botToken`` field: removed.
* callback queries lack ``chat_instance`` (and, from the emulator's own client
  helper, the message's ``message_id``/``date``): filled in.
* ``getUpdates`` answers at once, ignoring the long-poll ``timeout`` (and
  ``offset``: it marks updates read when it hands them out): the proxy waits
  (briefly) for updates, like Telegram does, instead of letting PTB spin.
* ``sendMessage`` echoes the request's parameters, as strings, into the Message
  it returns (``link_preview_options`` as a string breaks PTB): only Message
  fields are kept.
* ``editMessageText``/``editMessageReplyMarkup``/``answerCallbackQuery``/
  ``setWebhook`` answer ``result: null``, which PTB cannot read as a Message:
  answered ``true`` (what the Bot API returns for edits it has no message for).
* ``setWebhook`` is remembered but the emulator POSTs updates *without* the
  ``X-Telegram-Bot-Api-Secret-Token`` header: the proxy registers itself as the
  webhook and forwards each update to the bot's URL with the secret, as Telegram
  does.
* ``leaveChat`` is missing: the proxy answers it and, like Telegram, delivers no
  more updates from a chat the bot has left.
* ``deleteMessages`` (up to 100 ids) is missing: the proxy deletes each id with
  the emulator's own ``deleteMessage``, from its storage, as Telegram does (ids
  it cannot find are skipped).  The emulator's ``deleteMessage`` removes the
  first stored update with that id and chat; a button press is stored with the
  id the next message gets, so each id is deleted until none is left.  Every
  deleted id is kept in :attr:`BotApiProxy.deleted`.

Files, which the emulator does not know at all, are emulated by the proxy:

* ``getFile`` answers for files a test user "sent" (:meth:`BotApiProxy.host_file`,
  or :meth:`TelegramUser.send_photo` and friends) with a ``file_path``, and the
  file download URL (``<proxy>/file/bot<token>/<file_path>``, the bot's
  ``base_file_url``) serves their bytes, so the bot downloads real content.  An
  unknown ``file_id`` (or another bot's) gets Telegram's ``400 invalid file_id``.
* ``sendDocument`` (a multipart upload) is read by the proxy: the file name, type,
  bytes and caption are kept in :attr:`BotApiProxy.documents`, the document is
  stored in the emulator as a bot message of the chat (so the user sees it in
  order with the text), and the bot gets a Message with a ``document``.

Two more are mended in ``emulator.js``: messages are kept 3600 s (not 60), and
a webhook POST that fails no longer ends the node process (an unhandled
promise rejection).  Not mended, as PTB does not mind: the Message the emulator
returns always says its chat is private.

Methods the emulator lacks and Telegram has (``setMyCommands``,
``sendChatAction``) are deliberately *not* mended: the emulator refuses them,
which tests that the bot logs such a refusal and carries on.  The proxy records
every call, so tests can still see that the bot asked.
"""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import html
import itertools
import json
import mimetypes
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional
from urllib.parse import parse_qsl, quote

import aiohttp
from aiohttp import web

E2E_DIR = Path(__file__).resolve().parent
EMULATOR_SCRIPT = E2E_DIR / "emulator.js"
EMULATOR_PACKAGE = E2E_DIR / "node_modules" / "telegram-test-api" / "package.json"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
BOT_USER = {"id": 666, "is_bot": True, "first_name": "Test First name", "username": "TestNameBot"}
MESSAGE_FIELDS = {"message_id", "date", "chat", "from", "text", "reply_markup"}
_TAG = re.compile(r"<[^>]+>")

JSONDict = dict[str, Any]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_emulator_installed() -> Optional[str]:
    """Install the pinned emulator with ``npm ci`` if needed; a reason to skip, or None."""
    if EMULATOR_PACKAGE.exists():
        return None
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node and npm are needed for the Telegram emulator (telegram-test-api)"
    result = subprocess.run(
        ["npm", "ci", "--prefix", str(E2E_DIR), "--no-audit", "--no-fund"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    if result.returncode != 0 or not EMULATOR_PACKAGE.exists():
        return f"npm ci --prefix tests/e2e failed: {result.stderr[-500:]}"
    return None


# -- the emulator process ------------------------------------------------------


class Emulator:
    """The node process running telegram-test-api on a free loopback port."""

    def __init__(self) -> None:
        self.process: Optional[asyncio.subprocess.Process] = None
        self.url = ""

    async def start(self, attempts: int = 3) -> str:
        last_error = ""
        for _ in range(attempts):
            port = free_port()
            self.process = await asyncio.create_subprocess_exec(
                shutil.which("node") or "node", str(EMULATOR_SCRIPT), str(port), "127.0.0.1",
                cwd=str(E2E_DIR),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            assert self.process.stdout is not None
            try:
                line = await asyncio.wait_for(self.process.stdout.readline(), timeout=20)
            except asyncio.TimeoutError:
                line = b""
            if line:
                with contextlib.suppress(ValueError):
                    info = json.loads(line)
                    if info.get("ready"):
                        self.url = f"http://127.0.0.1:{port}"
                        return self.url
            last_error = await self._stderr()
            await self.stop()
        raise RuntimeError(f"the Telegram emulator did not start: {last_error}")

    async def _stderr(self) -> str:
        if self.process is None or self.process.stderr is None:
            return ""
        with contextlib.suppress(asyncio.TimeoutError):
            return (await asyncio.wait_for(self.process.stderr.read(4000), 2)).decode()
        return ""

    async def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout=5)
        except asyncio.TimeoutError:
            process.kill()
            await process.wait()


# -- the mending proxy ---------------------------------------------------------


@dataclass
class ApiCall:
    token: str
    method: str
    params: JSONDict

    def json_param(self, name: str) -> Any:
        value = self.params.get(name)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                return json.loads(value)
        return value


@dataclass
class Webhook:
    url: str
    secret: Optional[str]


@dataclass
class HostedFile:
    """A file the emulated Telegram holds: what ``getFile`` describes and the download serves."""

    token: str
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.content)

    def as_file(self) -> JSONDict:
        """The Bot API ``File`` object."""
        return {"file_id": self.file_id, "file_unique_id": self.file_unique_id,
                "file_size": self.size, "file_path": self.file_path}


@dataclass
class SentDocument:
    """A document the bot uploaded with ``sendDocument``, as the proxy received it."""

    token: str
    chat_id: int
    filename: str
    mime_type: str
    content: bytes = field(repr=False)
    caption: Optional[str] = None
    message_id: Optional[int] = None


def _seconds(value: Any) -> Any:
    return value // 1000 if isinstance(value, int) and value > 100_000_000_000 else value


def mend(value: Any) -> Any:
    """Recursively: dates to seconds, the emulator's ``botToken`` field removed."""
    if isinstance(value, dict):
        return {
            key: (_seconds(item) if key in ("date", "edit_date") else mend(item))
            for key, item in value.items()
            if key != "botToken"
        }
    if isinstance(value, list):
        return [mend(item) for item in value]
    return value


def mend_update(update: JSONDict) -> JSONDict:
    update = mend(update)
    query = update.get("callback_query")
    if isinstance(query, dict):
        message = query.get("message")
        chat_id = (message or {}).get("chat", {}).get("id", query.get("from", {}).get("id"))
        query.setdefault("chat_instance", f"ci{chat_id}")
        if isinstance(message, dict):
            message.setdefault("message_id", 0)
            message.setdefault("date", int(time.time()))
    return update


def update_chat_id(update: JSONDict) -> Optional[int]:
    for key in ("message", "edited_message", "channel_post", "edited_channel_post"):
        if isinstance(update.get(key), dict):
            return update[key].get("chat", {}).get("id")
    query = update.get("callback_query")
    if isinstance(query, dict) and isinstance(query.get("message"), dict):
        return query["message"].get("chat", {}).get("id")
    return None


class BotApiProxy:
    """A Bot API endpoint for the bot, backed by the emulator, mending where it departs."""

    #: How long a getUpdates call waits for updates at most (Telegram: the ``timeout``).
    max_long_poll = 1.0

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.url = ""
        self.calls: list[ApiCall] = []
        self.errors: list[str] = []
        self.webhooks: dict[str, Webhook] = {}
        self.webhook_deliveries: list[int] = []
        self.left_chats: set[tuple[str, int]] = set()
        #: (token, chat_id, message_id) of every message the bot deleted.
        self.deleted: list[tuple[str, int, int]] = []
        #: Files the emulated Telegram holds, by file_id (see :meth:`host_file`).
        self.files: dict[str, HostedFile] = {}
        #: (token, file_path) of every file download the bot made.
        self.downloads: list[tuple[str, str]] = []
        #: Every document the bot sent, in order.
        self.documents: list[SentDocument] = []
        self._file_numbers = itertools.count(1)
        self._runner: Optional[web.AppRunner] = None
        self._session: Optional[aiohttp.ClientSession] = None
        self._closing = False
        self._in_flight = 0

    @web.middleware
    async def _count(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self._in_flight += 1
        try:
            return await handler(request)
        finally:
            self._in_flight -= 1

    async def start(self) -> str:
        app = web.Application(client_max_size=64 * 1024 * 1024, middlewares=[self._count])
        app.router.add_route("*", "/bot{token}/{method}", self._bot_api)
        app.router.add_post("/__webhook__/{token}", self._webhook_in)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._file_download)
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        port = free_port()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        """Let requests in flight finish (long polls end early), then close."""
        self._closing = True
        deadline = time.monotonic() + 5
        while self._in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    def calls_to(self, method: str, token: Optional[str] = None) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method and token in (None, c.token)]

    def host_file(self, token: str, content: bytes, *, kind: str = "document",
                  suffix: str = "") -> HostedFile:
        """Hold ``content`` as a file of bot ``token`` (as Telegram holds what users send)."""
        number = next(self._file_numbers)
        digest = hashlib.sha256(content).hexdigest()[:12]
        folder = {"photo": "photos", "voice": "voice", "video": "videos",
                  "audio": "music"}.get(kind, "documents")
        hosted = HostedFile(
            token=token,
            file_id=f"{kind}-{number}-{digest}",
            file_unique_id=f"u{number}{digest[:6]}",
            file_path=f"{folder}/file_{number}{suffix}",
            content=bytes(content),
        )
        self.files[hosted.file_id] = hosted
        return hosted

    def documents_to(self, token: str, chat_id: int) -> list[SentDocument]:
        return [d for d in self.documents if d.token == token and d.chat_id == chat_id]

    # -- bot side --------------------------------------------------------------

    async def _bot_api(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        method = request.match_info["method"]
        if request.content_type == "multipart/form-data":
            params, uploads = await self._multipart(request)
            self.calls.append(ApiCall(token, method, params))
            if method == "sendDocument":
                return await self._send_document(token, params, uploads)
            return web.json_response(
                {"ok": False, "error_code": 400,
                 "description": f"Bad Request: the test proxy takes no upload for {method}"},
                status=400)
        body = await request.read()
        params = self._params(request, body)
        self.calls.append(ApiCall(token, method, params))
        if method == "getFile":
            return self._get_file(token, params)
        if method == "sendDocument":
            return await self._send_document(token, params, {})
        if method == "leaveChat":
            self.left_chats.add((token, int(params["chat_id"])))
            return web.json_response({"ok": True, "result": True})
        if method in ("deleteMessages", "deleteMessage"):
            return await self._delete_messages(token, method, params)
        if method == "setWebhook":
            return await self._set_webhook(request, token, params)
        if method == "deleteWebhook":
            self.webhooks.pop(token, None)
        if method == "getUpdates":
            return await self._get_updates(request, token, body, params)
        status, data = await self._forward(request, body)
        return web.json_response(self._mend_result(method, data), status=status)

    @staticmethod
    def _params(request: web.Request, body: bytes) -> JSONDict:
        params: JSONDict = dict(request.query)
        content_type = request.content_type
        if content_type == "application/json" and body:
            params.update(json.loads(body))
        elif content_type == "application/x-www-form-urlencoded":
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        return params

    @staticmethod
    async def _multipart(
        request: web.Request,
    ) -> tuple[JSONDict, dict[str, tuple[str, str, bytes]]]:
        """A multipart request's fields, and its uploads as (filename, type, bytes)."""
        params: JSONDict = dict(request.query)
        uploads: dict[str, tuple[str, str, bytes]] = {}
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                content = value.file.read()
                uploads[name] = (value.filename, value.content_type, content)
                params[name] = f"<upload {value.filename}>"
            else:
                params[name] = value
        return params, uploads

    # -- files: what the emulator lacks ---------------------------------------

    def _get_file(self, token: str, params: JSONDict) -> web.StreamResponse:
        hosted = self.files.get(str(params.get("file_id", "")))
        if hosted is None or hosted.token != token:
            return web.json_response(
                {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"},
                status=400)
        return web.json_response({"ok": True, "result": hosted.as_file()})

    async def _file_download(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        file_path = request.match_info["file_path"]
        for hosted in self.files.values():
            if hosted.token == token and hosted.file_path == file_path:
                self.downloads.append((token, file_path))
                return web.Response(body=hosted.content,
                                    content_type="application/octet-stream")
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404)

    async def _send_document(
        self, token: str, params: JSONDict, uploads: dict[str, tuple[str, str, bytes]]
    ) -> web.StreamResponse:
        """Keep the upload, show it in the chat (through the emulator), answer a Message."""
        assert self._session is not None
        try:
            chat_id = int(params["chat_id"])
        except (KeyError, ValueError):
            return web.json_response(
                {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
                status=400)
        if "document" in uploads:
            filename, mime_type, content = uploads["document"]
            filename = filename or "document"
            if not mime_type or mime_type == "application/octet-stream":
                mime_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        else:  # a file_id sent again
            known = self.files.get(str(params.get("document", "")))
            if known is None:
                return web.json_response(
                    {"ok": False, "error_code": 400,
                     "description": "Bad Request: wrong file identifier/HTTP URL specified"},
                    status=400)
            filename, content = Path(known.file_path).name, known.content
            mime_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        caption = params.get("caption") or None
        hosted = self.host_file(token, content, kind="document", suffix=Path(filename).suffix)
        document = {"file_id": hosted.file_id, "file_unique_id": hosted.file_unique_id,
                    "file_name": filename, "mime_type": mime_type, "file_size": len(content)}
        stored: JSONDict = {"chat_id": chat_id, "text": caption or "", "document": document}
        if params.get("reply_markup"):  # the keyboard under the file, as Telegram shows it
            stored["reply_markup"] = params["reply_markup"]
        if caption:
            stored["caption"] = caption
            if params.get("parse_mode"):
                stored["parse_mode"] = params["parse_mode"]
        async with self._session.post(
            f"{self.upstream}/bot{quote(token, safe=':')}/sendMessage", json=stored
        ) as response:
            data = mend(await response.json(content_type=None))
        echoed = data.get("result") if isinstance(data, dict) else None
        if not isinstance(echoed, dict):
            return web.json_response(data, status=500)
        sent = SentDocument(token, chat_id, filename, mime_type, content, caption,
                            int(echoed["message_id"]))
        self.documents.append(sent)
        message: JSONDict = {
            "message_id": sent.message_id,
            "date": echoed.get("date") or int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": dict(BOT_USER),
            "document": document,
        }
        if params.get("reply_markup"):
            markup = params["reply_markup"]
            message["reply_markup"] = json.loads(markup) if isinstance(markup, str) else markup
        if caption:  # what Telegram returns: the caption with its markup parsed
            html_mode = str(params.get("parse_mode", "")).upper() == "HTML"
            message["caption"] = html.unescape(_TAG.sub("", caption)) if html_mode else caption
        return web.json_response({"ok": True, "result": message})

    async def _delete_messages(self, token: str, method: str, params: JSONDict) -> web.StreamResponse:
        """Telegram's ``deleteMessages`` (and ``deleteMessage``) against the emulator's storage."""
        assert self._session is not None
        try:
            chat_id = int(params["chat_id"])
            if method == "deleteMessage":
                ids = [int(params["message_id"])]
            else:
                raw = params.get("message_ids")
                ids = [int(i) for i in (json.loads(raw) if isinstance(raw, str) else raw)]
        except (KeyError, TypeError, ValueError):
            return web.json_response({"ok": False, "error_code": 400,
                                      "description": "Bad Request: message identifiers invalid"},
                                     status=400)
        if method == "deleteMessages" and not 1 <= len(ids) <= 100:
            return web.json_response({"ok": False, "error_code": 400,
                                      "description": "Bad Request: too many messages to delete"},
                                     status=400)
        found = 0
        url = f"{self.upstream}/bot{quote(token, safe=':')}/deleteMessage"
        for message_id in ids:
            for _ in range(10):  # until the emulator has no update of this id and chat
                async with self._session.post(
                    url, json={"chat_id": chat_id, "message_id": message_id}
                ) as response:
                    data = await response.json(content_type=None)
                if not (isinstance(data, dict) and data.get("ok")):
                    break
                found += 1
                self.deleted.append((token, chat_id, message_id))
        if method == "deleteMessage" and not found:
            return web.json_response({"ok": False, "error_code": 400,
                                      "description": "Bad Request: message to delete not found"},
                                     status=400)
        return web.json_response({"ok": True, "result": True})

    async def _forward(
        self, request: web.Request, body: bytes, path: Optional[str] = None,
        content_type: Optional[str] = None,
    ) -> tuple[int, Any]:
        assert self._session is not None
        headers = {"Content-Type": content_type or request.headers.get("Content-Type", "")}
        async with self._session.request(
            request.method, self.upstream + (path or request.path_qs), data=body, headers=headers
        ) as response:
            text = await response.text()
            try:
                return response.status, json.loads(text)
            except ValueError:
                return response.status, {"ok": False, "description": text[:200]}

    @staticmethod
    def _mend_result(method: str, data: Any) -> Any:
        data = mend(data)
        if not isinstance(data, dict) or "result" not in data:
            return data
        result = data["result"]
        if method == "getMe" and isinstance(result, dict):
            result.setdefault("is_bot", True)
            result.setdefault("can_join_groups", True)
            result.setdefault("can_read_all_group_messages", False)
            result.setdefault("supports_inline_queries", False)
        elif result is None:
            data["result"] = True
        elif method.startswith("send") and isinstance(result, dict):
            # The emulator echoes the request's parameters (as strings) into the
            # Message it returns; keep only what a Message has.
            message = {k: v for k, v in result.items() if k in MESSAGE_FIELDS}
            if not isinstance(message.get("reply_markup"), dict):
                message.pop("reply_markup", None)
            message.setdefault("from", dict(BOT_USER))
            data["result"] = message
        return data

    async def _get_updates(
        self, request: web.Request, token: str, body: bytes, params: JSONDict
    ) -> web.StreamResponse:
        try:
            wait = min(float(params.get("timeout") or 0), self.max_long_poll)
        except ValueError:
            wait = 0.0
        deadline = time.monotonic() + wait
        while True:
            status, data = await self._forward(request, body)
            updates = data.get("result") if isinstance(data, dict) else None
            if status != 200 or not isinstance(updates, list):
                return web.json_response(data, status=status)
            kept = [mend_update(u) for u in updates if not self._from_left_chat(token, u)]
            if kept or self._closing or time.monotonic() >= deadline:
                return web.json_response({"ok": True, "result": kept})
            await asyncio.sleep(0.05)

    def _from_left_chat(self, token: str, update: JSONDict) -> bool:
        chat_id = update_chat_id(update)
        return chat_id is not None and (token, int(chat_id)) in self.left_chats

    async def _set_webhook(
        self, request: web.Request, token: str, params: JSONDict
    ) -> web.StreamResponse:
        self.webhooks[token] = Webhook(str(params.get("url", "")), params.get("secret_token"))
        ours = dict(params)
        ours.pop("secret_token", None)
        ours["url"] = f"{self.url}/__webhook__/{token}"
        status, data = await self._forward(
            request, json.dumps(ours).encode(), path=request.path,
            content_type="application/json",
        )
        return web.json_response(self._mend_result("setWebhook", data), status=status)

    # -- emulator side (webhook deliveries) ------------------------------------

    async def _webhook_in(self, request: web.Request) -> web.StreamResponse:
        """The emulator posts an update here; deliver it to the bot as Telegram would."""
        assert self._session is not None
        token = request.match_info["token"]
        update = mend_update(await request.json())
        webhook = self.webhooks.get(token)
        if webhook is None or self._from_left_chat(token, update):
            return web.json_response({"ok": True})
        headers = {SECRET_HEADER: webhook.secret} if webhook.secret else {}
        try:
            async with self._session.post(webhook.url, json=update, headers=headers) as response:
                self.webhook_deliveries.append(response.status)
                if response.status >= 300:
                    self.errors.append(f"webhook delivery answered {response.status}")
        except aiohttp.ClientError as error:
            self.errors.append(f"webhook delivery failed: {type(error).__name__}")
        # Always 200: the emulator does not survive a failed webhook call well.
        return web.json_response({"ok": True})


# -- the user's side -------------------------------------------------------------


@dataclass
class BotMessage:
    """A message the bot sent, as the emulator stored it (edits applied when re-read)."""

    message_id: int
    chat_id: int
    date: int
    raw_text: str
    parse_mode: Optional[str]
    reply_markup: Optional[JSONDict]
    raw: JSONDict = field(repr=False, default_factory=dict)

    @classmethod
    def from_store(cls, item: JSONDict) -> BotMessage:
        message = item["message"]
        markup = message.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        return cls(
            message_id=int(item["messageId"]),
            chat_id=int(message["chat_id"]),
            date=_seconds(int(item["time"])),
            raw_text=str(message.get("text", "")),
            parse_mode=message.get("parse_mode"),
            reply_markup=markup,
            raw=item,
        )

    @property
    def text(self) -> str:
        """What the user sees: HTML parsed as Telegram parses it."""
        if (self.parse_mode or "").upper() == "HTML":
            return html.unescape(_TAG.sub("", self.raw_text))
        return self.raw_text

    @property
    def document(self) -> Optional[JSONDict]:
        """The document the message carries (``file_name``, ``mime_type``...), if any."""
        document = self.raw.get("message", {}).get("document")
        return document if isinstance(document, dict) else None

    @property
    def buttons(self) -> list[JSONDict]:
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [button for row in rows for button in row]

    @property
    def titles(self) -> list[str]:
        return [b["text"] for b in self.buttons]

    def button(self, title: str) -> JSONDict:
        """The button whose title is ``title`` (or, failing that, contains it; any case)."""
        for button in self.buttons:
            if button["text"] == title:
                return button
        for button in self.buttons:
            if title.lower() in button["text"].lower():
                return button
        raise AssertionError(f"no button {title!r} in {self.titles}")

    def as_telegram(self, chat: JSONDict) -> JSONDict:
        """The message as Telegram puts it in a callback query."""
        message: JSONDict = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": chat,
            "from": dict(BOT_USER),
            "text": self.text,
        }
        if self.reply_markup is not None:
            message["reply_markup"] = self.reply_markup
        return message


Predicate = Callable[[list[BotMessage]], bool]


class TelegramUser:
    """A person in one chat with the bot, driving the emulator's client HTTP API."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        emulator_url: str,
        token: str,
        user_id: int,
        *,
        chat_id: Optional[int] = None,
        chat_type: str = "private",
        title: Optional[str] = None,
        first_name: str = "Sam",
        files: Optional[BotApiProxy] = None,
    ) -> None:
        self.session = session
        self.files = files  # where the files this person sends are held
        self.url = emulator_url.rstrip("/")
        self.token = token
        self.user = {"id": user_id, "is_bot": False, "first_name": first_name,
                     "username": f"user{user_id}"}
        self.chat: JSONDict = {"id": chat_id if chat_id is not None else user_id,
                               "type": chat_type}
        if chat_type == "private":
            self.chat.update(first_name=first_name, username=f"user{user_id}")
        else:
            self.chat["title"] = title or "A group"

    @property
    def chat_id(self) -> int:
        return int(self.chat["id"])

    async def _post(self, path: str, payload: JSONDict) -> Any:
        async with self.session.post(f"{self.url}{path}", json=payload) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    def _message(self, **fields: Any) -> JSONDict:
        return {"botToken": self.token, "from": self.user, "chat": self.chat,
                "date": int(time.time()), **fields}

    async def say(self, text: str) -> None:
        """Send a text message (a command, with its ``bot_command`` entity, if it is one)."""
        if text.startswith("/"):
            length = len(text.split()[0])
            entities = [{"offset": 0, "length": length, "type": "bot_command"}]
            await self._post("/sendCommand", self._message(text=text, entities=entities))
        else:
            await self._post("/sendMessage", self._message(text=text))

    async def send(self, **fields: Any) -> None:
        """Send any other kind of message: ``sticker={...}``, ``photo=[...]``..."""
        await self._post("/sendMessage", self._message(**fields))

    def _host(self, content: bytes, kind: str, suffix: str) -> HostedFile:
        assert self.files is not None, "this user was made without a file host (files=)"
        return self.files.host_file(self.token, content, kind=kind, suffix=suffix)

    async def send_photo(self, content: bytes, *, caption: Optional[str] = None,
                         width: int = 1280, height: int = 960) -> HostedFile:
        """Send a photo whose bytes the bot can download (Telegram's sizes: a thumbnail, the photo)."""
        thumb = self._host(content[: max(1, len(content) // 8)], "photo", ".jpg")
        hosted = self._host(content, "photo", ".jpg")
        sizes = [
            {"file_id": thumb.file_id, "file_unique_id": thumb.file_unique_id,
             "width": max(1, width // 8), "height": max(1, height // 8), "file_size": thumb.size},
            {"file_id": hosted.file_id, "file_unique_id": hosted.file_unique_id,
             "width": width, "height": height, "file_size": hosted.size},
        ]
        fields: JSONDict = {"photo": sizes}
        if caption:
            fields["caption"] = caption
        await self.send(**fields)
        return hosted

    async def send_document(self, content: bytes, file_name: str, *,
                            mime_type: Optional[str] = None,
                            caption: Optional[str] = None) -> HostedFile:
        """Send a file whose bytes the bot can download."""
        hosted = self._host(content, "document", Path(file_name).suffix)
        document = {"file_id": hosted.file_id, "file_unique_id": hosted.file_unique_id,
                    "file_name": file_name, "file_size": hosted.size,
                    "mime_type": mime_type or mimetypes.guess_type(file_name)[0]
                    or "application/octet-stream"}
        fields: JSONDict = {"document": document}
        if caption:
            fields["caption"] = caption
        await self.send(**fields)
        return hosted

    async def send_voice(self, content: bytes, *, duration: int = 3) -> HostedFile:
        """Send a voice note whose bytes the bot can download."""
        hosted = self._host(content, "voice", ".oga")
        await self.send(voice={"file_id": hosted.file_id, "file_unique_id": hosted.file_unique_id,
                               "duration": duration, "mime_type": "audio/ogg",
                               "file_size": hosted.size})
        return hosted

    def documents(self) -> list[SentDocument]:
        """Every document the bot sent to this chat, as uploaded (name, type, bytes)."""
        assert self.files is not None, "this user was made without a file host (files=)"
        return self.files.documents_to(self.token, self.chat_id)

    async def press(self, message: BotMessage, title: str) -> None:
        """Press an inline button of ``message`` (a callback query, as Telegram sends it)."""
        button = message.button(title)
        assert "callback_data" in button, f"{button} is not a callback button"
        await self._post("/sendCallback", {
            "botToken": self.token,
            "from": self.user,
            "message": message.as_telegram(self.chat),
            "data": button["callback_data"],
        })

    async def press_data(self, data: str, message: BotMessage, *, forge_keyboard: bool = False) -> None:
        """A callback query with ``data`` of the user's choosing, as a tampering client sends.

        ``message`` is the message the query claims to come from.  With
        ``forge_keyboard`` its keyboard is replaced by one button carrying ``data``
        too (a client that forges the message as well as the data).
        """
        claimed = message.as_telegram(self.chat)
        if forge_keyboard:
            claimed["reply_markup"] = {"inline_keyboard": [[{"text": "Open", "callback_data": data}]]}
        await self._post("/sendCallback", {
            "botToken": self.token,
            "from": self.user,
            "message": claimed,
            "data": data,
        })

    async def replies(
        self,
        *,
        until: Optional[Predicate] = None,
        settle: float = 0.35,
        timeout: float = 30.0,
        expect_none: bool = False,
    ) -> list[BotMessage]:
        """The bot's new messages in this chat, once it has gone quiet.

        Waits for at least one message (and for ``until``, if given), then until
        no new message came for ``settle`` seconds.  With ``expect_none`` it
        waits ``settle`` seconds and returns whatever came (normally nothing).
        """
        received: list[BotMessage] = []
        deadline = time.monotonic() + (settle if expect_none else timeout)
        last_new = time.monotonic()
        while True:
            data = await self._post("/getUpdates", {"token": self.token, "chatId": self.chat_id})
            fresh = [BotMessage.from_store(item) for item in data.get("result") or []]
            now = time.monotonic()
            if fresh:
                received.extend(fresh)
                last_new = now
            done = bool(received) and (until is None or until(received))
            if done and now - last_new >= settle:
                return received
            if now >= deadline:
                if expect_none:
                    return received
                seen = [m.text[:120] for m in received]
                raise AssertionError(f"the bot did not answer as expected in {timeout}s: {seen}")
            await asyncio.sleep(0.05)

    async def ask(self, text: str, **wait: Any) -> list[BotMessage]:
        await self.say(text)
        return await self.replies(**wait)

    async def choose(self, message: BotMessage, title: str, **wait: Any) -> list[BotMessage]:
        await self.press(message, title)
        return await self.replies(**wait)

    async def history(self) -> list[BotMessage]:
        """Every message the bot sent to this chat, as it is now (edits applied)."""
        data = await self._post("/getUpdatesHistory", {"token": self.token})
        return [
            BotMessage.from_store(item)
            for item in data.get("result") or []
            if "chat_id" in item.get("message", {})
            and str(item["message"]["chat_id"]) == str(self.chat_id)
        ]

    async def stored_messages(self) -> list[JSONDict]:
        """Every message of this chat the emulator holds, both ways (button presses are not
        messages): ``{"message_id", "from_bot", "time"}``, oldest first."""
        data = await self._post("/getUpdatesHistory", {"token": self.token})
        held = []
        for item in data.get("result") or []:
            if "callbackQuery" in item:
                continue
            message = item.get("message") or {}
            if "chat_id" in message:
                chat, from_bot = message["chat_id"], True
            else:
                chat, from_bot = (message.get("chat") or {}).get("id"), False
            if str(chat) == str(self.chat_id):
                held.append({"message_id": int(item["messageId"]), "from_bot": from_bot,
                             "time": int(item["time"])})
        return held

    async def current(self, message: BotMessage) -> BotMessage:
        for stored in await self.history():
            if stored.message_id == message.message_id:
                return stored
        raise AssertionError(f"message {message.message_id} is gone")


def with_buttons(messages: list[BotMessage]) -> bool:
    return any(m.buttons for m in messages)


def last_with_buttons(messages: list[BotMessage]) -> BotMessage:
    for message in reversed(messages):
        if message.buttons:
            return message
    raise AssertionError(f"no message with buttons in {[m.text[:80] for m in messages]}")
