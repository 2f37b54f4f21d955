"""span codings: a person's code on any character range of a document

Adds the spans table (document, start, end, code, coder, created_at). The codings rows stay the unit-level
projection every analysis reads; a span puts its code on each coding unit it touches. Every existing
coding that is a person's own (their code, or a suggestion they accepted) gets a span equal to its unit's
bounds, so no coding is without the span that explains it and none is lost. A coder's code on one range
is stored once (unique key uq_span).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 20:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

codings = sa.table(
    "codings",
    sa.column("segment_id", sa.Integer),
    sa.column("code_id", sa.String),
    sa.column("coder", sa.String),
    sa.column("source", sa.String),
    sa.column("status", sa.String),
    sa.column("decided_by", sa.String),
    sa.column("created_at", sa.DateTime),
)
segments = sa.table(
    "segments",
    sa.column("id", sa.Integer),
    sa.column("document_id", sa.Integer),
    sa.column("start", sa.Integer),
    sa.column("end", sa.Integer),
)


def upgrade() -> None:
    spans = op.create_table(
        "spans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("code_id", sa.String(length=200), nullable=False),
        sa.Column("coder", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["code_id"], ["codes.id"]),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("uq_span", "spans", ["document_id", "code_id", "coder", "start", "end"], unique=True)
    # A person's own accepted coding (their code, or their acceptance of a suggestion): one span per row.
    # A person's own accepted coding (their code, or their acceptance of a suggestion) is a span of its
    # unit's bounds; units of two kinds with the same bounds (a one-sentence turn) give one span.
    key = [segments.c.document_id, segments.c.start, segments.c.end, codings.c.code_id, codings.c.coder]
    joined = codings.join(segments, segments.c.id == codings.c.segment_id)
    own = (
        sa.select(*key, sa.func.min(codings.c.created_at))
        .select_from(joined)
        .where(
            codings.c.status == "accepted",
            sa.or_(codings.c.source == "human", codings.c.decided_by == codings.c.coder),
        )
        .group_by(*key)
    )
    op.execute(sa.insert(spans).from_select(["document_id", "start", "end", "code_id", "coder", "created_at"], own))


def downgrade() -> None:
    op.drop_index("uq_span", table_name="spans")
    op.drop_table("spans")
