"""segments: the index on (document_id, unit) dropped, the unique one on (document_id, unit, index) serving

Every query that looked segments up by document and unit is served as well by uq_segment_position, whose
first columns they are. The second index only cost time on every stored segment: a quarter of PostgreSQL's
COPY of 872,235 segments at 10,000 transcripts (20.4 s with it, 15.5 s without, bench/README.md).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 08:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_segments_document_unit", table_name="segments")


def downgrade() -> None:
    op.create_index("ix_segments_document_unit", "segments", ["document_id", "unit"])
