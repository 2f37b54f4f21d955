"""Engines, migrations and transactions. Every command runs in one transaction: all or nothing.

Opening a database never changes it silently: a new one gets the schema; an older SQLite file is copied
beside itself (qcode.sqlite.bak-<revision>) before it is migrated; any other database (PostgreSQL) is
migrated only by `qcode upgrade` (migrate()), which whoever runs the server does after a backup.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import ResolutionError
from alembic.util import CommandError
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import ProjectError

MIGRATIONS = Path(__file__).with_name("migrations")
# A table every qcode database has had since the first migration: without it a database is new.
FIRST_TABLE = "change_log"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("")).get_current_head()
    assert head is not None, "no migrations found"
    return head


@lru_cache(maxsize=16)
def engine_for(url: str) -> Engine:
    """One engine per database URL per process (the app caches it across reruns too)."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def revision(engine: Engine) -> str | None:
    """The database's schema revision; None for a database qcode has not set up yet."""
    with _opening(engine), engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def open_database(engine: Engine) -> None:
    """Make sure the schema is this qcode's, the safe way (see the module's docstring)."""
    current = revision(engine)
    head = head_revision()
    if current == head:
        return
    if current is None and not _has_tables(engine):
        _upgrade(engine)  # a new database: nothing to lose
        return
    _known(engine, current)
    if engine.dialect.name != "sqlite":
        raise ProjectError(
            f"the database {engine.url} has schema revision {current or 'none'} and this qcode needs {head}: "
            "back it up, then run 'qcode upgrade' (with the same --project or --db) to migrate it"
        )
    migrate(engine)


def migrate(engine: Engine) -> Path | None:
    """Bring the schema to the newest revision; an SQLite file is copied first. Returns that copy, if any."""
    current = revision(engine)
    if current == head_revision():
        return None
    _known(engine, current)
    copy = backup_sqlite(engine, current) if current is not None else None
    _upgrade(engine)
    return copy


def backup_sqlite(engine: Engine, current: str) -> Path | None:
    """A consistent copy of an SQLite database file beside it, named after its revision (never overwritten)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    source = Path(database)
    target = source.with_name(f"{source.name}.bak-{current}")
    number = 1
    while target.exists():
        number += 1
        target = source.with_name(f"{source.name}.bak-{current}.{number}")
    # SQLite's backup API copies a consistent state, including what is still in the WAL file.
    live, copy = sqlite3.connect(source), sqlite3.connect(target)
    try:
        live.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, not a WAL set of three
    finally:
        copy.close()
        live.close()
    return target


def _upgrade(engine: Engine) -> None:
    config = alembic_config(str(engine.url))
    with _opening(engine), engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _known(engine: Engine, current: str | None) -> None:
    if current is None:
        return
    try:
        known = ScriptDirectory.from_config(alembic_config("")).get_revision(current) is not None
    except (ResolutionError, CommandError):
        known = False
    if not known:
        raise ProjectError(f"the database {engine.url} has schema revision {current}, newer than this qcode knows")


def _has_tables(engine: Engine) -> bool:
    with _opening(engine):
        return inspect(engine).has_table(FIRST_TABLE)


@contextmanager
def _opening(engine: Engine) -> Iterator[None]:
    try:
        yield
    except OperationalError as exc:
        raise ProjectError(f"cannot open database {engine.url!r}: {exc.orig}") from None


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session whose work is committed together, or rolled back entirely on any error."""
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as session, session.begin():
        yield session
