"""Databases a test can run on: SQLite always, PostgreSQL when QCODE_TEST_POSTGRES names a server whose role
may CREATE DATABASE (as tests/test_postgres.py; .ci/run sets it in CI)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

POSTGRES = os.environ.get("QCODE_TEST_POSTGRES", "")
BACKENDS = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.skipif(not POSTGRES, reason="QCODE_TEST_POSTGRES is not set")),
]


@contextmanager
def database(backend: str) -> Iterator[str | None]:
    """None for SQLite (the project's own file); for PostgreSQL the URL of a new database, dropped afterwards."""
    if backend == "sqlite":
        yield None
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from coding.store.database import engine_for

    server = make_url(POSTGRES)
    name = f"qcode_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        engine_for(url).dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
