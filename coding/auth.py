"""Who may use a shared project: local accounts with argon2 password hashes, roles, and the login throttle.

Accounts live in the project's database (table `accounts`, migration 0006), so every machine that opens the
project (SQLite file or PostgreSQL) sees the same people and roles, and a person's login is the coder name
their work is recorded under. Roles: a coder codes, decides suggestions and writes memos; a lead also edits
the codebook, merges codes and resolves disagreements. The command line on the project's own machine acts as
OWNER, with a lead's rights (whoever runs it can edit the database file anyway). Without any account the
project is a single machine's: everyone is trusted as a lead, and `qcode app` only listens on loopback.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .errors import PermissionDeniedError, UsageError
from .models import CONSENSUS
from .names import name_problem
from .store import Action, Store
from .store import users as stored_users
from .store.log import write_log

CODER = "coder"
LEAD = "lead"
ROLES = (CODER, LEAD)
OWNER = "qcode"  # the actor of the command line (Project methods' default)
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # hashing a megabyte on every attempt would be a cheap denial of service
LOOPBACK_NAMES = {"localhost"}


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id with RFC 9106's low-memory parameters (64 MiB, 3 passes)


def hash_password(password: str) -> str:
    check_password(password)
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    # Verified against when the name is unknown, so a wrong name takes as long as a wrong password.
    return _hasher().hash("not a password of anyone")


def check_name(name: str) -> str:
    """The login (and coder) name as stored, or a UsageError saying what is wrong with it."""
    cleaned = name.strip()
    if not cleaned:
        raise UsageError("an account needs a name")
    problem = name_problem(cleaned)
    if problem:
        raise UsageError(f"account name {cleaned[:40]!r}: {problem}")
    if cleaned.lower() in (OWNER, CONSENSUS) or cleaned.lower().startswith(("rules.", "model.")):
        raise UsageError(f"{cleaned!r} is a name qcode uses itself (the command line, consensus or a suggester)")
    return cleaned


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UsageError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
    return role


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise UsageError(f"a password has at most {MAX_PASSWORD} characters")
    if "\x00" in password:
        raise UsageError("a password cannot contain a NUL character")


def is_loopback(host: str) -> bool:
    """True for addresses only this machine reaches: localhost, 127.0.0.0/8, ::1."""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class Accounts:
    """A project's accounts: add, list, remove, verify a login, and the role check every lead-only edit makes."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def exist(self) -> bool:
        with self.store.transaction() as session:
            return stored_users.count_accounts(session) > 0

    def all(self) -> list[tuple[str, str]]:
        """(name, role) of every account, by name."""
        with self.store.transaction() as session:
            return stored_users.accounts(session)

    # Every change to the accounts is logged by `actor` (the command line: OWNER) in its own transaction.
    def add(self, name: str, role: str, password: str, actor: str = OWNER) -> str:
        """Store a new account; returns the name as stored (trimmed)."""
        name, role = check_name(name), check_role(role)
        password_hash = hash_password(password)  # before the transaction: hashing takes a while
        with self.store.transaction(write=True) as session:
            if stored_users.get_account(session, name) is not None:
                raise UsageError(f"an account {name!r} exists already ('qcode users remove {name}' first)")
            stored_users.add_account(session, name, role, password_hash)
            write_log(session, actor, Action.ADD_ACCOUNT, name, role=role)
        return name

    def set_password(self, name: str, password: str, actor: str = OWNER) -> None:
        password_hash = hash_password(password)
        with self.store.transaction(write=True) as session:
            if stored_users.get_account(session, name) is None:
                raise UsageError(f"no account {name!r}")
            stored_users.set_password_hash(session, name, password_hash)
            write_log(session, actor, Action.SET_PASSWORD, name)

    def remove(self, name: str, actor: str = OWNER) -> None:
        """Remove an account (the person's codings stay under their name). The last lead goes last: without
        a lead, nobody could change the codebook from the dashboard."""
        with self.store.transaction(write=True) as session:
            row = stored_users.get_account(session, name)
            if row is None:
                raise UsageError(f"no account {name!r}")
            others = stored_users.count_accounts(session) - 1
            if row.role == LEAD and others and stored_users.count_accounts(session, LEAD) == 1:
                raise UsageError(f"{name!r} is the last lead: add another lead before removing this one")
            role = row.role
            stored_users.remove_account(session, name)
            write_log(session, actor, Action.REMOVE_ACCOUNT, name, role=role)

    def verify(self, name: str, password: str) -> str | None:
        """The account's role when name and password match, else None (in about the same time either way)."""
        name = name.strip()
        if not name or name_problem(name) or len(password) > MAX_PASSWORD:
            verify_password(_decoy_hash(), "")  # no name that could be stored: refused in the same time
            return None
        with self.store.transaction() as session:
            row = stored_users.get_account(session, name)
            found = (row.password_hash, row.role) if row is not None else None
        if found is None:
            verify_password(_decoy_hash(), password)
            return None
        return found[1] if verify_password(found[0], password) else None

    def role(self, name: str) -> str | None:
        """The account's role, or None when `name` is no account."""
        with self.store.transaction() as session:
            row = stored_users.get_account(session, name)
            return row.role if row is not None else None

    def role_of(self, actor: str) -> str | None:
        """LEAD for the command line (OWNER) and for everyone while there are no accounts; an account's role;
        None for a name that is no account (when accounts exist: someone who may not change anything)."""
        if actor == OWNER:
            return LEAD
        with self.store.transaction() as session:
            row = stored_users.get_account(session, actor)
            if row is not None:
                return row.role
            return None if stored_users.count_accounts(session) else LEAD

    def require_lead(self, actor: str, doing: str) -> None:
        """Raise PermissionDeniedError unless `actor` may do a lead's work (`doing`: "merge codes")."""
        if self.role_of(actor) != LEAD:
            raise PermissionDeniedError(f"only a lead can {doing}; {actor!r} is not a lead on this project")


class LoginThrottle:
    """Failed logins counted per key (a login name, a browser session): after `limit` failures within
    `window` seconds each further attempt waits, twice as long each time (up to `longest`). Thread-safe: one
    instance serves every session of a dashboard."""

    def __init__(
        self,
        limit: int = 5,
        window: float = 900.0,
        pause: float = 30.0,
        longest: float = 900.0,
        keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit, self.window, self.pause, self.longest, self.keys = limit, window, pause, longest, keys
        self.clock = clock
        self._failures: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def wait_left(self, *keys: str) -> float:
        """Seconds until any of `keys` may try again (0: now)."""
        with self._lock:
            return max((self._wait(key) for key in keys), default=0.0)

    def _wait(self, key: str) -> float:
        now = self.clock()
        times = [t for t in self._failures.get(key, []) if now - t < self.window]
        if times:
            self._failures[key] = times
        else:
            self._failures.pop(key, None)
        if len(times) < self.limit:
            return 0.0
        pause = min(self.longest, self.pause * 2 ** (len(times) - self.limit))
        return max(0.0, times[-1] + pause - now)

    def failed(self, *keys: str) -> None:
        with self._lock:
            now = self.clock()
            for key in keys:
                self._failures.setdefault(key, []).append(now)
                self._failures.move_to_end(key)
            while len(self._failures) > self.keys:  # many invented names cannot grow it without bound
                self._failures.popitem(last=False)

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
