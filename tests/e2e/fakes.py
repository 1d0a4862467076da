"""A stand-in for :class:`bot.core.Core`: the same methods, scripted answers.

It lets the adapter's end-to-end tests run without the trained Rasa model, and
records what the adapter passed in, so tests can check that a button sends its
payload and a message its text.
"""
from __future__ import annotations

import asyncio

from bot.replies import Button, Reply

ANSWERS = [Button("Yes", "/affirm"), Button("No", "/deny"), Button("Not sure", "/unsure")]
SIGNS = ["Fixated", "Obsessive", "Unwanted", "Repeated"]
BEHAVIOURS = [
    Button("Following me", "/behaviour_following"),
    Button("Turning up at home or work", "/behaviour_turning_up"),
    Button("None of these", "/behaviour_none"),
]
LONG_PAYLOAD = "/inform" + "x" * 80  # more than Telegram's 64 bytes of callback data


class FakeCore:
    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []
        self._check: dict[str, list[str]] = {}

    async def handle(self, user_id: str, text: str) -> list[Reply]:
        self.received.append((user_id, text))
        if self.signal_danger(text):
            return [Reply("If you are in danger now, call 999."), Reply("Come back when safe.")]
        if text == "/start":
            return [Reply("Hello. I can help you recognise stalking.", [
                Button("Check the FOUR signs", "/check"),
                Button("Police Live Chat", url="https://example.org/live-chat"),
            ])]
        if text == "/check":
            self._check[user_id] = []
            return [Reply(f"Is the person {SIGNS[0]}?", list(ANSWERS))]
        if user_id in self._check and text in ("/affirm", "/deny", "/unsure"):
            answers = self._check[user_id]
            answers.append(text)
            if len(answers) < len(SIGNS):
                return [Reply(f"Is the person {SIGNS[len(answers)]}?", list(ANSWERS))]
            return [Reply("Has any of this happened?", list(BEHAVIOURS))]
        if user_id in self._check and text.startswith("/behaviour_"):
            count = self._check.pop(user_id).count("/affirm")
            return [Reply(f"You said yes to {count} of the 4 warning signs."),
                    Reply("Report it: call 101.")]
        if text == "/long":
            paragraphs = [f"Paragraph {n}. " + "word " * 700 for n in range(1, 5)]
            return [Reply("\n\n".join(paragraphs), [Button("OK", "/affirm")])]
        if text == "/long_button":
            return [Reply("Pick one.", [Button("Something else", LONG_PAYLOAD)])]
        if text == "/buttons_only":
            return [Reply("", [Button("Yes", "/affirm")])]
        if text == "/slow":  # slower than the adapter's one second before "typing…"
            await asyncio.sleep(1.6)
            return [Reply("That took a while.")]
        if text == "/boom":
            raise RuntimeError("the fake core failed on purpose")
        return [Reply(f"You said: {text}")]

    def error_reply(self) -> Reply:
        return Reply(f"Sorry, something went wrong.\n\n{self.help_line()}")

    def help_line(self) -> str:
        return "In an emergency call 999. Otherwise call 101."

    def signal_danger(self, text: str) -> str | None:
        return "danger_now" if "outside my house now" in text.lower() else None
