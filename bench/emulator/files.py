"""Files, which the emulator does not know at all, emulated by the proxy (``getFile``, downloads,
``sendDocument``), and ``deleteMessages``, which it lacks, done with its own ``deleteMessage``."""
from __future__ import annotations

import hashlib
import html
import itertools
import json
import mimetypes
import time
from pathlib import Path
from typing import Optional
from urllib.parse import quote

import aiohttp
from aiohttp import web

from bench.emulator.mending import _TAG, BOT_USER, HostedFile, JSONDict, SentDocument, mend


class FileHost:
    """The part of :class:`~bench.emulator.proxy.BotApiProxy` that plays Telegram's file storage."""

    upstream: str
    files: dict[str, HostedFile]
    documents: list[SentDocument]
    deleted: list[tuple[str, int, int]]
    downloads: list[tuple[str, str]]
    _file_numbers: itertools.count[int]
    _session: Optional[aiohttp.ClientSession]

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
                raw = json.loads(raw) if isinstance(raw, str) else raw
                if not isinstance(raw, list):
                    raise TypeError("message_ids is not a list")
                ids = [int(i) for i in raw]
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
