"""Project-level facts the database carries with it (codebook name and version, model metadata).

Every function takes an open Session.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from .schema import Setting


def get_setting(session: Session, key: str, default: str | None = None) -> str | None:
    row = session.get(Setting, key)
    return row.value if row else default


def set_setting(session: Session, key: str, value: str) -> None:
    row = session.get(Setting, key)
    if row:
        row.value = value
    else:
        session.add(Setting(key=key, value=value))
