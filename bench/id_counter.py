"""What AUTOINCREMENT (migration 0008: ids never given out twice) costs when many codings are stored at once.

    .venv/bin/python bench/id_counter.py [--rows 200000] [--repeat 4]

Stores the same suggestions (segment, code, coder, source, status) into the codings table as qcode creates it
(coding/store/schema.py, its indexes and unique key included) and into the same table without AUTOINCREMENT,
each in one transaction of one executemany, on SQLite files with qcode's settings (WAL, synchronous NORMAL).
Prints the best time of each and their ratio: the floor is the table without AUTOINCREMENT, in the same run.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import CreateIndex, CreateTable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from coding.store.schema import CodingRow  # noqa: E402

COLUMNS = "segment_id, code_id, coder, source, source_name, status, created_at, updated_at"


def ddl(autoincrement: bool) -> list[str]:
    table = CodingRow.__table__
    create = str(CreateTable(table).compile(dialect=sqlite.dialect())).strip()  # type: ignore[arg-type]
    assert " AUTOINCREMENT" in create, "the schema's codings table should count its ids (migration 0008)"
    if not autoincrement:
        create = create.replace(" AUTOINCREMENT", "")
    indexes = [str(CreateIndex(index).compile(dialect=sqlite.dialect())) for index in table.indexes]  # type: ignore[attr-defined]
    return [create, *indexes]


def store(folder: Path, statements: list[str], rows: list[tuple]) -> float:
    path = folder / f"bench-{time.monotonic_ns()}.sqlite"
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    for statement in statements:
        connection.execute(statement)
    started = time.perf_counter()
    with connection:
        connection.executemany(f"INSERT INTO codings ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    took = time.perf_counter() - started
    connection.close()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=4)
    args = parser.parse_args()
    now = "2026-12-01 00:00:00"
    rows = [(i // 30, f"code{i % 30}", "rules.v1", "rule", "rules.v1", "suggested", now, now) for i in range(args.rows)]
    kinds = [("without AUTOINCREMENT (floor)", False), ("AUTOINCREMENT (0008)", True)]
    times: dict[str, list[float]] = {label: [] for label, _ in kinds}
    with tempfile.TemporaryDirectory() as folder:
        for repeat in range(args.repeat):  # alternating which goes first: the second of a pair finds warm caches
            for label, autoincrement in kinds if repeat % 2 == 0 else kinds[::-1]:
                times[label].append(store(Path(folder), ddl(autoincrement), rows))
    for label, found in times.items():
        print(f"{label}: {min(found):.2f} s for {args.rows:,} codings (best of {len(found)})")
    floor, counted = (min(found) for found in times.values())
    print(f"ratio: {counted / floor:.2f}x")


if __name__ == "__main__":
    main()
