"""How exact a note's time is (``notes.time_precision``).

NULL or "exact": the time was given ("at 11pm"); "about": approximate ("about 11");
"morning"/"afternoon"/"evening"/"night": a part of the day without a clock time;
"date": the time was not given (the note is sorted by midnight but never shown as
00:00).  Older notes keep NULL (exact), as they were shown before.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notes") as batch:
        batch.add_column(sa.Column("time_precision", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notes") as batch:
        batch.drop_column("time_precision")
