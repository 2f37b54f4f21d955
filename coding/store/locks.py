"""One writer per step: a project's segment, ingest, autocode and train runs each hold a lock while they run.

The lock is a row of step_locks (the step is its primary key), inserted in a transaction of its own, naming
its owner (pid, host, start). A second run finds the row and waits or is refused in one line ("another
segment run is in progress ..."). An owner that is gone must not block a project for ever:
- on PostgreSQL the owner also holds a session advisory lock, which the server releases when the owner's
  connection ends (a kill included); a run that gets the advisory lock knows any row left is stale;
- on SQLite (one machine), a row whose process no longer runs on this host is stale; a row from another host
  (a database on a shared drive) is stale after STALE_AFTER.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, select, text
from sqlalchemy.exc import IntegrityError

from ..errors import BusyError
from .database import retrying, transaction
from .schema import StepLock, utcnow

STEPS = ("segment", "ingest", "autocode", "train")
STALE_AFTER = dt.timedelta(hours=12)
POLL_SECONDS = 0.2


@dataclass(frozen=True)
class Holder:
    step: str
    token: str
    pid: int
    host: str
    started_at: dt.datetime

    def describe(self) -> str:
        since = f"{self.started_at:%Y-%m-%d %H:%M:%S} UTC"
        return f"another {self.step} run is in progress (pid {self.pid} on {self.host}, since {since})"


@contextmanager
def step_lock(engine: Engine, step: str, wait: float = 0.0) -> Iterator[None]:
    """Hold the project's lock for `step` while the block runs. If another run holds it, wait up to `wait`
    seconds for it, then raise BusyError naming that run."""
    if step not in STEPS:
        raise ValueError(f"unknown step {step!r}")
    token = uuid.uuid4().hex
    deadline = time.monotonic() + wait
    advisory = _advisory(engine, step, deadline) if engine.dialect.name == "postgresql" else None
    try:
        if advisory is not None:  # we hold the advisory lock: a row left behind is a dead run's
            with transaction(engine, write=True) as session:
                session.execute(delete(StepLock).where(StepLock.step == step))
                session.add(_row(step, token))
        else:
            _insert_row(engine, step, token, deadline)
        try:
            yield
        finally:
            retrying(lambda: _delete_row(engine, step, token))
    finally:
        if advisory is not None:
            _release_advisory(advisory, step)


def _advisory_key(step: str) -> int:
    return int.from_bytes(hashlib.sha256(f"qcode step {step}".encode()).digest()[:8], "big", signed=True)


def _release_advisory(connection: Connection, step: str) -> None:
    # Closing a pooled connection keeps its server session (and the lock) alive: unlock first.
    try:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _advisory_key(step)})
    finally:
        connection.close()


def _delete_row(engine: Engine, step: str, token: str) -> None:
    with transaction(engine, write=True) as session:
        session.execute(delete(StepLock).where(StepLock.step == step, StepLock.token == token))


def holder(engine: Engine, step: str) -> Holder | None:
    """Who holds the lock for `step`, if anyone (a stale row included)."""
    with transaction(engine) as session:
        row = session.scalar(select(StepLock).where(StepLock.step == step))
        return Holder(row.step, row.token, row.pid, row.host, row.started_at) if row else None


def _row(step: str, token: str) -> StepLock:
    return StepLock(step=step, token=token, pid=os.getpid(), host=socket.gethostname()[:255], started_at=utcnow())


def _insert_row(engine: Engine, step: str, token: str, deadline: float) -> None:
    while True:
        try:
            with transaction(engine, write=True) as session:
                session.add(_row(step, token))
            return
        except IntegrityError:
            found = holder(engine, step)
            if found is None:
                continue  # released in between
            if _stale(found):
                with transaction(engine, write=True) as session:
                    session.execute(delete(StepLock).where(StepLock.step == step, StepLock.token == found.token))
                continue
            if time.monotonic() >= deadline:
                raise BusyError(f"{found.describe()}; try again when it has finished") from None
            time.sleep(POLL_SECONDS)


def _stale(found: Holder) -> bool:
    if found.host == socket.gethostname()[:255]:
        return not _alive(found.pid)
    return utcnow() - found.started_at > STALE_AFTER


def _alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) would end the process there; rely on the age instead
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def _advisory(engine: Engine, step: str, deadline: float) -> Connection:
    """A connection holding PostgreSQL's session advisory lock for this project's `step`."""
    key = _advisory_key(step)
    connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        while not connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}):
            if time.monotonic() >= deadline:
                found = holder(engine, step)
                running = found.describe() if found else f"another {step} run is in progress"
                raise BusyError(f"{running}; try again when it has finished")
            time.sleep(POLL_SECONDS)
    except BaseException:
        connection.close()
        raise
    return connection
