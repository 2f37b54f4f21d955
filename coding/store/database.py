"""Engines, migrations and transactions. Every command runs in one transaction: all or nothing.

Opening a database never changes it silently: a new, empty one gets the schema at once (create_schema: the
tables of schema.py and Alembic's version row, no migration run); an older SQLite file is copied
beside itself (qcode.sqlite.bak-<revision>) before it is migrated; any other database (PostgreSQL) is
migrated only by `qcode upgrade` (migrate()), which whoever runs the server does after a backup.

Alembic is imported only when a database is not at the newest revision: a command opening an up-to-date
database compares its `alembic_version` row with the newest migration script, read as text (newest_script).
"""

from __future__ import annotations

import ast
import random
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    create_engine,
    event,
    insert,
    inspect,
    text,
)
from sqlalchemy.exc import DatabaseError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import BusyError, ProjectError

if TYPE_CHECKING:  # Alembic loads only when a schema is checked in full or migrated
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
# A table every qcode database has had since the first migration: without it a database is new.
FIRST_TABLE = "change_log"
# How long SQLite waits for another writer's lock before a statement fails (its own busy handler backs off).
SQLITE_BUSY_SECONDS = 10.0
# How long a small edit is retried, with growing pauses, while the database stays locked or two writers
# collide on one row (two tabs of one coder), before the person is told in one line.
RETRY_SECONDS = 30.0
# PostgreSQL's "try again" errors: serialization failure, deadlock detected, lock not available.
RETRYABLE_PGCODES = {"40001", "40P01", "55P03"}
T = TypeVar("T")


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("")).get_current_head()
    assert head is not None, "no migrations found"
    return head


@lru_cache(maxsize=16)
def engine_for(url: str) -> Engine:
    """One engine per database URL per process (the app caches it across reruns too)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # qcode, not the driver, says when a transaction begins (_sqlite_begin), so that it can be IMMEDIATE.
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection: Connection) -> None:
    """A writing transaction takes SQLite's write lock when it begins (BEGIN IMMEDIATE), so that it waits its
    turn behind other writers; a deferred one that read first would fail at its first write whenever another
    writer committed in between ("database is locked", whatever the timeout). Reads stay deferred."""
    immediate = connection.get_execution_options().get("qcode_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def revision(engine: Engine) -> str | None:
    """The database's schema revision; None for a database qcode has not set up yet."""
    from alembic.runtime.migration import MigrationContext

    with _opening(engine), engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@cache
def newest_script() -> str | None:
    """The revision of the newest migration script (the one no other script names as its down_revision),
    read from the scripts' text without importing Alembic; None unless there is exactly one such script
    and every script states its revisions as plain literals (then Alembic decides: see open_database)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        found = _script_revisions(script)
        if found is None:
            return None
        own, parent = found.get("revision"), found.get("down_revision")
        if not isinstance(own, str):
            return None
        revisions.add(own)
        if isinstance(parent, str):
            parents.add(parent)
        elif isinstance(parent, tuple | list):
            parents.update(str(p) for p in parent)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _script_revisions(script: Path) -> dict[str, object] | None:
    """A migration script's `revision` and `down_revision` values; None if one is not a plain literal."""
    found: dict[str, object] = {}
    for node in ast.parse(script.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
            try:
                found[target.id] = ast.literal_eval(value)
            except (ValueError, TypeError):
                return None
    return found


def _stored_revision(engine: Engine) -> str | None:
    """The revision in the database's alembic_version table, read with one query; None when there is no
    such table or it does not hold exactly one row (Alembic's own reading decides those cases)."""
    with _opening(engine), engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return rows[0] if len(rows) == 1 else None


def open_database(engine: Engine) -> None:
    """Make sure the schema is this qcode's, the safe way (see the module's docstring)."""
    stored = _stored_revision(engine)
    newest = newest_script()
    if stored is not None and stored == newest:
        return  # the common case, decided without importing Alembic (about 0.2 s per command)
    if stored is None and newest is not None and _is_empty(engine):
        create_schema(engine, newest)  # a new database: the schema at once, not migration after migration
        return
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
    from alembic import command

    config = alembic_config(str(engine.url))
    with _opening(engine), engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _known(engine: Engine, current: str | None) -> None:
    if current is None:
        return
    from alembic.script import ScriptDirectory
    from alembic.script.revision import ResolutionError
    from alembic.util import CommandError

    try:
        known = ScriptDirectory.from_config(alembic_config("")).get_revision(current) is not None
    except (ResolutionError, CommandError):
        known = False
    if not known:
        raise ProjectError(f"the database {engine.url} has schema revision {current}, newer than this qcode knows")


# Alembic's own table, as its migrations create it: a database created here is one Alembic can migrate later.
_ALEMBIC_VERSION = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


def create_schema(engine: Engine, head: str) -> None:
    """Give a new, empty database the newest schema: the tables from the schema module (the migrations
    end at the same schema: tests/test_new_database.py compares them) and Alembic's version row, in one
    transaction. Importing Alembic and running seven migrations took a third of `qcode init`."""
    from .schema import Base

    with _opening(engine), engine.begin() as connection:
        Base.metadata.create_all(connection, checkfirst=False)
        _ALEMBIC_VERSION.create(connection, checkfirst=False)
        connection.execute(insert(_ALEMBIC_VERSION).values(version_num=head))


def _is_empty(engine: Engine) -> bool:
    """Whether the database has no tables at all (a new file, or a new PostgreSQL database)."""
    with _opening(engine), engine.connect() as connection:
        return not inspect(connection).get_table_names()


def _has_tables(engine: Engine) -> bool:
    with _opening(engine):
        return inspect(engine).has_table(FIRST_TABLE)


@contextmanager
def _opening(engine: Engine) -> Iterator[None]:
    try:
        yield
    except DatabaseError as exc:  # unreachable, or (SQLite) a damaged file or another kind of file
        raise ProjectError(f"cannot open database {engine.url!r}: {exc.orig}") from None


@contextmanager
def transaction(engine: Engine, write: bool = False) -> Iterator[Session]:
    """A session whose work is committed together, or rolled back entirely on any error.

    write=True: the transaction writes (on SQLite it takes the write lock at once, see _sqlite_begin).
    A database that stays locked by other writers is a BusyError (one line), not a driver traceback."""
    factory = sessionmaker(engine, expire_on_commit=False)
    try:
        with factory() as session, session.begin():
            if write and engine.dialect.name == "sqlite":
                session.connection(execution_options={"qcode_write": True})
            yield session
    except OperationalError as exc:
        if not is_busy(exc):
            raise
        where = engine.url.render_as_string()
        raise BusyError(f"the database {where} is locked by another writer: {_reason(exc)}") from exc


def insert_rows(session: Session, table: Table, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """INSERT rows given as tuples (values in `columns` order) in the session's transaction; returns how many.

    On SQLite they go straight to the driver's executemany: SQLAlchemy's Core executemany turns every row
    into a dict and processes it (more than the insert itself for 50,000 segments). On PostgreSQL through
    psycopg they are COPied, in the same transaction: multi-row INSERTs left segment waiting 20 s for the
    server at 5,000 transcripts. Other databases get Core's insert (multi-row statements)."""
    rows = rows if isinstance(rows, list) else list(rows)
    if not rows:
        return 0
    connection = session.connection()
    quote = connection.dialect.identifier_preparer.quote
    names = ", ".join(quote(column) for column in columns)
    if connection.dialect.name == "sqlite":
        marks = ", ".join("?" for _ in columns)
        connection.exec_driver_sql(f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})", rows)
    elif connection.dialect.driver == "psycopg":
        driver = connection.connection.driver_connection  # psycopg's own connection, in this transaction
        assert driver is not None
        statement, errors = f"COPY {quote(table.name)} ({names}) FROM STDIN", connection.dialect.loaded_dbapi.Error
        try:
            with driver.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        except errors as exc:  # raised as SQLAlchemy raises the driver's errors: a duplicate is an IntegrityError
            raise DBAPIError.instance(statement, None, exc, errors, dialect=connection.dialect) from exc
    else:
        connection.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
    return len(rows)


def is_busy(exc: DBAPIError) -> bool:
    """A lock another writer holds (SQLite) or a conflict PostgreSQL asks to retry: trying again may work."""
    if getattr(exc.orig, "sqlstate", None) in RETRYABLE_PGCODES:
        return True
    message = str(exc.orig).lower()
    return "database is locked" in message or "database table is locked" in message


def _reason(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__


def retrying(work: Callable[[], T], seconds: float | None = None, collisions: int = 3) -> T:
    """Run `work` (a whole transaction) again, with growing pauses, while the database is busy (for up to
    `seconds`) or a concurrent writer took the same unique key first (up to `collisions` times: on the next
    try `work` finds that row and does what it does with an existing one). Then the problem is one line."""
    seconds = RETRY_SECONDS if seconds is None else seconds
    deadline = time.monotonic() + seconds
    pause, collided = 0.02, 0
    while True:
        try:
            return work()
        except IntegrityError as exc:
            collided += 1
            if collided > collisions:
                raise BusyError(f"another writer kept changing the same rows; try again ({_reason(exc)})") from exc
        except (BusyError, OperationalError) as exc:
            if isinstance(exc, OperationalError) and not is_busy(exc):
                raise
            if time.monotonic() + pause > deadline:
                reason = str(exc) if isinstance(exc, BusyError) else _reason(exc)
                raise BusyError(f"{reason} (still locked after {seconds:.0f} s of retries)") from exc
        time.sleep(pause * (0.5 + random.random()))  # jitter: writers that collided do not collide again
        pause = min(pause * 2, 1.0)
