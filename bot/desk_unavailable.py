"""The incident log switched off: what the bot does when the diary key is wrong, missing or malformed.

Why the bot still starts (instead of refusing to): a bot that does not run answers
nobody, and "call 999 now" to a message that signals danger must not depend on
the diary.  So the process starts, logs a CRITICAL message for the operator
(``bot.app``), and runs the safety guard and the dialogue as usual, while every
diary screen says the log can't be opened just now and that nothing in it has
been deleted.  Nothing is read, written or deleted in the database: writing
notes under a second key would mix two keys in one log, and "your log is empty"
or "nothing of yours is left" would be false.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from typing import Any, Optional

from bot.desk import DiaryDesk
from bot.diary.errors import DiaryUnavailableError
from bot.replies import Reply
from guidance.facts import Facts

logger = logging.getLogger(__name__)


class UnavailableStore:
    """Stands in for ``DiaryStore``: every call raises ``DiaryUnavailableError``.

    ``user_key`` (the pseudonym the dialogue engine knows users by) is an HMAC under
    a secret of this process only: the database's pseudonym secret is locked with
    the key that is missing.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self._secret = secrets.token_bytes(32)

    def user_key(self, user_id: str | int) -> str:
        return hmac.new(self._secret, str(user_id).encode("utf-8"), hashlib.sha256).hexdigest()

    def close(self) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        def refuse(*_args: Any, **_kwargs: Any) -> Any:
            raise DiaryUnavailableError("the incident log is switched off (diary key problem)")

        return refuse


class UnavailableDesk(DiaryDesk):
    """The desk while the log can't be opened: every screen says so; forget says exactly what it did."""

    def __init__(self, store: UnavailableStore, facts: Facts,
                 forget_conversation: Callable[[str], Any]) -> None:
        # Not a DiaryStore, on purpose: it answers every store call with DiaryUnavailableError.
        super().__init__(store, facts, forget_conversation)  # type: ignore[arg-type]

    def unavailable(self, not_saved: bool = False) -> list[Reply]:
        text = self._t("log_unavailable")
        if not_saved:
            text = f"{self._t('not_saved_unavailable')} {text}"
        return [Reply(f"{text}\n\n{self.facts.help_line}")]

    # -- what Rasa asks for --------------------------------------------------------------
    async def execute(self, user_id: str, request: dict[str, Any]) -> list[Reply]:
        op = request.get("op")
        if op in ("forget", "confirm_forget"):
            return await super().execute(user_id, request)  # "Delete everything?" needs no store
        if op in ("save_answers", "log_mention"):
            return []  # nothing to say mid-check; the answers are not kept
        return self.unavailable(not_saved=op in ("save_note", "update_field"))

    # -- what the bot draws itself ---------------------------------------------------------
    async def data_screen(self, user_id: str, payload: str) -> list[Reply]:
        if payload == "/forget_me":
            return await super().data_screen(user_id, payload)  # asks first; no store
        return self.unavailable()

    async def handle_payload(self, user_id: str, payload: str) -> list[Reply]:
        action = payload.split(":")[1] if ":" in payload else ""
        if action == "forget_yes":
            return await self.forget(user_id)
        if action.endswith("_no"):  # "No, keep it" and the like: nothing to read
            return await super().handle_payload(user_id, payload)
        return self.unavailable(not_saved=action == "retry")

    async def quick_note(self, user_id: str, text: str) -> list[Reply]:
        return self.unavailable(not_saved=True)

    async def save(self, user_id: str, fields: Any) -> list[Reply]:
        return self.unavailable(not_saved=True)

    async def attachment(self, user_id: str, *_args: Any, **_kwargs: Any) -> list[Reply]:
        return self.unavailable(not_saved=True)

    async def ask_field(self, user_id: str, note_id: int, field: str) -> list[Reply]:
        return self.unavailable()  # the note can't be read, so no edit starts

    async def log_mention(self, user_id: str) -> Optional[Reply]:
        return None

    async def retry_forget(self, user_id: str) -> None:
        return None

    async def finish_pending_forgets(self) -> int:
        return 0

    async def forget(self, user_id: str) -> list[Reply]:
        """Nothing can be deleted: the rows can't be found without the key, and the conversation
        is kept under the pseudonym that the key locks too.  Say so; delete nothing."""
        self.unsaved.take(user_id)
        return [Reply(f"{self._t('forget_unavailable')}\n\n{self.facts.help_line}")]
