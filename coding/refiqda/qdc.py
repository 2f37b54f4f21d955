"""REFI-QDA codebooks (.qdc, namespace urn:QDA-XML:codebook:1.0) to and from qcode Codebooks.

The Codebook's name and version travel in the CodeBook's origin attribute ("qcode codebook <name>
version <version>"); a .qdc from another tool takes its name from the file name and has no version.
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree
from lxml.etree import SubElement

from coding.errors import ImportFormatError
from coding.models import Codebook
from coding.refiqda.codes import codebook_from_codes, codes_from_codebook
from coding.refiqda.reader import read_codes
from coding.refiqda.safexml import child, local, namespace, parse_xml
from coding.refiqda.schema import ImportReport, QdaExportError
from coding.refiqda.validate import code_problems
from coding.refiqda.writer import add_code_tree, atomic_output, clean, new_root, q, serialise

CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
CODEBOOK_NAMESPACES = {CODEBOOK_NS, "urn:QDA-XML:codebook:1:0", ""}
MAX_QDC_BYTES = 64 * 1024 * 1024
_ORIGIN = re.compile(r"^qcode codebook (?P<name>.*) version (?P<version>\S*)$")


def write_qdc(codebook: Codebook, path: str | Path) -> Path:
    path = Path(path)
    codes = codes_from_codebook(codebook)
    problems = code_problems(codes) or ([] if codes else ["a REFI-QDA codebook needs at least one code"])
    if problems:
        raise QdaExportError(path, problems)
    root = _root(f"qcode codebook {codebook.name} version {codebook.version}")
    add_code_tree(root[0], codes, {}, CODEBOOK_NS)
    data = serialise(root)
    with atomic_output(path) as stream:
        stream.write(data)
    return path


def read_qdc(path: str | Path) -> Codebook:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_QDC_BYTES:
            raise ImportFormatError(path, f"{size} bytes is more than a codebook should take")
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFormatError(path, f"cannot read the file ({exc.strerror})") from exc
    root = parse_xml(data, path)
    if local(root.tag) != "CodeBook" or namespace(root.tag) not in CODEBOOK_NAMESPACES:
        raise ImportFormatError(path, f"not a REFI-QDA codebook (root element {root.tag!r})")
    codes_element = child(root, "Codes")
    codes = read_codes(codes_element, ImportReport(str(path))) if codes_element is not None else []
    origin = _ORIGIN.match(root.get("origin", ""))
    name, version = (origin["name"], origin["version"]) if origin else (path.stem, "")
    return codebook_from_codes(codes, name=name, version=version, source_path=str(path))


def _root(origin: str) -> etree._Element:
    """A CodeBook element with an empty Codes child."""
    root = new_root("CodeBook", CODEBOOK_NS, origin=clean(origin))
    SubElement(root, q("Codes", CODEBOOK_NS))
    return root
