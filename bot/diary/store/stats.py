"""Statistics: how often things happened over the last 7, 14 and 30 days (``Pattern``)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import case, func, select

from bot.diary.kinds import kind_keys, kind_or_fallback
from bot.diary.models import NoteRow
from bot.diary.store.base import StoreBase
from bot.diary.store.checks import check_datetime
from bot.diary.store.records import Pattern


class PatternMixin(StoreBase):
    """The statistics part of ``DiaryStore``."""

    def pattern(self, user_id: str | int, now: datetime) -> Pattern:
        now = check_datetime("now", now)
        user_key = self._uk(user_id)
        mine = NoteRow.user_key == user_key

        def window(days: int) -> Any:  # a note whose date is not known is in no window
            dated = NoteRow.time_precision.is_(None) | (NoteRow.time_precision != "unknown")
            return (NoteRow.occurred_at > now - timedelta(days=days)) & (NoteRow.occurred_at <= now) & dated

        count = func.count(NoteRow.id)

        def inside(days: int) -> Any:  # 1 for a note in the window, summed
            return func.sum(case((window(days), 1), else_=0))

        with self._sessions() as session:
            # one pass for the counts (and the newest note of the last 14 days), not five queries
            total, last_7, last_14, last_30, newest = session.execute(
                select(count, inside(7), inside(14), inside(30),
                       func.max(case((window(14), NoteRow.occurred_at), else_=None))).where(mine)
            ).one()
            by_kind: dict[str, int] = {}
            for kind, n in session.execute(
                select(NoteRow.kind, count).where(mine, window(30)).group_by(NoteRow.kind)
            ):
                key = kind_or_fallback(kind)
                by_kind[key] = by_kind.get(key, 0) + int(n)
            ordinal = None
            if newest is not None:
                newest = (
                    newest if newest.tzinfo else newest.replace(tzinfo=timezone.utc)
                )  # max() skips the type
                ordinal = session.scalar(
                    select(count).where(
                        mine,
                        NoteRow.occurred_at > newest - timedelta(days=14),
                        NoteRow.occurred_at <= newest,
                    )
                )
        ordered = {
            k: by_kind[k] for k in (*kind_keys(), *sorted(set(by_kind) - set(kind_keys()))) if k in by_kind
        }
        return Pattern(
            now=now,
            total=int(total or 0),
            last_7_days=int(last_7 or 0),
            last_14_days=int(last_14 or 0),
            last_30_days=int(last_30 or 0),
            by_kind_30_days=ordered,
            newest_ordinal_14_days=None if ordinal is None else int(ordinal),
        )
