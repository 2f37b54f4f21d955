"""one writer per step, nothing stored twice, removable documents

Before: two concurrent ingest or segment runs could store a document or its segments twice, two tabs of one
coder could store two memos on one segment, and a document could not be taken out of a project. After:
- step_locks: the lock row a run of segment, ingest, autocode or train holds (coding/store/locks.py);
- documents.removed_at: a removed document keeps everything on it, out of every count, until restored;
- unique: one current document per name, each (document, unit, position) segment once, one memo per coder
  and segment.

Damage the old races left is repaired first, keeping every person's work:
- current documents of one name with the same text are one document: segments stored on the extra copies
  move to the one kept (the copy with most segments), the copies become its previous versions; with
  different texts, the newest stays current and the others become previous versions (with their codings);
- a segment stored twice is kept once (the lowest id); codings and memos on the copies move to it, and where
  the same coder has the same code (or a memo) on both, the most recently changed one is kept.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 19:00:00
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

CURRENT = "replaced_by IS NULL AND removed_at IS NULL"

documents = sa.table(
    "documents",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("sha256", sa.String),
    sa.column("replaced_by", sa.Integer),
)
turns = sa.table("turns", sa.column("id", sa.Integer), sa.column("document_id", sa.Integer), sa.column("index"))
segments = sa.table(
    "segments",
    sa.column("id", sa.Integer),
    sa.column("document_id", sa.Integer),
    sa.column("turn_id", sa.Integer),
    sa.column("unit", sa.String),
    sa.column("index", sa.Integer),
)
codings = sa.table(
    "codings",
    sa.column("id", sa.Integer),
    sa.column("segment_id", sa.Integer),
    sa.column("code_id", sa.String),
    sa.column("coder", sa.String),
    sa.column("updated_at", sa.DateTime),
)
memos = sa.table(
    "memos",
    sa.column("id", sa.Integer),
    sa.column("segment_id", sa.Integer),
    sa.column("coder", sa.String),
    sa.column("updated_at", sa.DateTime),
)


def upgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("removed_at", sa.DateTime(), nullable=True))
    op.create_table(
        "step_locks",
        sa.Column("step", sa.String(length=50), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("step"),
    )
    bind = op.get_bind()
    merge_current_documents(bind)
    merge_duplicate_segments(bind)
    merge_duplicate_memos(bind)
    # Unique indexes, not table constraints: SQLite adds them without rebuilding tables others refer to.
    op.create_index(
        "uq_documents_current_name",
        "documents",
        ["name"],
        unique=True,
        sqlite_where=sa.text(CURRENT),
        postgresql_where=sa.text(CURRENT),
    )
    op.create_index("uq_segment_position", "segments", ["document_id", "unit", "index"], unique=True)
    op.create_index("uq_memo", "memos", ["segment_id", "coder"], unique=True)


def merge_current_documents(bind: sa.Connection) -> None:
    rows = bind.execute(
        sa.select(documents.c.id, documents.c.name, documents.c.sha256)
        .where(documents.c.replaced_by.is_(None))
        .order_by(documents.c.id)
    ).all()
    by_name: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_name[row.name].append(row)
    for group in by_name.values():
        if len(group) < 2:
            continue
        counts: dict[int, int] = dict(
            bind.execute(
                sa.select(segments.c.document_id, sa.func.count(segments.c.id))
                .where(segments.c.document_id.in_([r.id for r in group]))
                .group_by(segments.c.document_id)
            ).all()
        )
        newest = group[-1]
        same_text = [r for r in group if r.sha256 == newest.sha256]
        kept = max(same_text, key=lambda r: (counts.get(r.id, 0), -r.id))
        for row in group:
            if row.id == kept.id:
                continue
            if row.sha256 == kept.sha256:
                move_segments(bind, row.id, kept.id)
            bind.execute(sa.update(documents).where(documents.c.id == row.id).values(replaced_by=kept.id))


def move_segments(bind: sa.Connection, source: int, target: int) -> None:
    """Segments of one copy of a text onto another copy (same text: same turns, matched by position)."""
    target_turns = dict(bind.execute(sa.select(turns.c.index, turns.c.id).where(turns.c.document_id == target)).all())
    source_turns = dict(bind.execute(sa.select(turns.c.id, turns.c.index).where(turns.c.document_id == source)).all())
    for segment_id, turn_id in bind.execute(
        sa.select(segments.c.id, segments.c.turn_id).where(segments.c.document_id == source)
    ).all():
        new_turn = target_turns.get(source_turns.get(turn_id))
        if new_turn is None:
            continue  # no such turn in the copy kept: the segment stays on the previous version
        bind.execute(
            sa.update(segments).where(segments.c.id == segment_id).values(document_id=target, turn_id=new_turn)
        )


def merge_duplicate_segments(bind: sa.Connection) -> None:
    key = (segments.c.document_id, segments.c.unit, segments.c.index)
    twice = (
        sa.select(*key, sa.func.min(segments.c.id).label("kept"))
        .group_by(*key)
        .having(sa.func.count(segments.c.id) > 1)
        .subquery()
    )
    pairs = bind.execute(
        sa.select(segments.c.id, twice.c.kept).join(
            twice,
            sa.and_(
                segments.c.document_id == twice.c.document_id,
                segments.c.unit == twice.c.unit,
                segments.c.index == twice.c.index,
            ),
        )
    ).all()
    copies = {row.id: row.kept for row in pairs if row.id != row.kept}
    if not copies:
        return
    _move_rows(bind, codings, copies, ("code_id", "coder"))
    _move_rows(bind, memos, copies, ("coder",))
    ids = list(copies)
    for start in range(0, len(ids), 500):
        bind.execute(sa.delete(segments).where(segments.c.id.in_(ids[start : start + 500])))


def _move_rows(bind: sa.Connection, table: sa.TableClause, copies: dict[int, int], key: tuple[str, ...]) -> None:
    """Rows on copied segments onto the segment kept; where one with the same key is there, the newer stays."""
    segments_involved = sorted(set(copies) | set(copies.values()))
    columns = [table.c.id, table.c.segment_id, table.c.updated_at, *(table.c[name] for name in key)]
    rows: list[Any] = []
    for start in range(0, len(segments_involved), 500):
        chunk = segments_involved[start : start + 500]
        rows += bind.execute(sa.select(*columns).where(table.c.segment_id.in_(chunk))).all()
    winners: dict[tuple[Any, ...], Any] = {}
    for row in sorted(rows, key=lambda r: (r.updated_at is not None, r.updated_at, r.id)):
        target = copies.get(row.segment_id, row.segment_id)
        winners[(target, *(getattr(row, name) for name in key))] = row  # later (newer) rows win
    keep = {row.id for row in winners.values()}
    gone = [row.id for row in rows if row.id not in keep]
    for start in range(0, len(gone), 500):
        bind.execute(sa.delete(table).where(table.c.id.in_(gone[start : start + 500])))
    for (target, *_), row in winners.items():
        if row.segment_id != target:
            bind.execute(sa.update(table).where(table.c.id == row.id).values(segment_id=target))


def merge_duplicate_memos(bind: sa.Connection) -> None:
    """Two memos by one coder on one segment (two tabs saving at once): the most recently changed stays."""
    rows = bind.execute(
        sa.select(memos.c.id, memos.c.segment_id, memos.c.coder, memos.c.updated_at).where(
            memos.c.segment_id.is_not(None)
        )
    ).all()
    newest: dict[tuple[int, str], Any] = {}
    for row in sorted(rows, key=lambda r: (r.updated_at is not None, r.updated_at, r.id)):
        newest[(row.segment_id, row.coder)] = row
    keep = {row.id for row in newest.values()}
    gone = [row.id for row in rows if row.id not in keep]
    for start in range(0, len(gone), 500):
        bind.execute(sa.delete(memos).where(memos.c.id.in_(gone[start : start + 500])))


def downgrade() -> None:
    op.drop_index("uq_memo", table_name="memos")
    op.drop_index("uq_segment_position", table_name="segments")
    op.drop_index("uq_documents_current_name", table_name="documents")
    op.drop_table("step_locks")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("removed_at")
