"""The message trail: ids and times of a private chat's messages, for "Clear this chat".

No content and no chat id: ``user_key`` (the diary's pseudonym), the Telegram
message id and when it was sent.  Rows live 48 hours (Telegram's limit for a bot
deleting a message) and go with ``forget``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "message_trail",
        sa.Column("user_key", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_key", "message_id", name=op.f("pk_message_trail")),
    )
    op.create_index(op.f("ix_message_trail_sent_at"), "message_trail", ["sent_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_message_trail_sent_at"), table_name="message_trail")
    op.drop_table("message_trail")
