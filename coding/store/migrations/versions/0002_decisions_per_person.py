"""each person's decision on a suggestion is a row of its own

Before: accepting or rejecting a rule or model suggestion changed the suggestion's own row, so the first
person's decision hid the suggestion from every other coder (blind coding was not blind to it) and a
second decision would have replaced the first. After: the suggestion stays pending and each person's
decision is their own coding row (coder = the person, source and source_name = the suggester's).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 04:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# A suggestion row: the suggester is its coder. A person's own row for the same code and segment wins.
DECIDED = "c.source <> 'human' AND c.coder = c.source_name AND c.status <> 'suggested'"


def upgrade() -> None:
    # One row per person, code and segment (a unique key): where a person decided both the rules' and the
    # model's suggestion of a code on a segment, their latest decision is the one they stand by.
    op.execute(
        "INSERT INTO codings (segment_id, code_id, coder, source, source_name, confidence, status, decided_by, "
        "created_at, updated_at) "
        "SELECT segment_id, code_id, decided_by, source, source_name, confidence, status, decided_by, "
        "created_at, updated_at FROM ("
        "SELECT c.*, ROW_NUMBER() OVER (PARTITION BY c.segment_id, c.code_id, c.decided_by "
        "ORDER BY c.updated_at DESC, c.id DESC) AS latest FROM codings c "
        f"WHERE {DECIDED} AND c.decided_by IS NOT NULL AND NOT EXISTS ("
        "SELECT 1 FROM codings d WHERE d.segment_id = c.segment_id AND d.code_id = c.code_id "
        "AND d.coder = c.decided_by)"
        ") ranked WHERE latest = 1"
    )
    op.execute(
        "UPDATE codings SET status = 'suggested', decided_by = NULL "
        "WHERE source <> 'human' AND coder = source_name AND status <> 'suggested'"
    )


def downgrade() -> None:
    raise NotImplementedError("decisions made per person cannot be folded back into one shared row")
