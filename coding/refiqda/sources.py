"""Read the Sources section of a project.qde: text sources with their selections; report everything else."""

from __future__ import annotations

from collections import Counter
from xml.etree.ElementTree import Element

from coding.refiqda.guids import guid_of, qcode_guid
from coding.refiqda.offsets import SourceText
from coding.refiqda.safexml import child, child_text, children, local
from coding.refiqda.safezip import SafeArchive, unsafe_name
from coding.refiqda.schema import ImportReport, QdaCoding, QdaNote, QdaSelection, QdaSource

MEDIA = {"PDFSource": "PDF", "PictureSource": "picture", "AudioSource": "audio", "VideoSource": "video"}
INTERNAL = "internal://"


class SourceReader:
    def __init__(
        self, archive: SafeArchive, report: ImportReport, codes: set[str], users: set[str], seen: set[str]
    ) -> None:
        self.archive, self.report = archive, report
        self.codes, self.users = codes, users
        self.seen = seen  # GUIDs taken so far in the whole project
        self.sources: list[QdaSource] = []
        self.selections: list[QdaSelection] = []
        self.comment_notes: list[QdaNote] = []  # selection descriptions, kept as notes on the selection
        self._unknown_users: Counter[str] = Counter()

    def read(self, item: Element) -> None:
        kind = local(item.tag)
        if kind == "TextSource":
            self._text_source(item)
        else:
            media = MEDIA.get(kind, kind)
            self._skip(item, f"{media} sources are not imported (qcode codes text)")

    def report_unknown_users(self) -> None:
        for guid, count in self._unknown_users.items():
            self.report.add("user", guid, "", f"not declared but named by {count} items; imported without a user")

    def _text_source(self, item: Element) -> None:
        guid = guid_of(item)
        name = item.get("name") or item.get("plainTextPath", "").rpartition("/")[2] or guid
        if not claim(self.seen, self.report, "source", guid, name):
            self._skip_selections(item, name)
            return
        raw, where = _load_text(self.archive, item)
        if raw is None:
            self._skip(item, where, name)
            return
        text = SourceText(raw, self.report.offset_unit)
        source = QdaSource(guid, name, text.text, where)
        self.sources.append(source)
        for selection in children(item, "PlainTextSelection"):
            self._selection(selection, source, text)
        for coding in children(item, "Coding"):
            self.report.add("coding", guid_of(coding), name, "codes a whole source; qcode codes passages")
        if children(item, "VariableValue"):
            self.report.add("source", guid, name, "variable values on sources are not imported (use cases)")

    def _selection(self, item: Element, source: QdaSource, text: SourceText) -> None:
        start, end = item.get("startPosition", ""), item.get("endPosition", "")
        guid, label = guid_of(item), item.get("name") or f"{source.name} {start}-{end}"
        if not claim(self.seen, self.report, "selection", guid, label):
            return
        try:
            first, last = text.index(int(start)), text.index(int(end))
        except ValueError:
            first = last = None
        if first is None or last is None or first > last:
            unit = self.report.offset_unit
            reason = f"positions {start}-{end} do not fit its text ({text.length} {unit} units)"
            self.report.add("selection", guid, label, reason)
            return
        user = self.user_of(item)
        selection = QdaSelection(guid, source.guid, first, last, user)
        for coding in children(item, "Coding"):
            ref = child(coding, "CodeRef")
            code = guid_of(ref, "targetGUID") if ref is not None else ""
            if code in self.codes:
                selection.codings.append(QdaCoding(code, self.user_of(coding) or user))
            else:
                self.report.add("coding", guid_of(coding), label, f"refers to unknown code {code or '(none)'}")
        self.selections.append(selection)
        comment = child_text(item, "Description").strip()
        if comment:
            note = QdaNote(qcode_guid("comment", guid), f"Comment on {label}", comment, guid, user)
            self.comment_notes.append(note)

    def _skip(self, item: Element, reason: str, name: str = "") -> None:
        """Report a source that is not imported, and each selection on it."""
        name = name or item.get("name", "")
        self.report.add("source", guid_of(item), name, reason)
        self._skip_selections(item, name)

    def _skip_selections(self, item: Element, name: str) -> None:
        for selection in item.iter():
            if local(selection.tag).endswith("Selection"):
                label = selection.get("name") or name
                self.report.add("selection", guid_of(selection), label, f"its source {name!r} was not imported")

    def user_of(self, item: Element) -> str:
        """The creatingUser's GUID, or "" when the file never declared that user (counted for the report)."""
        guid = guid_of(item, "creatingUser")
        if guid and guid not in self.users:
            self._unknown_users[guid] += 1
            return ""
        return guid

    @staticmethod
    def inline_or_file(archive: SafeArchive, item: Element) -> str | None:
        """The text of a TextSource or Note: inline PlainTextContent or its plainTextPath file."""
        return _load_text(archive, item)[0]


def claim(seen: set[str], report: ImportReport, kind: str, guid: str, name: str) -> bool:
    """Take guid for an item, or report why the item is skipped (no GUID, or one already taken)."""
    problem = "has no GUID" if not guid else "repeats a GUID used before" if guid in seen else ""
    if problem:
        report.add(kind, guid, name, f"{problem}; skipped")
        return False
    seen.add(guid)
    return True


def _load_text(archive: SafeArchive, item: Element) -> tuple[str | None, str]:
    """(text, archive member) or (None, why not)."""
    inline = child(item, "PlainTextContent")
    if inline is not None:
        return inline.text or "", ""
    reference = item.get("plainTextPath", "").strip()
    if not reference:
        return None, "has neither text nor a plainTextPath"
    member = _member(archive, reference)
    if member is None:
        return None, f"its text file {reference!r} is not in the archive"
    data = archive.read(member)
    # The standard says UTF-8; a UTF-16 file announces itself with its BOM.
    encoding = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8"
    try:
        return data.decode(encoding), member
    except UnicodeDecodeError:
        return None, f"its text file {member!r} is not {encoding.upper()} text"


def _member(archive: SafeArchive, reference: str) -> str | None:
    """The archive member a plainTextPath names: internal://x.txt and bare x.txt live in sources/;
    relative:// and absolute paths point outside the archive."""
    if reference.lower().startswith(INTERNAL):
        reference = reference[len(INTERNAL) :]
    elif "://" in reference or unsafe_name(reference):
        return None
    for candidate in (f"sources/{reference}", reference):
        found = archive.find(candidate)
        if found:
            return found
    return None
