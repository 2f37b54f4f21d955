"""A new database gets its schema at once (database.create_schema), not by running the migrations one by one:
both ways must end at the same schema, on SQLite and on PostgreSQL (QCODE_TEST_POSTGRES)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, inspect, text

from coding.store import database
from tests.backends import BACKENDS
from tests.backends import database as new_database


def schema_of(engine: Engine) -> dict[str, Any]:
    """Everything the inspector reports of every table: columns, keys, indexes, constraints."""
    inspector = inspect(engine)
    tables: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        tables[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], str(c.get("default")), c.get("autoincrement"))
                for c in inspector.get_columns(table)
            ],
            "primary key": inspector.get_pk_constraint(table),
            "foreign keys": sorted(
                (str(fk["constrained_columns"]), fk["referred_table"], str(fk["referred_columns"]), str(fk["options"]))
                for fk in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (
                    i["name"] or "",
                    str(i["column_names"]),
                    bool(i["unique"]),
                    str(sorted((key, str(value)) for key, value in i.get("dialect_options", {}).items())),
                )
                for i in inspector.get_indexes(table)
            ),
            "unique": sorted(
                (u["name"] or "", str(u["column_names"])) for u in inspector.get_unique_constraints(table)
            ),
            "checks": sorted((c["name"] or "", c["sqltext"]) for c in inspector.get_check_constraints(table)),
        }
    return tables


def index_predicates(engine: Engine) -> list[tuple[str, str]]:
    """Partial indexes' WHERE clauses as the database keeps them (SQLite: the index's SQL)."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            rows = connection.execute(text(query))
            return sorted((name, sql.split(" WHERE ", 1)[1] if " WHERE " in sql else "") for name, sql in rows)
        rows = connection.execute(text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"))
        return sorted((name, sql.split(" WHERE ", 1)[1] if " WHERE " in sql else "") for name, sql in rows)


@contextmanager
def two_databases(backend: str, folder: Path):  # type: ignore[no-untyped-def]
    with new_database(backend) as first, new_database(backend) as second:
        if backend == "sqlite":
            first, second = f"sqlite:///{folder / 'created.sqlite'}", f"sqlite:///{folder / 'migrated.sqlite'}"
        assert first and second
        engines = [create_engine(first), create_engine(second)]
        try:
            yield engines
        finally:
            for engine in engines:
                engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_created_schema_is_the_migrated_schema(backend: str, tmp_path: Path) -> None:
    with two_databases(backend, tmp_path) as (created, migrated):
        database.create_schema(created, database.newest_script() or "")
        database._upgrade(migrated)  # every migration, in order, as an older qcode's database goes through them
        assert database.revision(created) == database.revision(migrated) == database.head_revision()
        assert schema_of(created) == schema_of(migrated)
        assert index_predicates(created) == index_predicates(migrated)
        assert "uq_documents_current_name" in dict(index_predicates(created))  # the partial index is compared
        assert len(schema_of(created)) > 10


def test_opening_a_new_database_creates_the_schema_without_alembic(tmp_path: Path) -> None:
    """A new project's database is created with one transaction, and Alembic is not imported to do it."""
    import subprocess
    import sys

    code = (
        "import sys; from coding.store import Store; "
        f"Store('sqlite:///{tmp_path / 'new.sqlite'}'); "
        "print(any(name == 'alembic' or name.startswith('alembic.') for name in sys.modules))"
    )
    repo = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=repo)
    assert result.stdout.strip() == "False"
    engine = create_engine(f"sqlite:///{tmp_path / 'new.sqlite'}")
    assert database.revision(engine) == database.head_revision()
    assert "documents" in inspect(engine).get_table_names()
    engine.dispose()


def test_a_database_with_tables_but_no_version_is_not_taken_for_new(tmp_path: Path) -> None:
    """Only an empty database is created at once: one with tables of its own goes the careful way."""
    url = f"sqlite:///{tmp_path / 'other.sqlite'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE somebody_elses (id INTEGER)"))
    assert not database._is_empty(engine)
    engine.dispose()
