"""The project's codebook.yaml is the codebook: kept in step with the database, in both directions.

The database holds the codes (codings point at them); the file is what people read and edit by hand. The
settings keep the SHA-256 of the file as qcode last wrote or applied it. A file whose hash differs was
edited by hand: before the codebook is used it is validated and applied (codes added, changed, removed;
each logged; the version bumped), or refused with every problem listed and nothing changed. An edit made
through the library or the app applies such a file first, then rewrites it, so neither side overwrites
the other silently.

Every function takes an open write Session, with the codebook lock held (`lock`), and joins its
transaction: the file is written inside it, so a failed transaction must put the old file back (the facade
does, with `read_bytes` before and `restore` after).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .codebook import codebook_from_bytes, dump_codebook, write_text
from .codebook_edit import CodebookChanges, bump_version, changes, sibling_problems
from .errors import CodebookError, CodebookFileError
from .models import Codebook
from .store import codebook as stored_codebook
from .store import settings as stored_settings
from .store.log import Action, write_log
from .store.schema import Setting

FILE_HASH = "codebook_file_sha256"  # of codebook.yaml as qcode last wrote or applied it
EARLIER = "codebook_file_earlier"  # hashes of the versions qcode wrote before (JSON list, newest last)
KEEP_EARLIER = 200
FROM_FILE = "qcode"  # the actor of changes read from the file: who edited it by hand is not known
_VERSION_LINE = re.compile(r'^version[ \t]*:[ \t]*(?:"[^"\n]*"|\'[^\'\n]*\'|[^#\n]*?)[ \t]*(#[^\n]*)?$', re.MULTILINE)


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def restore(path: Path, content: bytes | None) -> None:
    """Put a file back as it was before a transaction that failed after writing it."""
    if read_bytes(path) == content:
        return
    if content is None:
        path.unlink(missing_ok=True)
    else:
        write_text(content, path)


def stored_hash(session: Session) -> str | None:
    return stored_settings.get_setting(session, FILE_HASH)


def lock(session: Session) -> None:
    """Codebook edits one at a time: the hash setting's row is held (PostgreSQL; SQLite writes are serial),
    so that two writers never leave a file that one wrote with the hash the other stored."""
    if session.get(Setting, FILE_HASH) is None:
        stored_settings.set_setting(session, FILE_HASH, "")
        session.flush()
    session.execute(select(Setting.key).where(Setting.key == FILE_HASH).with_for_update())


def stored(session: Session, default_name: str, path: Path) -> Codebook:
    """The codebook as the database holds it, seen from inside the session."""
    get = stored_settings.get_setting
    return Codebook(
        name=get(session, "codebook_name", default_name) or default_name,
        version=get(session, "codebook_version", "1") or "1",
        description=get(session, "codebook_description", "") or "",
        codes=stored_codebook.codes(session),
        source_path=str(path),
    )


def set_header(session: Session, book: Codebook) -> None:
    stored_settings.set_setting(session, "codebook_name", book.name)
    stored_settings.set_setting(session, "codebook_version", book.version)
    stored_settings.set_setting(session, "codebook_description", book.description)


def write_file(session: Session, default_name: str, path: Path) -> None:
    """Write the database's codebook to the file and remember the file's hash."""
    text = dump_codebook(stored(session, default_name, path))
    write_text(text, path)
    remember(session, digest(text.encode("utf-8")))


def remember(session: Session, content_hash: str) -> None:
    """The file as it now is is the codebook; the hash it replaces is kept among the earlier ones."""
    current = stored_hash(session)
    if current and current != content_hash:
        earlier = [h for h in _earlier(session) if h != current][-(KEEP_EARLIER - 1) :]
        stored_settings.set_setting(session, EARLIER, json.dumps([*earlier, current]))
    stored_settings.set_setting(session, FILE_HASH, content_hash)


def _earlier(session: Session) -> list[str]:
    try:
        found = json.loads(stored_settings.get_setting(session, EARLIER) or "[]")
    except ValueError:
        return []
    return [str(item) for item in found] if isinstance(found, list) else []


def bump(session: Session) -> str:
    """The next codebook version, stored; every change of the codebook calls this once."""
    current = stored_settings.get_setting(session, "codebook_version", "1") or "1"
    version = bump_version(current)
    stored_settings.set_setting(session, "codebook_version", version)
    return version


def apply_file(session: Session, default_name: str, path: Path) -> CodebookChanges | None:
    """Apply the file if it changed since qcode last wrote or applied it; None if it had not.

    A missing file is written from the database (nothing in it can be lost). A changed file is checked
    first: CodebookError lists every problem, and nothing is changed."""
    content = read_bytes(path)
    if content is None:
        write_file(session, default_name, path)
        return None
    if digest(content) == stored_hash(session):
        return None
    if digest(content) in _earlier(session):
        # A copy qcode wrote before, not a hand edit: e.g. a second project folder on a shared PostgreSQL
        # database, whose file the other folder's edits did not reach. Bring it up to date.
        write_file(session, default_name, path)
        return None
    try:
        new = codebook_from_bytes(content, path)
    except CodebookError as error:
        raise CodebookFileError(path, error.problems) from None
    problems = sibling_problems(new)
    if problems:
        raise CodebookFileError(path, [f"{path}: {problem}" for problem in problems])
    old = stored(session, default_name, path)
    found = changes(old, new)
    if found:
        _apply(session, old, new, found)
        if "version" not in found.header:  # the person kept the version: a change still makes a new one
            version = bump(session)
            content = _with_version(content, path, new, version)
    remember(session, digest(content))
    return found


def _apply(session: Session, old: Codebook, new: Codebook, found: CodebookChanges) -> None:
    source: dict[str, Any] = {"source": "codebook.yaml edited by hand"}
    added, changed = {c.id for c in found.added}, {c.id for c in found.changed}
    for position, code in enumerate(new.tree_order()):
        if code.id in added:
            before = stored_codebook.code_row(session, code.id)  # a retired code brought back, or None
            stored_codebook.add_code(session, code)
            stored_codebook.update_code(session, code.id, position=position)
            write_log(session, FROM_FILE, Action.ADD_CODE, code_id=code.id, name=code.name, before=before, **source)
            continue
        before = stored_codebook.code_row(session, code.id)
        if code.id in changed:
            stored_codebook.replace_code(session, code, position)
            write_log(session, FROM_FILE, Action.UPDATE_CODE, code_id=code.id, before=before, **source)
        elif before is not None and before["position"] != position:
            stored_codebook.update_code(session, code.id, position=position)
    for code in found.removed:
        before = stored_codebook.code_row(session, code.id)
        hidden = stored_codebook.delete_code(session, code.id)
        write_log(session, FROM_FILE, Action.DELETE_CODE, code_id=code.id, before=before, codings=hidden, **source)
    set_header(session, new)
    write_log(
        session,
        FROM_FILE,
        Action.IMPORT_CODEBOOK,
        "codebook.yaml",
        changes=found.summary(),
        added=[c.id for c in found.added],
        changed=[c.id for c in found.changed],
        removed=[c.id for c in found.removed],
        previous_version=old.version,
        **source,
    )


def _with_version(content: bytes, path: Path, book: Codebook, version: str) -> bytes:
    """The file with its version line changed (comments and layout kept); the whole file rewritten if the
    line cannot be found or the change would read back differently."""
    text = content.decode("utf-8-sig")
    lines = _VERSION_LINE.findall(text)
    if len(lines) == 1:
        comment = f"  {lines[0]}" if lines[0] else ""
        changed = _VERSION_LINE.sub(lambda _: f'version: "{version}"{comment}', text)
        try:
            check = codebook_from_bytes(changed.encode("utf-8"), "<check>", check_patterns=False)
        except CodebookError:
            check = None
        if check is not None and check.version == version and check.codes == book.codes:
            write_text(changed, path)
            return changed.encode("utf-8")
    text = dump_codebook(Codebook(book.name, version, book.codes, str(path), book.description))
    write_text(text, path)
    return text.encode("utf-8")
