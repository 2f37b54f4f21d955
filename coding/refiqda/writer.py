"""Write a QdaProject as a .qdpx: project.qde (QDA-XML 1.0) plus sources/<guid>.txt in UTF-8 with LF.

Offsets are written as code points (qcode's own unit), and the origin is always "qcode" (whatever the
project's origin was when imported), which tells the reader to count code points. Output is
byte-for-byte stable for the same project (fixed zip timestamps, file order), and written to a
temporary file first so a failed export never leaves half a file behind.
"""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from lxml import etree
from lxml.etree import SubElement

from coding.refiqda.guids import qcode_guid
from coding.refiqda.schema import QdaCase, QdaCode, QdaExportError, QdaProject, QdaSelection, QdaSource
from coding.refiqda.validate import VALUE_FORMS, project_problems

PROJECT_NS = "urn:QDA-XML:project:1.0"
ORIGIN = "qcode"
VALUE_ELEMENTS = {kind: f"{kind}Value" for kind in ("Text", "Boolean", "Integer", "Float", "Date", "DateTime")}
# Characters XML 1.0 cannot carry at all; they are dropped from names and descriptions.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def write_qdpx(project: QdaProject, path: str | Path) -> Path:
    path = Path(path)
    problems = project_problems(project)
    if problems:
        raise QdaExportError(path, problems)
    xml = serialise(project_element(project))
    with atomic_output(path) as stream, zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        _add(archive, "project.qde", xml)
        for source in project.sources:
            _add(archive, f"sources/{source.guid}.txt", source.text.encode("utf-8"))
    return path


def project_element(project: QdaProject) -> etree._Element:
    notes_on = _notes_by_target(project)
    root = new_root("Project", PROJECT_NS, name=clean(project.name), origin=ORIGIN)
    if project.users:
        users = SubElement(root, q("Users"))
        for user in project.users:
            element(users, "User", guid=user.guid, name=user.name)
    if project.codes:
        codes = SubElement(SubElement(root, q("CodeBook")), q("Codes"))
        add_code_tree(codes, project.codes, notes_on, PROJECT_NS)
    if project.variables:
        variables = SubElement(root, q("Variables"))
        for variable in project.variables:
            item = element(variables, "Variable", guid=variable.guid)
            item.set("name", clean(variable.name))
            item.set("typeOfVariable", variable.type)
            text_child(item, "Description", variable.description)
    if project.cases:
        cases = SubElement(root, q("Cases"))
        types = {variable.guid: variable.type for variable in project.variables}
        for case in project.cases:
            _case(cases, case, types)
    if project.sources:
        selections = defaultdict(list)
        for selection in project.selections:
            selections[selection.source].append(selection)
        sources = SubElement(root, q("Sources"))
        for source in project.sources:
            _text_source(sources, source, selections[source.guid], notes_on)
    if project.notes:
        notes = SubElement(root, q("Notes"))
        for note in project.notes:
            item = element(notes, "Note", guid=note.guid, name=note.name, creatingUser=note.user)
            text_child(item, "PlainTextContent", note.text)
    return root


def add_code_tree(parent: etree._Element, codes: list[QdaCode], notes_on: dict[str, list[str]], ns: str) -> None:
    """Nest codes under their parents, keeping list order among siblings."""
    children = defaultdict(list)
    for code in codes:
        children[code.parent].append(code)

    def add(into: etree._Element, code: QdaCode) -> None:
        item = element(into, "Code", ns, guid=code.guid)
        item.set("name", clean(code.name))  # required, even when empty
        item.set("isCodable", "true" if code.is_codable else "false")
        if code.color:
            item.set("color", code.color)
        text_child(item, "Description", code.description, ns)
        note_refs(item, notes_on.get(code.guid, []), ns)
        for kid in children[code.guid]:
            add(item, kid)

    for code in children[None]:
        add(parent, code)


def _text_source(
    parent: etree._Element, source: QdaSource, selections: list[QdaSelection], notes_on: dict[str, list[str]]
) -> None:
    item = element(parent, "TextSource", guid=source.guid, name=source.name)
    item.set("plainTextPath", f"internal://{source.guid}.txt")
    for selection in selections:
        _selection(item, selection, notes_on)
    note_refs(item, notes_on.get(source.guid, []))


def _selection(parent: etree._Element, selection: QdaSelection, notes_on: dict[str, list[str]]) -> None:
    item = element(parent, "PlainTextSelection", guid=selection.guid)
    item.set("startPosition", str(selection.start))
    item.set("endPosition", str(selection.end))
    if selection.user:
        item.set("creatingUser", selection.user)
    for coding in dict.fromkeys(selection.codings):  # the same code by the same user counts once
        guid = qcode_guid("coding", f"{selection.guid}:{coding.code}:{coding.user}")
        kept = element(item, "Coding", guid=guid, creatingUser=coding.user)
        element(kept, "CodeRef", targetGUID=coding.code)
    note_refs(item, notes_on.get(selection.guid, []))


def _case(parent: etree._Element, case: QdaCase, types: dict[str, str]) -> None:
    item = element(parent, "Case", guid=case.guid, name=case.name)
    text_child(item, "Description", case.description)
    for variable, value in case.values.items():
        holder = element(item, "VariableValue")
        element(holder, "VariableRef", targetGUID=variable)
        kind = types[variable]
        if value or kind not in VALUE_FORMS:  # an empty typed value is written as no value
            text_child(holder, VALUE_ELEMENTS[kind], value, keep_empty=True)
    for source in case.sources:
        element(item, "SourceRef", targetGUID=source)


def _notes_by_target(project: QdaProject) -> dict[str, list[str]]:
    notes_on: dict[str, list[str]] = defaultdict(list)
    for note in project.notes:
        if note.target is not None:
            notes_on[note.target].append(note.guid)
    return notes_on


def note_refs(parent: etree._Element, guids: list[str], ns: str = PROJECT_NS) -> None:
    for guid in guids:
        element(parent, "NoteRef", ns, targetGUID=guid)


def q(tag: str, ns: str = PROJECT_NS) -> str:
    return f"{{{ns}}}{tag}"


def element(parent: etree._Element, tag: str, ns: str = PROJECT_NS, **attributes: str) -> etree._Element:
    """A child element; empty attributes are left out, so pass only optional ones here."""
    return SubElement(parent, q(tag, ns), {key: clean(value) for key, value in attributes.items() if value})


def text_child(parent: etree._Element, tag: str, text: str, ns: str = PROJECT_NS, *, keep_empty: bool = False) -> None:
    if text or keep_empty:
        SubElement(parent, q(tag, ns)).text = clean(text)


def clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def new_root(tag: str, ns: str, **attributes: str) -> etree._Element:
    """A root element declaring ns as the default namespace, which its descendants share."""
    return etree.Element(q(tag, ns), attributes, nsmap={None: ns})


def serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)


@contextmanager
def atomic_output(path: Path) -> Iterator[IO[bytes]]:
    """A binary stream that becomes path only if the block finishes without an error."""
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise QdaExportError(path, [f"cannot write here: {exc.strerror}"]) from exc
    try:
        with os.fdopen(handle, "wb") as stream:
            yield stream
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)
