"""A note's free-text fields become rows of ``note_texts`` (one per field that has a value).

The fields are described once, in ``data/note.yml``; a field added there needs no new
column, so no migration.  The encrypted values are moved as they are (Fernet tokens
carry no column name), so this needs no key: the database is never decrypted here.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The text columns notes had up to revision 0005 (fixed here: the schema may grow).
TEXT_COLUMNS = ("place", "what_happened", "how_detail", "appearance", "witnesses", "feelings",
                "evidence", "police_ref")


def upgrade() -> None:
    op.create_table(
        "note_texts",
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value_enc", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["note_id"], ["notes.id"], name=op.f("fk_note_texts_note_id_notes"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("note_id", "name", name=op.f("pk_note_texts")),
    )
    for name in TEXT_COLUMNS:
        op.execute(sa.text(
            f"INSERT INTO note_texts (note_id, name, value_enc) "  # noqa: S608 - fixed column names
            f"SELECT id, '{name}', {name}_enc FROM notes WHERE {name}_enc IS NOT NULL"))
    # Not batch mode: on SQLite, batch mode copies the table and drops the old one, and with
    # foreign keys on, dropping it would delete every note's attachments and texts (cascade).
    # SQLite drops a plain column in place since 3.35.
    bind = op.get_bind()
    if bind.dialect.name == "sqlite" and bind.dialect.dbapi.sqlite_version_info < (3, 35):
        raise RuntimeError("the diary needs SQLite 3.35 or newer (ALTER TABLE ... DROP COLUMN)")
    for name in TEXT_COLUMNS:
        op.drop_column("notes", f"{name}_enc")


def downgrade() -> None:
    for name in TEXT_COLUMNS:
        op.add_column("notes", sa.Column(f"{name}_enc", sa.LargeBinary(), nullable=True))
    for name in TEXT_COLUMNS:
        op.execute(sa.text(
            f"UPDATE notes SET {name}_enc = (SELECT value_enc FROM note_texts "  # noqa: S608
            f"WHERE note_texts.note_id = notes.id AND note_texts.name = '{name}')"))
    op.drop_table("note_texts")
