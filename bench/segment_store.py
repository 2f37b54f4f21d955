"""Where a PostgreSQL segment run's time goes (bench/README.md, sixth round), on a project whose documents are
ingested and not yet segmented (e.g. `bench/scale.py --backend postgres --steps init,ingest --work DIR`).

    .venv/bin/python bench/segment_store.py PROJECT [--runs 2]

The project's database is copied once to `<name>_ingested` (a template); each run makes the database again
from it, then runs `Project.segment` in this process and prints its wall time, the CPU of this process, of the
worker processes and of the local PostgreSQL server's processes (from /proc), and the time spent storing
segments and reading documents. Then the COPY of the stored segments alone, in transactions rolled back: as
the schema is, and without each of the segments table's foreign keys.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

COLUMNS = '"document_id", "turn_id", "unit", "index", "start", "end"'


def server_cpu() -> float:
    """CPU seconds of the local postgres processes so far (0 where /proc or pgrep is missing)."""
    found = subprocess.run(["pgrep", "postgres"], capture_output=True, text=True, check=False).stdout.split()
    total = 0
    for pid in found:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def remake(server: Any, name: str, template: str) -> None:
    with server.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


def timed(spent: dict[str, float], label: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[label] = spent.get(label, 0.0) + time.perf_counter() - started

    return wrapper


def copy_seconds(url: str, rows: bytes, dropped: str | None) -> float:
    """COPY the rows into an emptied segments table, without the named constraint; rolled back."""
    import psycopg

    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("TRUNCATE segments CASCADE")
        if dropped:
            cursor.execute(f'ALTER TABLE segments DROP CONSTRAINT "{dropped}"')
        started = time.perf_counter()
        with cursor.copy(f"COPY segments ({COLUMNS}) FROM STDIN") as copy:
            copy.write(rows)
        seconds = time.perf_counter() - started
        connection.rollback()
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("project", type=Path)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    from sqlalchemy import create_engine, make_url

    import coding
    from coding import project as project_module
    from coding.store import segments as stored_segments

    engine = coding.open_project(args.project).store.engine
    url = make_url(engine.url)
    engine.dispose()  # its connections would be cut when the database is made again
    if url.get_backend_name() != "postgresql":
        raise SystemExit(f"{args.project}: its database is not PostgreSQL")
    name, template = str(url.database), f"{url.database}_ingested"
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        known = connection.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %s", (template,)).first()
    if known is None:
        remake(server, template, name)  # the ingested state, kept for the next runs
    spent: dict[str, float] = {}
    stored_segments.add_segment_spans = timed(spent, "storing segments", stored_segments.add_segment_spans)
    project_module.Project.documents = timed(spent, "reading documents", project_module.Project.documents)  # type: ignore[method-assign]
    for run in range(args.runs):
        spent.clear()
        remake(server, name, template)
        project = coding.open_project(args.project)
        before = (server_cpu(), resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))
        started = time.perf_counter()
        result = project.segment()
        wall = time.perf_counter() - started
        after = (server_cpu(), resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))
        cpu = [
            after[i].ru_utime + after[i].ru_stime - before[i].ru_utime - before[i].ru_stime  # type: ignore[union-attr]
            for i in (1, 2)
        ]
        print(
            f"run {run + 1}: {result['segments']:,} segments of {result['documents']:,} documents in {wall:.1f} s; "
            f"cpu: this process {cpu[0]:.1f} s, workers {cpu[1]:.1f} s, server {after[0] - before[0]:.1f} s; "
            + ", ".join(f"{label} {seconds:.1f} s" for label, seconds in spent.items())
        )
        project.store.engine.dispose()
    driver_url = url.set(drivername="postgresql").render_as_string(hide_password=False)
    import psycopg

    rows = io.BytesIO()
    query = f"COPY (SELECT {COLUMNS} FROM segments ORDER BY id) TO STDOUT"
    with psycopg.connect(driver_url) as database, database.cursor() as cursor, cursor.copy(query) as copy:
        for block in copy:
            rows.write(block)
    for dropped in (None, "segments_turn_id_fkey", "segments_document_id_fkey"):
        seconds = copy_seconds(driver_url, rows.getvalue(), dropped)
        print(f"COPY of the segments alone{f', without {dropped}' if dropped else ''}: {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
