"""The personal safety plan (steps, ticks, the PDF) and where the person is (asked once)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.desk.base import PLAN_DONE, WHERE, DeskBase
from bot.plan_pdf import render_plan_pdf
from bot.replies import Button, Document, Reply
from guidance.advice import elsewhere_note, place_of, route, where_question
from guidance.risk import PlanStep, is_plan_step, plan_text, risk_copy, safety_plan, tick_label
from guidance.when import local_zone


class PlanScreen(DeskBase):
    # -- where the person is: asked once (reporting, the law, the plan) -------------------
    def _rendered(self, message: dict[str, Any]) -> Reply:
        buttons = []
        for raw in message.get("buttons") or []:
            title, payload = self.facts.render(str(raw["title"])), self.facts.render(str(raw["payload"]))
            link = payload.startswith(("http://", "https://"))
            buttons.append(Button(title, url=payload) if link else Button(title, payload))
        return Reply(self.facts.render(str(message.get("text", ""))), buttons)

    async def where_route(self, user_id: str, topic: str) -> list[Reply]:
        """The route of the place the person told us before, or the question, once."""
        place = place_of(await self._run(self.store.get_answer, user_id, WHERE))
        if topic == "plan":  # the plan never waits: it comes with the question, asked once
            plan = await self.plan(user_id)
            return plan if place else plan + [self._rendered(where_question(topic))]
        if place is None:
            return [self._rendered(where_question(topic))]
        return [self._rendered(route(place, topic))]

    async def elsewhere(self, user_id: str, topic: str) -> list[Reply]:
        """Before an answer about England and Wales: that it is not the law where the person told
        us they are (Scotland, Northern Ireland), when the conversation no longer knows it (after
        /start); nothing otherwise (guidance.advice.elsewhere_note)."""
        note = elsewhere_note(topic, await self._run(self.store.get_answer, user_id, WHERE))
        return [self._rendered(note)] if note else []

    # -- the personal safety plan (its words: guidance.risk) ---------------------------------
    async def _safety_plan(self, user_id: str) -> tuple[list[PlanStep], bool]:
        """The user's plan from their answers and log; whether both checks are done."""
        four = await self._run(self.store.get_answer, user_id, "four")
        risk = await self._run(self.store.get_answer, user_id, "risk")
        done = await self._run(self.store.get_answer, user_id, PLAN_DONE) or []
        place = place_of(await self._run(self.store.get_answer, user_id, WHERE))
        _, log_count = await self._run(self.store.list_notes, user_id, 0, 1)
        return safety_plan(four, risk, done, log_count, place), bool(four and risk)

    async def plan(self, user_id: str) -> list[Reply]:
        steps, both_checks_done = await self._safety_plan(user_id)
        buttons = [Button(self.facts.render(tick_label(step)), f"diary:plan_done:{step.key}")
                   for step in steps]
        buttons.append(Button(self.facts.render(risk_copy()["plan"]["pdf_button"]), "diary:plan_pdf"))
        return [Reply(self.facts.render(plan_text(steps, both_checks_done)), buttons)]

    async def toggle_plan_step(self, user_id: str, key: str) -> list[Reply]:
        if not is_plan_step(key):
            return [Reply(self._t("not_found"))]
        done = list(await self._run(self.store.get_answer, user_id, PLAN_DONE) or [])
        if key in done:
            done.remove(key)
        else:
            done.append(key)
        await self._run(self.store.set_answer, user_id, PLAN_DONE, done)
        return await self.plan(user_id)

    def confirm_plan_pdf(self) -> list[Reply]:
        """Say what "Send as PDF" puts on the phone before doing it (diary:plan_pdf_yes does it)."""
        return [Reply(self._t("plan_pdf_confirm"), [
            Button(self._b("plan_pdf_yes"), "diary:plan_pdf_yes"),
            Button(self._b("plan_pdf_no"), "diary:plan_pdf_no"),
        ])]

    async def plan_pdf(self, user_id: str) -> list[Reply]:
        steps, _ = await self._safety_plan(user_id)
        plan = risk_copy()["plan"]
        items = [(self.facts.render(step.title), self.facts.render(step.text), step.done) for step in steps]
        content = await self._run(render_plan_pdf, self.facts.render(plan["pdf_title"]), items,
                                  self.facts.help_line)
        # A neutral name: a file list or a preview must not give the person away.
        document = Document(content, f"plan-{datetime.now(local_zone()):%Y-%m-%d}.pdf")
        return [Reply(self.facts.render(plan["pdf_caption"]), document=document)]
