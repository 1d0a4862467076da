"""The one message path every channel shares: safety guard, then the dialogue engine.

Adapters (console, Telegram, tests) turn what the user did into
``Core.handle(user_id, text)`` and show the returned :class:`Reply` list.  The
guard runs first on every message, before and independently of Rasa, so a
danger message gets "call 999" even when the engine is down or slow.
"""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
from typing import Any, Optional, Union

from bot.desk import CLEAR_CHAT, DATA_SCREENS, DiaryDesk
from bot.engine import BotMessage, DialogueEngine
from bot.guard import Alert, SafetyGuard
from bot.messages import (
    MAX_TEXT,
    ForgetRequests,
    button_entities,
    clean_text,
    load_commands,
    past_openers,
    within,
)
from bot.replies import Button, Reply
from bot.settings import DEFAULT_ENGINE_TIMEOUT
from guidance.advice import asked_where, where_choice, where_payload
from guidance.copy import SAVE_AS_NOTE
from guidance.facts import Facts
from guidance.note_schema import schema
from guidance.places import read_place

logger = logging.getLogger(__name__)

_QUICK_NOTE = re.compile(r"^/note(?:@\w+)?\s+(.+)$", re.DOTALL)
_PAYLOAD = re.compile(r"^/([A-Za-z_][A-Za-z0-9_]*)(\{.*\})?$", re.DOTALL)
#: What Rasa is given of a typed message: a character more than a note's field holds, so a
#: form can tell a text too long for the field (and say so) from one that fits; never cut to fit.
ENGINE_CHARS = schema().text_chars + 1

# Typed commands that do not pause a form first: /start resets everything and /cancel
# stops the form itself.
_STAY_COMMANDS = frozenset({"start", "cancel"})
# Diary screens that leave a form in progress as it is: "delete everything?" is only ever
# the question (after "No, keep it" the form carries on), and clearing the chat says only
# what it removed.
_STAYS = ("diary:forget", "diary:clear")
# A confirmation's "yes" button -> what it confirms (data/diary_copy.yml typed_no).
_CONFIRMS = {"diary:delete_yes:": "delete", "diary:forget_yes": "forget", "diary:export_yes": "export"}
_MAX_CONFIRMING = 10_000
# A typed answer to a confirmation read by its first words ("no wait") up to this many words.
_SHORT_ANSWER = 5


def _custom(message: BotMessage) -> dict[str, Any]:
    custom = message.get("custom")
    return custom if isinstance(custom, dict) else {}


class Core:
    """Safety guard, command mapping, dialogue engine, and reply shaping."""

    def __init__(self, engine: DialogueEngine, guard: SafetyGuard, facts: Facts,
                 engine_timeout: float = DEFAULT_ENGINE_TIMEOUT,
                 desk: Optional[DiaryDesk] = None) -> None:
        self.engine = engine
        self.guard = guard
        self.facts = facts
        self.engine_timeout = engine_timeout
        self.desk = desk
        #: Tasks started with the core (the retention sweeper); ``close`` cancels them.
        self.background: list[asyncio.Task[Any]] = []
        self.commands = {c["command"]: c["payload"] for c in load_commands()}
        self.forget_requests = ForgetRequests.from_file()
        #: user -> (what it confirms, the confirmation) shown in answer to their last message
        self._confirming: dict[str, tuple[str, Reply]] = {}
        #: user -> the topic of "Where are you?" shown in answer to their last message
        self._asked_where: dict[str, str] = {}
        #: user -> their last message, while "Save what I wrote as a note" is on screen (in
        #: memory only, until their next message; never logged)
        self._last_words: dict[str, str] = {}

    async def handle(self, user_id: str, text: str) -> list[Reply]:
        """Answer one user message.  Never raises; never returns an empty list."""
        text = clean_text(text)
        last_words = self._last_words.pop(user_id, None)
        alert = self.guard.assess(text) if text else None
        if alert:
            self._confirming.pop(user_id, None)
            return await self._alert(user_id, text, alert)
        if text == SAVE_AS_NOTE:
            return await self._save_last_words(user_id, last_words)
        typed = self._typed_answer(user_id, text)
        if typed:
            return typed
        place = self._typed_place(user_id, text)
        if isinstance(place, list):
            self._remember_confirmation(user_id, place)  # its choices are the question's buttons
            return place
        replies = await self._replies(user_id, place or text)
        self._remember_confirmation(user_id, replies)
        if any(b.payload == SAVE_AS_NOTE for r in replies for b in r.buttons) \
                and len(self._last_words) < _MAX_CONFIRMING:
            self._last_words[user_id] = text
        return replies

    async def _save_last_words(self, user_id: str, words: Optional[str]) -> list[Reply]:
        """"Save what I wrote as a note" ("did you mean" after an account of what happened): the
        message kept as a quick note, its time read from it and said back; gone (a newer message,
        a restart): say so, and how to save it."""
        if self.desk is None:
            return [self.error_reply()]
        if not words:
            return [Reply(self.facts.render(str(self.desk.copy["note_last_gone"])))]
        try:
            return await self.desk.quick_note(user_id, words)
        except Exception as error:  # noqa: BLE001 - the user must always get an answer
            logger.error("saving a quick note failed: %s", type(error).__name__)
            self._last_words[user_id] = words  # kept for another press
            return [Reply(str(self.desk.copy["save_failed"]))]

    def _typed_place(self, user_id: str, text: str) -> Union[str, list[Reply], None]:
        """The answer to "Where are you?" typed as a town or region ("glasgow", "we're in
        Coventry"): the NLU can't read a bare place name, and before, the question came back.
        One place: the button's payload, with the place's name to say back; a name that could
        be more than one (Bangor, England): only those choices, as buttons (guidance.places)."""
        topic = self._asked_where.pop(user_id, None)
        if topic is None or not text or text.startswith("/"):
            return None
        reading = read_place(text)
        if reading is None:
            return None
        if reading.place is None:
            choice = where_choice(reading.name, reading.choices, topic)
            return [Reply(self.facts.render(choice["text"]), [self._to_button(b) for b in choice["buttons"]])]
        return where_payload(topic, reading.place, reading.name)

    def _typed_answer(self, user_id: str, text: str) -> Optional[list[Reply]]:
        """A bare "yes" or "no" typed right after a confirmation (delete a note, delete
        everything, send the files).  Before, either got the main menu and the person could
        not tell what had happened.  "no" is no; a typed "yes" never deletes or sends: the
        confirmation comes again, to be pressed."""
        waiting = self._confirming.pop(user_id, None)
        if waiting is None or self.desk is None:
            return None
        kind, confirmation = waiting
        words = {key: {str(w).lower() for w in value} for key, value in self.desk.copy["typed_words"].items()}
        said = re.sub(r"[\s.!]+$", "", text.strip().lower().replace("’", "'"))
        said = past_openers(said, self.desk.copy.get("typed_openers") or [])  # "actually not now"
        # "no wait", "nah leave it", "ok do it": a short answer that starts with one of the words
        # counts as it (before, only the words alone did, and "no wait" got the main menu: the
        # person could not tell whether everything had gone).  Both, or neither: not read here.
        short = len(said.split()) <= _SHORT_ANSWER

        def starts_with(key: str) -> bool:
            return said in words[key] or (short and any(re.match(rf"{re.escape(w)}\b[\s,.!]", said)
                                                        for w in words[key]))

        no, yes = starts_with("no"), starts_with("yes")
        if no and not yes:
            return [Reply(str(self.desk.copy["typed_no"][kind]))]
        if yes and not no:
            self._confirming[user_id] = waiting
            return [Reply(str(self.desk.copy["typed_yes"])), confirmation]
        return None

    def _remember_confirmation(self, user_id: str, replies: list[Reply]) -> None:
        self._confirming.pop(user_id, None)
        self._asked_where.pop(user_id, None)
        for reply in replies:
            for button in reply.buttons:
                payload = button.payload or ""
                where_topic = asked_where(payload)  # "Where are you?" is on screen
                if where_topic and len(self._asked_where) < _MAX_CONFIRMING:
                    self._asked_where[user_id] = where_topic
                kind = next((k for prefix, k in _CONFIRMS.items() if payload.startswith(prefix)), None)
                if kind:
                    if len(self._confirming) >= _MAX_CONFIRMING:  # people who never wrote again
                        self._confirming.pop(next(iter(self._confirming)))
                    self._confirming[user_id] = (kind, reply)
                    return

    async def _replies(self, user_id: str, text: str) -> list[Reply]:
        replies: list[Reply] = []
        try:
            handled = await self._diary_first(user_id, text)
        except Exception as error:  # noqa: BLE001 - the user must always get an answer
            logger.error("diary request failed: %s", type(error).__name__)
            handled = [self.error_reply()]
        if isinstance(handled, list):
            return handled
        try:
            # One time budget for everything the engine does for this message
            # (a /start reset included), so a failing engine costs the user at
            # most ``engine_timeout`` before the apology and the help line.
            messages = await within(self._ask_engine(user_id, text, handled), self.engine_timeout)
            for message in messages:
                replies.extend(await self._message_replies(user_id, message))
        except Exception as error:  # noqa: BLE001 - the user must always get an answer
            logger.error("dialogue engine failed: %s", type(error).__name__)
            replies.append(self._edit_unavailable() if handled else self.error_reply())
        replies = [r for r in replies if r.text or r.buttons or r.document]
        if not replies:
            replies.append(self.error_reply())
        return self._offer_clear(text, replies)

    def _offer_clear(self, text: str, replies: list[Reply]) -> list[Reply]:
        """"Clear this chat" under /start's welcome, and under a reply that speaks of hiding the chat.

        Which replies speak of it is data (``clear_chat_offer_when`` in
        data/diary_copy.yml: the goodbye, "nobody reads this chat"), so a question
        like "can he see this chat?" reaches the button without a new intent.
        """
        if self.desk is None:
            return replies
        start = re.fullmatch(r"/start(?:@\w+)?", text) is not None
        markers = [str(m).lower() for m in self.desk.copy.get("clear_chat_offer_when") or []]
        shaped = []
        for index, reply in enumerate(replies):
            wanted = (start and index == len(replies) - 1) or any(m in reply.text.lower() for m in markers)
            if wanted and reply.document is None and all(b.payload != CLEAR_CHAT for b in reply.buttons):
                reply = dataclasses.replace(reply, buttons=[*reply.buttons, self.desk.clear_chat_button()])
            shaped.append(reply)
        return shaped

    async def _alert(self, user_id: str, text: str, alert: Alert) -> list[Reply]:
        """Danger or a crisis: the route's first reply, alone, and whatever was in progress waits.

        Nothing else is asked in this turn.  A form in Rasa (an edit of a note's
        field included: nothing is saved, "carry on" asks for the value again) is
        paused (``/pause``, answers kept); Rasa sends back only the buttons that join
        the alert ("Carry on where we were", "Stop").  With Rasa down or slow, the
        alert goes alone and the form simply stays where it was.
        """
        logger.info("safety guard fired (route %s, rule %s, %s layer)", alert.route, alert.rule, alert.layer)
        reply = Reply(self.facts.alert_reply(alert.route, alert.layer))
        buttons: list[Button] = []
        metadata = {"via_guard": True, "route": alert.route, "text": text[:MAX_TEXT]}
        try:
            messages = await within(self.engine.handle(user_id, "/pause", metadata), self.engine_timeout)
        except Exception as error:  # noqa: BLE001 - the alert has been written; it goes alone
            logger.error("dialogue engine failed: %s", type(error).__name__)
            messages = []
        for message in messages:
            custom = message.get("custom")
            pause = custom.get("pause") if isinstance(custom, dict) else None
            if isinstance(pause, dict) and not buttons:
                buttons = [self._to_button(raw) for raw in pause.get("buttons") or []]
        return [Reply(reply.text, buttons), *await self._keep_quick_note(user_id, text)]

    async def _keep_quick_note(self, user_id: str, text: str) -> list[Reply]:
        """"/note <text>" asks in so many words for the text to be kept: after the alert, it is."""
        quick = _QUICK_NOTE.match(text)
        if self.desk is None or not quick:
            return []
        try:
            return await self.desk.quick_note(user_id, quick.group(1).strip())
        except Exception as error:  # noqa: BLE001 - the alert has gone first; say it wasn't saved
            logger.error("saving a quick note failed: %s", type(error).__name__)
            return [self.error_reply()]

    async def _ask_engine(self, user_id: str, text: str, payload: Optional[str] = None) -> list[BotMessage]:
        """Rasa's answer to ``text``, or to ``payload`` (what a diary button stands for: an edit)."""
        engine_text = payload or await self._engine_text(user_id, text)
        paused: list[BotMessage] = []
        if payload or self._switches(text):
            # A typed command (or an edit's button) is an explicit choice to go elsewhere: a
            # form in progress is paused first (answers kept, "Carry on where we were"
            # offered; an edit in progress ends, nothing changed), so the form does not
            # swallow the command as an answer.
            paused = await self.engine.handle(user_id, "/pause", {"switch": True, "command": engine_text})
            carry_on = next((found for found in (_custom(m).get("pause") for m in paused)
                             if isinstance(found, dict) and found.get("carry_on")), None)
            if carry_on:
                # the command of the form in progress (/note in a note) or of the one waiting
                # behind it: not started afresh, which would throw its answers away; the form in
                # progress carries on at its step
                same = bool(carry_on.get("same_form"))
                return await self.engine.handle(user_id, "/resume", {"same_form": same})
        return [*paused, *await self.engine.handle(user_id, engine_text, {})]

    def _switches(self, text: str) -> bool:
        """A typed slash command that takes the person somewhere else (/note, /check, /risk, ...)."""
        command = re.fullmatch(r"/([A-Za-z_]+)(?:@\w+)?", text)
        if command is None:
            return False
        return command.group(1) in self.commands and command.group(1) not in _STAY_COMMANDS

    async def close(self) -> None:
        """Stop the background work started with the core, then the engine."""
        for task in self.background:
            task.cancel()
        for task in self.background:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.background.clear()
        await self.engine.close()

    async def _diary_first(self, user_id: str, text: str) -> Union[list[Reply], str, None]:
        """Diary screens and quick notes the bot handles itself; None: go on to Rasa; a payload
        (a field to edit of the user's own note, ``/edit_note{...}``): send Rasa that instead."""
        if self.desk is None:
            return None
        try:  # a "forget me" still waiting for its conversation to go: finish it first
            await self.desk.retry_forget(user_id)
        except Exception as error:  # noqa: BLE001 - retried again later
            logger.error("finishing a pending forget failed: %s", type(error).__name__)
        if text.startswith("diary:field:"):  # an edit: Rasa's form, started with a pause
            return await self.desk.button(user_id, text)
        if text.startswith("diary:"):
            left = [] if text.startswith(_STAYS) else await self._leave_forms(user_id)
            drawn = await self.desk.button(user_id, text)
            return drawn if isinstance(drawn, str) else [*left, *drawn]
        quick = _QUICK_NOTE.match(text)
        if quick:
            return await self.desk.quick_note(user_id, quick.group(1).strip())
        screen = self._data_screen(text)
        if not screen and not text.startswith("/") and self.forget_requests.asks(text):
            # "delete everything" in any state, a form included: only ever the
            # confirmation, never a file and never the form's next answer.
            screen = "/forget_me"
        if screen:  # /notes, /export, /forget: the diary's own screens, Rasa not needed
            left = [] if screen in ("/forget_me", CLEAR_CHAT) else await self._leave_forms(user_id)
            return [*left, *await self.desk.data_screen(user_id, screen)]
        return None  # an ordinary message: nothing asked of the store (an edit is Rasa's form)

    async def _leave_forms(self, user_id: str) -> list[Reply]:
        """A diary screen takes the person elsewhere: a form in progress is paused first, as
        for a typed command (answers kept, "Carry on" offered; an edit ends, nothing changed),
        so the next typed words are not taken as its answer.  Nothing in progress: nothing
        said.  Rasa down or slow: the screen is drawn anyway (it needs only the store)."""
        try:
            messages = await within(self.engine.handle(user_id, "/pause", {"switch": True}),
                                    min(self.engine_timeout, 2.0))
        except Exception as error:  # noqa: BLE001 - the screen must not depend on the engine
            logger.error("pausing before a diary screen failed: %s", type(error).__name__)
            return []
        return [self._to_reply(m) for m in messages if m.get("text") or m.get("buttons")]

    def _data_screen(self, text: str) -> Optional[str]:
        """The payload of /notes, /export or /forget (typed, or a button's payload); else None."""
        command = re.fullmatch(r"/([A-Za-z_]+)(?:@\w+)?", text)
        if not command:
            return None
        payload = self.commands.get(command.group(1), f"/{command.group(1)}")
        return payload if payload in DATA_SCREENS else None

    async def _message_replies(self, user_id: str, message: BotMessage) -> list[Reply]:
        custom = message.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("diary"), dict):
            if self.desk is None:
                return []
            return await self.desk.execute(user_id, custom["diary"])
        return [self._to_reply(message)]

    async def handle_attachment(self, user_id: str, kind: str, file_id: Optional[str], filename: str,
                                mime_type: str, content: bytes, caption: Optional[str] = None) -> list[Reply]:
        """A photo, screenshot, document or voice note sent as evidence (``file_id``: Telegram's,
        None for a file given to the console), with the words sent with it (``caption``)."""
        if self.desk is None:
            return [self.error_reply()]
        try:
            return await self.desk.attachment(user_id, kind, file_id, filename, mime_type, content,
                                              caption=caption)
        except Exception as error:  # noqa: BLE001
            logger.error("keeping an attachment failed: %s", type(error).__name__)
            return [Reply(f"{self.desk.copy['save_failed']}")]

    async def _engine_text(self, user_id: str, text: str) -> str:
        """Map slash commands and button payloads; keep anything else as text."""
        if not text:
            return "/nlu_fallback"
        match = _PAYLOAD.match(text.split("@", 1)[0] if text.startswith("/") else text)
        if not match:
            return text[:ENGINE_CHARS]
        name = match.group(1)
        if name in self.commands:
            if name == "start":
                await self.engine.reset(user_id)  # within handle's time budget
            return self.commands[name]
        if name in self.engine.intents and name not in {"restart", "session_start", "back"}:
            # A forged payload may carry entities no button has (deeply nested JSON made
            # Rasa fail with a RecursionError): the intent goes on without them.
            return text[:MAX_TEXT] if button_entities(match.group(2)) else f"/{name}"
        # An unknown command or a forged payload: let NLU read it as words.
        return text.lstrip("/")[:MAX_TEXT] or "/nlu_fallback"

    def _to_reply(self, message: BotMessage) -> Reply:
        text = self.facts.render(str(message.get("text") or ""))
        buttons = [self._to_button(raw) for raw in message.get("buttons") or []]
        return Reply(text=text, buttons=buttons)

    def _to_button(self, raw: dict[str, Any]) -> Button:
        title = self.facts.render(str(raw.get("title", "")))
        payload = self.facts.render(str(raw.get("payload", "")))
        if payload.startswith(("http://", "https://")):
            return Button(title=title, url=payload)
        return Button(title=title, payload=payload)

    def _edit_unavailable(self) -> Reply:
        """An edit's button with Rasa down or slow: the edit can't start, and nothing changed."""
        text = self.desk._t("edit_unavailable") if self.desk is not None else self.facts.error_reply
        return Reply(f"{text}\n\n{self.facts.help_line}")

    def error_reply(self) -> Reply:
        """What the user sees when something failed: an apology and the help line."""
        return Reply(f"{self.facts.error_reply}\n\n{self.facts.help_line}")

    def help_line(self) -> str:
        return self.facts.help_line

    def signal_danger(self, text: str) -> Optional[str]:
        """The route of the guard's alert for ``text`` ("danger", "suicide", ...), or None."""
        alert = self.guard.assess(text)
        return alert.route if alert else None
