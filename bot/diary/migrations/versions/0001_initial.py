"""The diary's first tables: notes, attachments, answers.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_key", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=True),
        sa.Column("place_enc", sa.LargeBinary(), nullable=True),
        sa.Column("what_happened_enc", sa.LargeBinary(), nullable=True),
        sa.Column("how_detail_enc", sa.LargeBinary(), nullable=True),
        sa.Column("appearance_enc", sa.LargeBinary(), nullable=True),
        sa.Column("witnesses_enc", sa.LargeBinary(), nullable=True),
        sa.Column("feelings_enc", sa.LargeBinary(), nullable=True),
        sa.Column("evidence_enc", sa.LargeBinary(), nullable=True),
        sa.Column("police_ref_enc", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
    )
    op.create_index(op.f("ix_notes_user_key"), "notes", ["user_key"], unique=False)
    op.create_index("ix_notes_user_key_occurred_at", "notes", ["user_key", "occurred_at"], unique=False)

    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("user_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("telegram_file_id_enc", sa.LargeBinary(), nullable=True),
        sa.Column("filename_enc", sa.LargeBinary(), nullable=True),
        sa.Column("mime_type", sa.String(length=255), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_enc", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["note_id"], ["notes.id"], name=op.f("fk_attachments_note_id_notes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    op.create_index(op.f("ix_attachments_note_id"), "attachments", ["note_id"], unique=False)
    op.create_index(op.f("ix_attachments_user_key"), "attachments", ["user_key"], unique=False)

    op.create_table(
        "answers",
        sa.Column("user_key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value_enc", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_key", "name", name=op.f("pk_answers")),
    )


def downgrade() -> None:
    op.drop_table("answers")
    op.drop_index(op.f("ix_attachments_user_key"), table_name="attachments")
    op.drop_index(op.f("ix_attachments_note_id"), table_name="attachments")
    op.drop_table("attachments")
    op.drop_index("ix_notes_user_key_occurred_at", table_name="notes")
    op.drop_index(op.f("ix_notes_user_key"), table_name="notes")
    op.drop_table("notes")
