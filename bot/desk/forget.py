"""/forget: delete everything of the user, as one operation that completes or is retried until it does."""
from __future__ import annotations

import asyncio

from bot.desk.base import DeskBase, logger
from bot.replies import Button, Reply

#: Seconds one attempt to delete a conversation may take; the waits between retries.
FORGET_CONVERSATION_TIMEOUT = 2.0
FORGET_RETRY_DELAYS = (5.0, 15.0, 60.0, 300.0)


class ForgetScreen(DeskBase):
    def confirm_forget(self) -> list[Reply]:
        return [Reply(self._t("forget_confirm"), [
            Button(self._b("forget_yes"), "diary:forget_yes"),
            Button(self._b("forget_clear"), "diary:forget_clear"),
            Button(self._b("forget_no"), "diary:forget_no"),
        ])]

    async def forget(self, user_id: str) -> list[Reply]:
        """Delete everything of the user, as one operation that completes or is retried until it does.

        The store deletes every row of the user and leaves a pending-forget mark in
        one transaction (all or nothing); then the dialogue engine's conversation
        is deleted and the mark removed.  If that deletion fails, the reply says
        exactly what was deleted and what was not, and the mark makes it happen
        later: before the user's next message is answered (``retry_forget``), by
        a retry task with back-off, and at the next start-up.
        """
        self.unsaved.take(user_id)  # notes held for "Try saving again" go too
        self.pending.forget_set(user_id)  # before the row: a mark may only be wrong towards asking
        try:
            counts = await self._run(self.store.forget, user_id, True)
        except Exception as error:  # noqa: BLE001 - nothing was deleted: say so
            logger.error("forget failed in the store, nothing deleted: %s", type(error).__name__)
            return [Reply(f"{self._t('forget_failed')}\n\n{self.facts.help_line}")]
        deleted = {unit: self._counted(unit, counts.get(unit, 0))
                   for unit in ("notes", "attachments", "answers")}
        if await self._forget_conversation_now(user_id):
            return [Reply(self._t("forgotten", **deleted))]
        self._retry_forget_later(user_id)
        return [Reply(self._t("forget_conversation_pending", **deleted))]

    async def forget_and_clear(self, user_id: str) -> list[Reply]:
        """Delete everything, and clear this chat in the same turn (its message ids go with the rest).

        One neutral message is left: that it is done (or what could not be
        deleted), then the steps only the person can take.
        """
        [reply] = await self.forget(user_id)
        whole = reply.text.startswith(str(self.copy["forgotten"]).split("[[", 1)[0])
        done = self._t("forgotten_cleared") if whole else reply.text  # else: what was NOT deleted
        steps = self.clear_chat()[0]
        return [Reply(f"{done}\n\n{steps.text}", steps.buttons, clear_chat=True)]

    async def _forget_conversation_now(self, user_id: str) -> bool:
        """Delete the user's conversation, then the pending-forget mark; False when the first failed."""
        try:
            await asyncio.wait_for(self.forget_conversation(user_id), FORGET_CONVERSATION_TIMEOUT)
        except Exception as error:  # noqa: BLE001 - the mark stays: retried later
            logger.error("deleting a conversation failed (forget is pending): %s", type(error).__name__)
            return False
        try:
            await self._run(self.store.forget_done, user_id)
        except Exception as error:  # noqa: BLE001 - harmless: the retry deletes it once more
            logger.error("clearing a pending forget failed: %s", type(error).__name__)
            return True
        self.pending.forget_cleared(user_id)
        return True

    async def retry_forget(self, user_id: str) -> None:
        """Before a user's message is answered: finish their forget if it still waits."""
        if not await self.pending.may_forget(user_id):
            return  # known in memory: no store access for an ordinary message
        if await self._run(self.store.forget_pending, user_id):
            await self._forget_conversation_now(user_id)
        else:
            self.pending.forget_cleared(user_id)

    def _retry_forget_later(self, user_id: str) -> None:
        key = self.store.user_key(user_id)
        if key in self._forget_retries:
            return
        self._forget_retries.add(key)

        async def retry() -> None:
            try:
                for delay in (*FORGET_RETRY_DELAYS, *[FORGET_RETRY_DELAYS[-1]] * 10_000):
                    await asyncio.sleep(delay)
                    if not await self._run(self.store.forget_pending, user_id):
                        self.pending.forget_cleared(user_id)
                        return  # done meanwhile (the user's next message)
                    if await self._forget_conversation_now(user_id):
                        return
            except Exception as error:  # noqa: BLE001 - the mark stays for the next start-up
                logger.error("retrying a pending forget failed: %s", type(error).__name__)
            finally:
                self._forget_retries.discard(key)

        self.background.append(asyncio.get_running_loop().create_task(retry(), name="forget-retry"))

    async def finish_pending_forgets(self) -> int:
        """At start-up: finish every forget left pending; how many are still waiting afterwards."""
        waiting = 0
        for user_id in await self._run(self.store.pending_forgets):
            self.pending.forget_set(user_id)
            if not await self._forget_conversation_now(user_id):
                waiting += 1
                self._retry_forget_later(user_id)
        return waiting
