"""indexes for counting at scale: the codings the tables count, a respondent's documents

Crosstabs, frequencies and co-occurrence are counted in the database (coding/store/aggregate.py): per
segment, its codes and the columns that choose which codings count (status, source, coder, decided_by,
source_name). With them all in one index on codings, SQLite and PostgreSQL read the index alone.
Which respondents count (coding/store/documents.py) looks up a respondent's documents: an index on
documents.respondent_pk.

Revision ID: 0007
Revises: 0004
Create Date: 2026-11-30 20:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = ["segment_id", "code_id", "status", "source", "coder", "decided_by", "source_name"]


def upgrade() -> None:
    op.create_index("ix_codings_counts", "codings", COLUMNS)
    op.create_index("ix_documents_respondent", "documents", ["respondent_pk"])


def downgrade() -> None:
    op.drop_index("ix_documents_respondent", table_name="documents")
    op.drop_index("ix_codings_counts", table_name="codings")
