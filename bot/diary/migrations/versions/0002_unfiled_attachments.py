"""Attachments are kept from the moment they arrive: ``note_id`` may be empty ("unfiled").

Before this, a file waited for the person to choose its note inside a JSON answer
capped at 64 KB, so every file over about 48 KB was refused.  Now it is its own
encrypted row at once, filed to a note (its ``note_id`` set) when the person chooses.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("attachments") as batch:
        batch.alter_column("note_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    # Unfiled files have no note to go back to: they are dropped.
    op.execute(sa.text("DELETE FROM attachments WHERE note_id IS NULL"))
    with op.batch_alter_table("attachments") as batch:
        batch.alter_column("note_id", existing_type=sa.Integer(), nullable=False)
