"""Untrusted .qdpx archives: each attack raises a clear ImportFormatError and writes nothing anywhere."""

from __future__ import annotations

import stat
import struct
import time
import zipfile
from pathlib import Path

import pytest

from coding.errors import ImportFormatError, QcodeError
from coding.refiqda import ArchiveLimits, read_qdpx
from coding.refiqda.safezip import SafeArchive, unsafe_name

PROJECT = b'<Project xmlns="urn:QDA-XML:project:1.0" name="x"/>'


def archive(path: Path, members: dict[str, bytes], *, deflate: bool = True) -> Path:
    method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", method) as zipped:
        for name, data in members.items():
            zipped.writestr(name, data)
    return path


def patch_central_directory(path: Path, offset: int, fmt: str, value: int) -> None:
    """Overwrite one field of the first central-directory header (e.g. a declared size or flags)."""
    data = bytearray(path.read_bytes())
    header = data.index(b"PK\x01\x02")
    struct.pack_into(fmt, data, header + offset, value)
    path.write_bytes(bytes(data))


def assert_refused(path: Path, match: str, limits: ArchiveLimits | None = None) -> ImportFormatError:
    before = sorted(path.parent.rglob("*"))
    with pytest.raises(ImportFormatError, match=match) as caught:
        read_qdpx(path, limits=limits)
    assert isinstance(caught.value, QcodeError)
    assert caught.value.path == str(path)
    assert sorted(path.parent.rglob("*")) == before  # nothing extracted, next to it or below
    assert not list(path.parent.parent.glob("evil*"))
    return caught.value


@pytest.mark.parametrize(
    "name",
    ["../evil.txt", "sources/../../evil.txt", "/tmp/evil.txt", "C:/evil.txt", "..\\evil.txt", "\\evil.txt"],
)
def test_zip_slip_names_are_refused(tmp_path, name):
    path = archive(tmp_path / "slip.qdpx", {"project.qde": PROJECT, name: b"owned"})
    assert_refused(path, "absolute path|drive letter|climbs out")


def test_safe_names():
    assert unsafe_name("sources/a..b.txt") is None
    assert unsafe_name("Sources/x.txt") is None
    assert unsafe_name("a\x00b") is not None


def test_symlink_entry_is_refused(tmp_path):
    path = tmp_path / "link.qdpx"
    link = zipfile.ZipInfo("sources/x.txt")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(path, "w") as zipped:
        zipped.writestr("project.qde", PROJECT)
        zipped.writestr(link, "/etc/passwd")
    assert_refused(path, "symbolic link")


def test_xxe_is_refused_without_reading_the_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    qde = (
        f'<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        '<Project xmlns="urn:QDA-XML:project:1.0" name="&xxe;"/>'
    ).encode()
    error = assert_refused(archive(tmp_path / "xxe.qdpx", {"project.qde": qde}), "DTD")
    assert "TOP-SECRET" not in str(error)


def test_billion_laughs_is_refused_quickly(tmp_path):
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    )
    qde = f'<!DOCTYPE Project [{entities}]><Project name="&lol9;"/>'.encode()
    started = time.perf_counter()
    assert_refused(archive(tmp_path / "lol.qdpx", {"project.qde": qde}), "DTD")
    assert time.perf_counter() - started < 1


def test_declared_size_bomb_is_refused_before_inflating(tmp_path):
    path = archive(tmp_path / "big.qdpx", {"project.qde": PROJECT})
    patch_central_directory(path, 24, "<I", 0xFFFF_FFF0)  # uncompressed size: ~4 GiB
    assert_refused(path, "declares 4294967280 bytes")


def test_compression_ratio_bomb_is_refused(tmp_path):
    path = archive(tmp_path / "ratio.qdpx", {"project.qde": PROJECT, "sources/zeros.txt": bytes(4 * 2**20)})
    assert_refused(path, "compression ratio")


def test_header_that_understates_the_size_is_caught_while_reading(tmp_path):
    path = archive(tmp_path / "liar.qdpx", {"project.qde": PROJECT + b" " * 5000})
    patch_central_directory(path, 24, "<I", 10)  # claims 10 bytes; inflates to 5 KB
    assert_refused(path, "inflates beyond|cannot be read")


def test_total_size_limit(tmp_path):
    members = {"project.qde": PROJECT} | {f"sources/{i}.txt": bytes(range(256)) * 40 for i in range(5)}
    path = archive(tmp_path / "total.qdpx", members)
    assert_refused(path, "inflate to more than", ArchiveLimits(max_total_bytes=30_000))


def test_too_many_files(tmp_path):
    path = tmp_path / "many.qdpx"
    with zipfile.ZipFile(path, "w") as zipped:
        zipped.writestr("project.qde", PROJECT)
        for i in range(ArchiveLimits().max_entries):
            zipped.writestr(f"sources/{i}.txt", b"")
    assert_refused(path, "10001 entries, more than the limit of 10000")


def test_encrypted_entry_is_refused(tmp_path):
    path = archive(tmp_path / "enc.qdpx", {"project.qde": PROJECT})
    patch_central_directory(path, 8, "<H", 0x1)
    assert_refused(path, "encrypted")


def test_names_differing_only_in_case_are_refused(tmp_path):
    path = archive(tmp_path / "dup.qdpx", {"project.qde": PROJECT, "Project.qde": PROJECT})
    assert_refused(path, "appears twice")


def test_lookup_ignores_case_and_separators(tmp_path):
    path = archive(tmp_path / "ok.qdpx", {"Project.qde": PROJECT, "Sources\\A.txt": b"a", "Sources/": b""})
    with SafeArchive(path) as safe:
        assert safe.find("project.QDE") == "Project.qde"
        assert safe.find("sources/a.txt") == "Sources/A.txt"
        assert safe.read("SOURCES/a.TXT") == b"a"
        assert safe.find("sources/missing.txt") is None
        with pytest.raises(ImportFormatError, match="no member"):
            safe.read("missing")
