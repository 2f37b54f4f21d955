"""Counts kept on disk between processes, in the project's .qcode/counts/ folder.

At 10,000 transcripts the counting queries behind the first tables take seconds each (the database reads
millions of codings); their results are small. A dashboard started after `qcode import-codings` finds them
here instead of counting again. Each file holds one result with the key it answers and the database state it
was counted in (aggregate.kept_token); it is used only while that state is the database's state, so a stale
result is never served. Files are a convenience: any that cannot be read or written is counted again.

Arrays only, read with allow_pickle=False: a file someone placed in the folder cannot run code.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import time
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .database import newest_script

if TYPE_CHECKING:
    import numpy as np

KEPT_FILES = 200  # the newest files stay; older ones (other filters, earlier states) are removed
# What the files mean: raise it when a counting query or a codec changes what a kept result holds. Files of
# another format, or of another schema revision (a migration may rewrite rows without a log entry), are
# never read.
FORMAT = 1
STALE_TEMPORARY_S = 3600  # a temporary file left by a process that died while writing


class KeptFiles:
    """One .npz file per key in `folder`; `scope` (the database URL) keeps two databases' files apart."""

    def __init__(self, folder: Path, scope: str) -> None:
        self.folder = folder
        # newest_script is read once per process when the database is opened; a package version would cost
        # importlib.metadata's 0.5 s on every `qcode` command
        self.scope = f"{scope}\0format {FORMAT}\0schema {newest_script()}"

    def _path(self, key: str) -> Path:
        name = hashlib.sha256(f"{self.scope}\0{key}".encode()).hexdigest()[:32]
        return self.folder / f"{name}.npz"

    def load(self, key: str, token: tuple[int, ...]) -> dict[str, np.ndarray] | None:
        """The arrays kept for key in this database state, or None (none kept, another state, unreadable)."""
        return self.load_path(self._path(key), key, token)

    @staticmethod
    def load_path(path: Path, key: str, token: tuple[int, ...]) -> dict[str, np.ndarray] | None:
        import numpy as np

        try:
            with np.load(path, allow_pickle=False) as found:
                if str(found["key"]) != key or tuple(int(v) for v in found["token"]) != tuple(token):
                    return None
                return {name: found[name] for name in found.files if name not in ("key", "token")}
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            return None

    def save(self, key: str, token: tuple[int, ...], arrays: Mapping[str, np.ndarray]) -> None:
        """Keep arrays for key in this state; written to a temporary file and renamed, so a reader in another
        process sees the old file or the new one, never half of one. Failures (read-only folder, full disk)
        are ignored: the next reader counts again."""
        import numpy as np

        temporary = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temporary = self.folder / f".{secrets.token_hex(8)}.tmp"
            # Created with the umask's permissions (a temporary file's own are 0600): a dashboard running as
            # another account that shares the folder can read what the command line wrote.
            with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "wb") as out:
                contents: dict[str, Any] = {"key": np.array(key), "token": np.array(token, dtype=np.int64), **arrays}
                np.savez(out, **contents)
            os.replace(temporary, self._path(key))
            temporary = None
            self._prune()
        except OSError:
            pass
        finally:
            if temporary is not None:
                with contextlib.suppress(OSError):
                    temporary.unlink()

    def _prune(self) -> None:
        files = sorted(self.folder.glob("*.npz"), key=_modified, reverse=True)
        left = [path for path in self.folder.glob(".*.tmp") if time.time() - _modified(path) > STALE_TEMPORARY_S]
        for old in files[KEPT_FILES:] + left:
            with contextlib.suppress(OSError):
                old.unlink()


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
