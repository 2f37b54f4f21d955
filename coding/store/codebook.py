"""The codebook's codes: synced from a codebook file, edited in place, merged or deleted (never dropped).

A retired code keeps its row so that old exports and the audit log still resolve: `merged_into` names the
code its codings moved to, or is DELETED for a code deleted with its codings kept (hidden from every count
and export by schema.live_codings, shown again when the code is restored).

Every function takes an open Session: writes join the caller's transaction, reads see its writes.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ..models import ACCEPTED, Code, Codebook, MatchRules
from .schema import DELETED, CodeRow, CodingRow

ROW_FIELDS = (
    "id",
    "name",
    "parent_id",
    "definition",
    "include",
    "exclude",
    "examples",
    "color",
    "rules",
    "position",
    "merged_into",
)


def sync_codes(session: Session, codebook: Codebook) -> dict[str, int]:
    """Add and update codes from a codebook. Codes it no longer has are kept: codings are never lost."""
    existing = {row.id: row for row in session.scalars(select(CodeRow))}
    added = updated = 0
    for position, code in enumerate(codebook.tree_order()):
        values = _code_values(code, position)
        row = existing.get(code.id)
        if row is None:
            session.add(CodeRow(**values))
            added += 1
        else:
            for key, value in values.items():
                if getattr(row, key) != value:
                    setattr(row, key, value)
                    updated += 1
    return {"added": added, "updated": updated}


def codes(session: Session) -> list[Code]:
    """The codes in use (merged and deleted ones are retired), in codebook order."""
    query = select(CodeRow).where(CodeRow.merged_into.is_(None)).order_by(CodeRow.position, CodeRow.id)
    return [_code_from_row(row) for row in session.scalars(query)]


def deleted_codes(session: Session) -> list[Code]:
    """Codes deleted with their codings kept, which restoring brings back."""
    query = select(CodeRow).where(CodeRow.merged_into == DELETED).order_by(CodeRow.position, CodeRow.id)
    return [_code_from_row(row) for row in session.scalars(query)]


def code_row(session: Session, code_id: str) -> dict[str, Any] | None:
    """Every column of a code's row (retired or not) as plain data: what the audit log keeps as `before`."""
    row = session.get(CodeRow, code_id)
    if row is None:
        return None
    return {name: _plain(getattr(row, name)) for name in ROW_FIELDS}


def add_code(session: Session, code: Code) -> None:
    """A new code at the end of the codebook; a retired row with its id is brought back with these fields."""
    position = (session.scalar(select(func.max(CodeRow.position))) or 0) + 1
    values = _code_values(code, position)
    row = session.get(CodeRow, code.id)
    if row is None:
        session.add(CodeRow(**values))
        return
    for key, value in values.items():
        setattr(row, key, value)
    row.merged_into = None


def update_code(session: Session, code_id: str, **values: Any) -> None:
    session.execute(update(CodeRow).where(CodeRow.id == code_id).values(**values))


def replace_code(session: Session, code: Code, position: int | None = None) -> None:
    """Set every field of an existing code (its position too, if given)."""
    values = _code_values(code, 0)
    del values["id"], values["position"]
    if position is not None:
        values["position"] = position
    update_code(session, code.id, **values)


def coding_ids(session: Session, code_id: str) -> list[int]:
    """Every coding of a code, of every coder and status."""
    return list(session.scalars(select(CodingRow.id).where(CodingRow.code_id == code_id).order_by(CodingRow.id)))


def delete_code(session: Session, code_id: str) -> list[int]:
    """Retire a code, keeping its codings (hidden while it is deleted); returns their ids."""
    hidden = coding_ids(session, code_id)
    update_code(session, code_id, merged_into=DELETED)
    return hidden


def move_codings(session: Session, source_code: str, target_code: str) -> int:
    """Re-point codings of one code at another; where the target is already there, keep that one."""
    moved, duplicates = move_codings_ids(session, source_code, target_code)
    return len(moved) + len(duplicates)


def move_codings_ids(session: Session, source_code: str, target_code: str) -> tuple[list[int], list[dict[str, Any]]]:
    """Re-point codings of one code at another, as move_codings: returns the ids moved and, in full, the rows
    dropped as duplicates (a coder's source coding on a segment where that coder has the target already),
    so that an undo can put them back."""
    rows = session.execute(
        select(CodingRow.id, CodingRow.segment_id, CodingRow.coder).where(CodingRow.code_id == source_code)
    ).all()
    taken = {
        (row.segment_id, row.coder): row
        for row in session.scalars(select(CodingRow).where(CodingRow.code_id == target_code))
    }
    moved = [row.id for row in rows if (row.segment_id, row.coder) not in taken]
    duplicates = [row.id for row in rows if (row.segment_id, row.coder) in taken]
    dropped_rows = list(session.scalars(select(CodingRow).where(CodingRow.id.in_(duplicates))))
    dropped = [_coding_dict(row) for row in dropped_rows]
    for row in dropped_rows:
        # The coder applied the source where they had rejected (or not yet decided) the target: after the
        # merge the code applies, as it did for them; the target row takes the source's decision.
        target = taken[(row.segment_id, row.coder)]
        if row.status == ACCEPTED and target.status != ACCEPTED:
            for column in ("source", "source_name", "confidence", "status", "decided_by", "updated_at"):
                setattr(target, column, getattr(row, column))
    session.flush()
    if moved:
        session.execute(update(CodingRow).where(CodingRow.id.in_(moved)).values(code_id=target_code))
    if duplicates:
        session.execute(delete(CodingRow).where(CodingRow.id.in_(duplicates)))
    return moved, dropped


def _coding_dict(row: CodingRow) -> dict[str, Any]:
    """A coding row as JSON-ready data (timestamps as ISO text)."""
    data = {column.key: getattr(row, column.key) for column in CodingRow.__table__.columns}
    return {key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in data.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _code_values(code: Code, position: int) -> dict[str, Any]:
    return {
        "id": code.id,
        "name": code.name,
        "parent_id": code.parent,
        "definition": code.definition,
        "include": code.include,
        "exclude": code.exclude,
        "examples": list(code.examples),
        "color": code.color,
        "rules": asdict(code.rules),
        "position": position,
    }


def _code_from_row(row: CodeRow) -> Code:
    rules = row.rules or {}
    return Code(
        id=row.id,
        name=row.name,
        parent=row.parent_id,
        definition=row.definition,
        include=row.include,
        exclude=row.exclude,
        examples=list(row.examples or []),
        color=row.color,
        rules=MatchRules(
            keywords=list(rules.get("keywords", [])),
            lemmas=list(rules.get("lemmas", [])),
            patterns=list(rules.get("patterns", [])),
        ),
    )
