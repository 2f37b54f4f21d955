"""the audit log names what it changed in typed columns

Before: a log entry named its target only as text ("segment 12", "coding 40", a code id), and readers had
to parse it back. After: segment_id, coding_id and code_id columns hold it (nullable: an import or a
segmentation names no single one). Older entries are filled from their text targets, with the segment and
code of a decided suggestion looked up from the coding while it exists, so existing logs keep working.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 18:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The text targets older versions wrote (the actions are the values of coding.store.log.Action then).
SEGMENT_TARGETS = {"apply_code", "remove_code", "memo", "consensus"}
CODING_TARGETS = {"accept", "reject"}
CODE_TARGETS = {"add_code", "rename_code", "move_code", "merge_codes"}

log = sa.table(
    "change_log",
    sa.column("id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("target", sa.Text),
    sa.column("details", sa.JSON),
    sa.column("segment_id", sa.Integer),
    sa.column("coding_id", sa.Integer),
    sa.column("code_id", sa.String),
)
codings = sa.table("codings", sa.column("id", sa.Integer), sa.column("segment_id", sa.Integer), sa.column("code_id"))


def upgrade() -> None:
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("segment_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("coding_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("code_id", sa.String(length=200), nullable=True))
    bind = op.get_bind()
    coded = {row.id: (row.segment_id, row.code_id) for row in bind.execute(sa.select(codings))}
    filled = []
    for row in bind.execute(sa.select(log.c.id, log.c.action, log.c.target, log.c.details)):
        values = typed_target(row.action, row.target or "", row.details or {}, coded)
        if any(value is not None for value in values.values()):
            filled.append({"entry": row.id, **values})
    if filled:
        bind.execute(
            sa.update(log)
            .where(log.c.id == sa.bindparam("entry"))
            .values(
                segment_id=sa.bindparam("segment_id"),
                coding_id=sa.bindparam("coding_id"),
                code_id=sa.bindparam("code_id"),
            ),
            filled,
        )


def typed_target(
    action: str, target: str, details: dict[str, Any], coded: dict[int, tuple[int, str]]
) -> dict[str, Any]:
    """segment_id, coding_id and code_id of an older entry, from its text target (None where it names none)."""
    kind, _, number = target.partition(" ")
    segment_id = coding_id = code_id = None
    if action in SEGMENT_TARGETS and kind == "segment" and number.isdigit():
        segment_id = int(number)
        code = details.get("code") if isinstance(details, dict) else None
        code_id = str(code) if code else None
    elif action in CODING_TARGETS and kind == "coding" and number.isdigit():
        coding_id = int(number)
        segment_id, code_id = coded.get(coding_id, (None, None))
    elif action in CODE_TARGETS and target:
        code_id = target
    return {"segment_id": segment_id, "coding_id": coding_id, "code_id": code_id}


def downgrade() -> None:
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.drop_column("code_id")
        batch_op.drop_column("coding_id")
        batch_op.drop_column("segment_id")
