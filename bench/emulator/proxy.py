"""The mending proxy: a Bot API endpoint for the bot, backed by the emulator (see ``bench.emulator``)."""
from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any, Optional
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web

from bench.emulator.files import FileHost
from bench.emulator.mending import (
    SECRET_HEADER,
    ApiCall,
    HostedFile,
    JSONDict,
    SentDocument,
    Webhook,
    mend_result,
    mend_update,
    update_chat_id,
)
from bench.emulator.process import free_port


class BotApiProxy(FileHost):
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

    _mend_result = staticmethod(mend_result)

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
