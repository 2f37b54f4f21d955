"""The codebook's codes: synced from a codebook file, edited in place, merged (never deleted).

Every function takes an open Session: writes join the caller's transaction, reads see its writes.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ..models import Code, Codebook, MatchRules
from .schema import CodeRow, CodingRow


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
    """The codes in use (merged ones are retired), in codebook order."""
    query = select(CodeRow).where(CodeRow.merged_into.is_(None)).order_by(CodeRow.position, CodeRow.id)
    return [_code_from_row(row) for row in session.scalars(query)]


def add_code(session: Session, code: Code) -> None:
    position = (session.scalar(select(func.max(CodeRow.position))) or 0) + 1
    session.add(CodeRow(**_code_values(code, position)))


def update_code(session: Session, code_id: str, **values: Any) -> None:
    session.execute(update(CodeRow).where(CodeRow.id == code_id).values(**values))


def move_codings(session: Session, source_code: str, target_code: str) -> int:
    """Re-point codings of one code at another; where the target is already there, keep that one."""
    rows = session.execute(
        select(CodingRow.id, CodingRow.segment_id, CodingRow.coder).where(CodingRow.code_id == source_code)
    ).all()
    taken = set(session.execute(select(CodingRow.segment_id, CodingRow.coder).where(CodingRow.code_id == target_code)))
    moved = [row.id for row in rows if (row.segment_id, row.coder) not in taken]
    duplicates = [row.id for row in rows if (row.segment_id, row.coder) in taken]
    if moved:
        session.execute(update(CodingRow).where(CodingRow.id.in_(moved)).values(code_id=target_code))
    if duplicates:
        session.execute(delete(CodingRow).where(CodingRow.id.in_(duplicates)))
    return len(moved) + len(duplicates)


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
