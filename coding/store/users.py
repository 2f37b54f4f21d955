"""Dashboard accounts in the project's database. Every function takes an open Session (coding/auth.py decides
what may be stored: names, roles, hashes)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .schema import Account


def get_account(session: Session, name: str) -> Account | None:
    return session.get(Account, name)


def accounts(session: Session) -> list[tuple[str, str]]:
    """(name, role) of every account, by name."""
    rows = session.execute(select(Account.name, Account.role).order_by(Account.name))
    return [(name, role) for name, role in rows]


def count_accounts(session: Session, role: str | None = None) -> int:
    query = select(func.count()).select_from(Account)
    if role is not None:
        query = query.where(Account.role == role)
    return int(session.scalar(query) or 0)


def add_account(session: Session, name: str, role: str, password_hash: str) -> None:
    session.add(Account(name=name, role=role, password_hash=password_hash))


def set_password_hash(session: Session, name: str, password_hash: str) -> None:
    row = session.get(Account, name)
    if row is not None:
        row.password_hash = password_hash


def remove_account(session: Session, name: str) -> bool:
    row = session.get(Account, name)
    if row is None:
        return False
    session.delete(row)
    return True
