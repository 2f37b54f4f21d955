"""Read members of an untrusted zip archive (a .qdpx) in memory, within limits.

Nothing is ever extracted to disk: members are looked up by name and read into bytes. Every entry name
is still checked, so an archive that tries a path escape (zip-slip), a symlink or encryption is refused
as a whole rather than half-read. Sizes are checked twice: the declared sizes up front (cheap, catches
declared bombs) and the bytes actually inflated while reading (catches headers that lie).
"""

from __future__ import annotations

import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from coding.errors import ImportFormatError

MIB = 1024 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class ArchiveLimits:
    max_entries: int = 10_000
    max_entry_bytes: int = 512 * MIB
    max_total_bytes: int = 2048 * MIB
    max_ratio: float = 200.0  # uncompressed / compressed size of one entry
    ratio_floor_bytes: int = MIB  # small entries compress oddly well; only larger ones are ratio-checked


class SafeArchive:
    """A zip archive whose entries were all checked; look members up case-insensitively."""

    def __init__(self, path: str | Path, limits: ArchiveLimits | None = None) -> None:
        self.path = str(path)
        self.limits = limits or ArchiveLimits()
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise ImportFormatError(path, f"not a readable zip archive ({exc})") from exc
        try:
            self._members = self._check_entries()
        except ImportFormatError:
            self._zip.close()
            raise

    def __enter__(self) -> SafeArchive:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    @property
    def names(self) -> list[str]:
        """Member file names (directories excluded), with '/' separators."""
        return [info.filename.replace("\\", "/") for info in self._members.values()]

    def find(self, name: str) -> str | None:
        """The member called name, ignoring case and '\\' vs '/', or None."""
        info = self._members.get(_key(name))
        return info.filename.replace("\\", "/") if info else None

    def read(self, name: str) -> bytes:
        info = self._members.get(_key(name))
        if info is None:
            raise ImportFormatError(self.path, f"no member {name!r} in the archive")
        limit = min(info.file_size, self.limits.max_entry_bytes)
        chunks: list[bytes] = []
        size = 0
        try:
            with self._zip.open(info) as stream:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise self._error(info.filename, "inflates beyond its declared size or the size limit")
                    chunks.append(chunk)
        except (zipfile.BadZipFile, EOFError, OSError, RuntimeError) as exc:
            raise self._error(info.filename, f"cannot be read ({exc})") from exc
        return b"".join(chunks)

    def _check_entries(self) -> dict[str, zipfile.ZipInfo]:
        infos = self._zip.infolist()
        if len(infos) > self.limits.max_entries:
            raise ImportFormatError(
                self.path,
                f"archive has {len(infos)} entries, more than the limit of {self.limits.max_entries}",
            )
        members: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in infos:
            self._check_entry(info)
            if info.is_dir():
                continue
            total += info.file_size
            if total > self.limits.max_total_bytes:
                raise ImportFormatError(
                    self.path, f"archive would inflate to more than {self.limits.max_total_bytes} bytes"
                )
            key = _key(info.filename)
            if key in members:
                raise self._error(info.filename, "appears twice in the archive (names compared without case)")
            members[key] = info
        return members

    def _check_entry(self, info: zipfile.ZipInfo) -> None:
        name = info.filename
        problem = unsafe_name(name)
        if problem:
            raise self._error(name, problem)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise self._error(name, "is a symbolic link")
        if info.flag_bits & 0x1:
            raise self._error(name, "is encrypted")
        if info.file_size > self.limits.max_entry_bytes:
            raise self._error(name, f"declares {info.file_size} bytes, more than {self.limits.max_entry_bytes}")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > self.limits.ratio_floor_bytes and ratio > self.limits.max_ratio:
            raise self._error(name, f"compression ratio {ratio:.0f}:1 looks like a zip bomb")

    def _error(self, member: str, message: str) -> ImportFormatError:
        return ImportFormatError(self.path, f"archive member {member!r} {message}")


def unsafe_name(name: str) -> str | None:
    """Why an entry name could escape an extraction folder, or None when it is a plain relative path."""
    if "\x00" in name:
        return "has a NUL byte in its name"
    normal = name.replace("\\", "/")
    if normal.startswith("/"):
        return "has an absolute path"
    if _DRIVE.match(normal):
        return "starts with a drive letter"
    if ".." in normal.split("/"):
        return "climbs out of the archive with '..'"
    return None


def _key(name: str) -> str:
    return name.replace("\\", "/").casefold()
