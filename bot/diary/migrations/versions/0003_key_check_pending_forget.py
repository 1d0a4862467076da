"""The key check (``diary_meta``) and forgets waiting for their conversation (``pending_forgets``).

``diary_meta`` row ``key_check``: a Fernet token, under the diary key, of a known text
and the pseudonym secret of the user keys.  A start-up with a key that cannot open
it is refused (the log stays switched off) instead of starting an empty log.

``pending_forgets``: "forget me" deleted the user's data, but the conversation in
the dialogue engine could not be deleted yet; retried until it is.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "diary_meta",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value_enc", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_diary_meta")),
    )
    op.create_table(
        "pending_forgets",
        sa.Column("user_key", sa.String(length=64), nullable=False),
        sa.Column("user_id_enc", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_key", name=op.f("pk_pending_forgets")),
    )


def downgrade() -> None:
    op.drop_table("pending_forgets")
    op.drop_table("diary_meta")
