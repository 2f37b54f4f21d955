"""Read a .qdpx into a QdaProject, importing what qcode can use and reporting the rest item by item.

Tolerates what real exports do: Project.qde / project.qde, sources/ / Sources/, plainTextPath with or
without internal://, the namespace spelled 1:0, a BOM, CRLF, missing source files, non-text sources, and
no codings at all. Structural damage (not a zip, no project.qde, bad or unsafe XML) raises
ImportFormatError instead.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element

from coding.errors import ImportFormatError
from coding.refiqda.codes import normalise_color
from coding.refiqda.guids import guid_of, qcode_guid
from coding.refiqda.offsets import SourceText
from coding.refiqda.safexml import child, child_text, children, local, namespace, parse_xml
from coding.refiqda.safezip import ArchiveLimits, SafeArchive
from coding.refiqda.schema import (
    CODEPOINT,
    UTF16,
    VARIABLE_TYPES,
    ImportReport,
    QdaCase,
    QdaCode,
    QdaNote,
    QdaProject,
    QdaUser,
    QdaVariable,
)
from coding.refiqda.sources import SourceReader, claim

PROJECT_NAMESPACES = {"urn:QDA-XML:project:1.0", "urn:QDA-XML:project:1:0", ""}
# Programs built on UTF-16 strings count selection positions in UTF-16 code units (see offsets.py).
UTF16_ORIGINS = ("nvivo", "atlas.ti", "maxqda")
UNSKIPPED = ("Users", "CodeBook", "Variables", "Cases", "Sources", "Notes", "Description", "NoteRef")


def read_qdpx(
    path: str | Path, *, offset_unit: str = "auto", limits: ArchiveLimits | None = None
) -> tuple[QdaProject, ImportReport]:
    """offset_unit: "auto" (from the file's origin), "codepoint" or "utf16"."""
    with SafeArchive(path, limits) as archive:
        member = _project_member(archive)
        root = parse_xml(archive.read(member), path, member)
        if local(root.tag) != "Project" or namespace(root.tag) not in PROJECT_NAMESPACES:
            raise ImportFormatError(path, f"{member}: not a REFI-QDA project (root element {root.tag!r})")
        origin = root.get("origin", "")
        report = ImportReport(str(path), offset_unit=offset_unit_for(origin, offset_unit))
        return _ProjectReader(archive, report).read(root), report


def offset_unit_for(origin: str, requested: str = "auto") -> str:
    if requested in (CODEPOINT, UTF16):
        return requested
    if requested != "auto":
        raise ValueError(f"offset_unit must be 'auto', {CODEPOINT!r} or {UTF16!r}, not {requested!r}")
    return UTF16 if any(name in origin.lower() for name in UTF16_ORIGINS) else CODEPOINT


def read_codes(codes: Element, report: ImportReport, seen: set[str] | None = None) -> list[QdaCode]:
    """Nested Code elements as a flat list with parent guids, parents first. seen: GUIDs already
    used in the file, which a code may not take again."""
    result: list[QdaCode] = []
    seen = set() if seen is None else seen

    def walk(element: Element, parent: str | None) -> None:
        for item in children(element, "Code"):
            name = item.get("name", "")
            guid = guid_of(item) or qcode_guid("imported-code", f"{parent}/{name}")
            if not item.get("guid"):
                report.add("code", guid, name, "has no GUID; given one made from its name")
            if guid in seen:
                report.add("code", guid, name, "repeats a GUID used before; skipped with its sub-codes")
                continue
            seen.add(guid)
            codable = item.get("isCodable", "true").strip().lower() not in ("false", "0")
            description = child_text(item, "Description")
            result.append(QdaCode(guid, name, description, normalise_color(item.get("color", "")), codable, parent))
            walk(item, guid)

    walk(codes, None)
    return result


def _project_member(archive: SafeArchive) -> str:
    member = archive.find("project.qde")
    if member is None:
        candidates = [name for name in archive.names if name.lower().endswith(".qde") and "/" not in name]
        if len(candidates) != 1:
            raise ImportFormatError(archive.path, "no project.qde at the top of the archive")
        member = candidates[0]
    return member


class _ProjectReader:
    def __init__(self, archive: SafeArchive, report: ImportReport) -> None:
        self.archive = archive
        self.report = report
        self.seen: set[str] = set()  # every GUID taken so far: GUIDs are unique across the project

    def read(self, root: Element) -> QdaProject:
        project = QdaProject(name=root.get("name", ""), origin=root.get("origin", ""))
        project.users = self._users(root)
        codes = child(root, "CodeBook")
        codes = child(codes, "Codes") if codes is not None else None
        project.codes = read_codes(codes, self.report, self.seen) if codes is not None else []
        project.variables = self._variables(root)
        users = {user.guid for user in project.users}
        sources = SourceReader(self.archive, self.report, {c.guid for c in project.codes}, users, self.seen)
        for item in _items(root, "Sources"):
            sources.read(item)
        project.sources, project.selections = sources.sources, sources.selections
        project.cases = self._cases(root, project)
        project.notes = self._notes(root, project, sources)
        self._report_skipped(root)
        sources.report_unknown_users()
        return project

    def _users(self, root: Element) -> list[QdaUser]:
        users = []
        for item in _items(root, "Users"):
            if self._claim(item, "user"):
                users.append(QdaUser(guid_of(item), item.get("name") or item.get("id") or ""))
        return users

    def _variables(self, root: Element) -> list[QdaVariable]:
        variables = []
        for item in _items(root, "Variables"):
            if not self._claim(item, "variable"):
                continue
            name, kind = item.get("name", ""), item.get("typeOfVariable", "Text")
            if kind not in VARIABLE_TYPES:
                self.report.add("variable", guid_of(item), name, f"unknown type {kind!r}; read as Text")
                kind = "Text"
            variables.append(QdaVariable(guid_of(item), name, kind, child_text(item, "Description")))
        return variables

    def _cases(self, root: Element, project: QdaProject) -> list[QdaCase]:
        variables = {variable.guid for variable in project.variables}
        sources = {source.guid for source in project.sources}
        cases = []
        for item in _items(root, "Cases"):
            if not self._claim(item, "case"):
                continue
            case = QdaCase(guid_of(item), item.get("name", ""), description=child_text(item, "Description"))
            for value in children(item, "VariableValue"):
                ref = child(value, "VariableRef")
                variable = guid_of(ref, "targetGUID") if ref is not None else ""
                if variable in variables:
                    case.values[variable] = _value_text(value)
                else:
                    reason = f"value for an unknown variable {variable or '(none)'} skipped"
                    self.report.add("case", case.guid, case.name, reason)
            for ref in children(item, "SourceRef"):
                source = guid_of(ref, "targetGUID")
                if source in sources:
                    case.sources.append(source)
                else:
                    self.report.add("case", case.guid, case.name, f"member source {source} was not imported")
            if children(item, "CodeRef") or children(item, "SelectionRef"):
                reason = "links from the case to codes or selections are not imported"
                self.report.add("case", case.guid, case.name, reason)
            cases.append(case)
        return cases

    def _notes(self, root: Element, project: QdaProject, sources: SourceReader) -> list[QdaNote]:
        targets = _note_targets(root)
        imported = {c.guid for c in project.codes} | {s.guid for s in project.sources}
        imported |= {s.guid for s in project.selections}
        notes = []
        for item in _items(root, "Notes"):
            if not self._claim(item, "note"):
                continue
            guid, name = guid_of(item), item.get("name", "")
            text = SourceReader.inline_or_file(self.archive, item)
            if text is None:
                self.report.add("note", guid, name, "its text is missing from the archive")
                continue
            attached = targets.get(guid, [])
            target = attached[0] if attached else None
            if target is not None and target not in imported:
                self.report.add("note", guid, name, "was attached to an item that was not imported")
                target = None
            if len(attached) > 1:
                self.report.add("note", guid, name, f"attached to {len(attached)} items; kept the first only")
            notes.append(QdaNote(guid, name, SourceText(text, CODEPOINT).text, target, sources.user_of(item)))
        return notes + sources.comment_notes

    def _report_skipped(self, root: Element) -> None:
        for section in root:
            kind = local(section.tag)
            if kind in UNSKIPPED:
                continue
            for item in section:
                label = local(item.tag).lower()
                self.report.add(label, guid_of(item), item.get("name", ""), f"{label}s are not imported")

    def _claim(self, item: Element, kind: str) -> bool:
        return claim(self.seen, self.report, kind, guid_of(item), item.get("name", ""))


def _items(root: Element, section: str) -> list[Element]:
    found = child(root, section)
    return list(found) if found is not None else []


def _value_text(value: Element) -> str:
    for item in value:
        if local(item.tag) != "VariableRef":
            return (item.text or "").strip()
    return ""


def _note_targets(root: Element) -> dict[str, list[str]]:
    """note guid -> guids of the items carrying a NoteRef to it (the project itself counts as none)."""
    targets: dict[str, list[str]] = {}
    for holder in root.iter():
        for ref in children(holder, "NoteRef"):
            owner = guid_of(holder) if holder is not root else ""
            if owner:
                targets.setdefault(guid_of(ref, "targetGUID"), []).append(owner)
    return targets
