"""Read transcript files into Documents: front matter, speaker turns, paragraphs, exact offsets.

The document text that offsets refer to is the file's text after the front matter block, with line
endings normalised to "\\n" (shared/CLI-CONTRACT.md). Nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import IngestError, offset_in_file
from .models import INTERVIEWER, RESPONDENT, Document, Turn
from .names import name_problem
from .safe_yaml import YamlBudgetError, load_yaml

SUFFIXES = (".txt", ".md", ".docx")
DEFAULT_INTERVIEWER_LABELS = ("Interviewer", "I", "Q", "Int", "Moderator", "Facilitator")
# Labels that always mean "the respondent", whatever their id.
GENERIC_RESPONDENT_LABELS = ("Respondent", "R", "A", "Interviewee")

# A speaker label: up to four words at the start of a line, each starting with a capital, a digit or
# a bracket (pseudonyms such as "[PERSON_3]"), followed by a colon and a space or the line's end.
# Capitals of every script in the Basic Multilingual Plane, so that "Нодира:" is a label like "Nodira:".
_CAPITALS = re.escape("".join(ch for ch in map(chr, range(0x10000)) if ch.isupper() or ch.istitle()))
_WORD_START = rf"[\[0-9{_CAPITALS}]"
LABEL_RE = re.compile(
    rf"^(?P<label>{_WORD_START}[\w.'\[\]\-]*(?: {_WORD_START}[\w.'\[\]\-]*){{0,3}}):(?:[ \t]+|$)", re.M
)
RESPONDENT_ID_IN_NAME = re.compile(r"^([A-Za-z]{0,4}\d+)(?:[\W_]|$)")
_BLANK_LINE = re.compile(r"\n\s*\n")  # what separates paragraphs: a line with nothing but white space
FRONT_MATTER_FENCE = "---"
FRONT_MATTER_VALUES = 2_000  # respondent attributes: a few dozen key: value lines
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader when PyYAML has it


@dataclass(frozen=True)
class TranscriptOptions:
    interviewer_labels: tuple[str, ...] = DEFAULT_INTERVIEWER_LABELS
    encoding: str | None = None  # None: UTF-8 (a BOM is tolerated)


@dataclass(frozen=True)
class FrontMatter:
    attributes: dict[str, str]
    body: str  # text after the block, "\n" line endings
    body_line: int  # 1-based line number in the file where body starts


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def find_transcripts(paths: Iterable[str | Path]) -> list[Path]:
    """Expand files and folders into transcript files, sorted, refusing unknown file types."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file()))
        elif path.is_file():
            if path.suffix.lower() not in SUFFIXES:
                raise IngestError(path, f"not a transcript file type (use {', '.join(SUFFIXES)})")
            found.append(path)
        else:
            raise IngestError(path, "no such file or folder")
    seen: dict[str, Path] = {}
    for path in found:
        if path.stem in seen:
            raise IngestError(path, f"duplicate document name {path.stem!r} (also {seen[path.stem]})")
        seen[path.stem] = path
    return found


def read_text_file(path: Path, encoding: str | None = None) -> str:
    """File text with "\\n" line endings; clear errors for binary, non-UTF-8, empty and NUL-bearing files."""
    if path.suffix.lower() == ".docx":
        text = _read_docx(path)
    else:
        data = path.read_bytes()
        wide = (encoding or "").lower().replace("-", "").replace("_", "").startswith(("utf16", "utf32"))
        if not wide and b"\x00" in data[:8192]:
            hint = "; it looks like UTF-16: pass --encoding utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
            raise IngestError(path, f"binary file, not a text transcript{hint}")
        try:
            text = data.decode(encoding or "utf-8-sig")
        except UnicodeDecodeError as exc:
            if not data.endswith(exc.object):  # a codec that decodes parts of its own (idna: one label)
                raise IngestError(path, f"not valid {encoding} ({exc.reason}); save it as UTF-8") from None
            offset = offset_in_file(data, exc)
            raise IngestError(
                path,
                f"not valid {encoding or 'UTF-8'} (byte 0x{data[offset]:02x} at offset {offset}); "
                "save it as UTF-8 or pass --encoding",
            ) from None
        except UnicodeError as exc:  # a codec that is not a byte decoder ("undefined", "idna", "punycode")
            raise IngestError(path, f"not readable as {encoding} ({exc}); save it as UTF-8") from None
        except LookupError:
            raise IngestError(path, f"unknown encoding {encoding!r}") from None
        text = text.lstrip("\ufeff")
    if "\x00" in text:  # no database stores it in text (PostgreSQL refuses), and no transcript needs it
        raise IngestError(path, f"contains a NUL character at offset {text.index(chr(0))}: not a text transcript")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise IngestError(path, "empty file")
    return text


# A Word transcript of a long interview is a few MB unpacked; these limits refuse zip bombs long before memory.
DOCX_LIMITS_BYTES = 256 * 1024 * 1024


def _read_docx(path: Path) -> str:
    import zipfile

    import docx  # python-docx
    from docx.opc.exceptions import OpcError
    from lxml import etree

    from .errors import ImportFormatError
    from .refiqda.safezip import ArchiveLimits, SafeArchive

    limits = ArchiveLimits(max_entry_bytes=DOCX_LIMITS_BYTES, max_total_bytes=DOCX_LIMITS_BYTES)
    try:
        with SafeArchive(path, limits) as archive:
            body = archive.find("word/document.xml")
            if body is None:
                raise IngestError(path, "not a readable .docx file: no word/document.xml in the archive")
            if b"<!DOCTYPE" in archive.read(body)[:4096].upper():
                raise IngestError(path, "word/document.xml declares a DTD (entities), which Word never writes")
    except ImportFormatError as exc:  # says which member is too large or unsafe, after the path
        raise IngestError(path, f"not a readable .docx file: {str(exc).removeprefix(exc.path + ': ')}") from None
    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, OpcError, etree.LxmlError) as exc:
        # python-docx's KeyError names the missing part ("no relationship of type ..."); others say enough
        detail = str(exc).strip("'\"").splitlines()[0][:120] if str(exc) else exc.__class__.__name__
        raise IngestError(path, f"not a readable .docx file ({detail})") from None
    # Each Word paragraph is a paragraph of the transcript: blank lines separate paragraphs (the contract).
    return "\n\n".join(paragraph.text for paragraph in document.paragraphs)


def split_front_matter(text: str, path: str | Path = "<text>") -> FrontMatter:
    """Separate an optional YAML block between '---' lines from the body."""
    if not (text.startswith(FRONT_MATTER_FENCE + "\n") or text.rstrip("\n") == FRONT_MATTER_FENCE):
        return FrontMatter({}, text, 1)
    lines = text.split("\n")
    try:
        close = next(i for i in range(1, len(lines)) if lines[i].rstrip() == FRONT_MATTER_FENCE)
    except StopIteration:
        raise IngestError(path, "front matter opened with '---' is never closed", line=1) from None
    block = "\n".join(lines[1:close])
    try:
        data = load_yaml(block, _YAML_LOADER, max_values=FRONT_MATTER_VALUES) if block.strip() else {}
    except YamlBudgetError as exc:
        raise IngestError(path, f"front matter refused: {exc}", line=2) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise IngestError(path, f"malformed front matter: {problem}", line=line) from None
    if not isinstance(data, dict):
        raise IngestError(path, "malformed front matter: expected 'key: value' lines", line=2)
    attributes = {str(key): _scalar(value) for key, value in data.items() if value is not None}
    body = "\n".join(lines[close + 1 :])
    return FrontMatter(attributes, body, close + 2)


def _scalar(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def respondent_id_for(path: Path, attributes: dict[str, str]) -> str:
    declared = attributes.get("respondent_id", "").strip()
    if declared:
        problem = name_problem(declared)
        if problem:
            raise IngestError(path, f"respondent_id {declared[:40]!r}: {problem}")
        return declared
    match = RESPONDENT_ID_IN_NAME.match(path.stem)
    if match:
        return match.group(1)
    raise IngestError(
        path,
        "missing respondent_id: add it to the front matter or name the file after the respondent (R07.txt)",
    )


def parse_turns(
    body: str,
    path: str | Path,
    respondent_id: str,
    options: TranscriptOptions,
    declared_speakers: Sequence[str] = (),
    first_line: int = 1,
) -> list[Turn]:
    """Split the body into speaker turns with offsets of their content and of each paragraph."""
    labels = list(LABEL_RE.finditer(body))
    if not labels:
        raise IngestError(path, "no speaker labels found (a turn starts with 'Speaker:' at a line start)")
    leading = body[: labels[0].start()]
    if leading.strip():
        line = first_line + len(leading[: len(leading) - len(leading.lstrip())].split("\n")) - 1
        raise IngestError(path, "text before the first speaker label", line=line)
    interviewer = {label.casefold() for label in options.interviewer_labels}
    known_respondent = {label.casefold() for label in (*GENERIC_RESPONDENT_LABELS, respondent_id, *declared_speakers)}
    # A respondent may be labelled by name: one such label is accepted, but only in a transcript that does
    # not also use a known respondent label (there a second name is a speaker nobody declared).
    uses_known = any(match.group("label").casefold() in known_respondent for match in labels)
    undeclared: str | None = "" if uses_known else None
    turns: list[Turn] = []
    for index, match in enumerate(labels):
        speaker = match.group("label")
        key = speaker.casefold()
        if key in interviewer:
            role = INTERVIEWER
        elif key in known_respondent or undeclared in (None, key):
            role = RESPONDENT
            if key not in known_respondent:
                undeclared = key
        else:
            line = first_line + body.count("\n", 0, match.start())
            raise IngestError(
                path,
                f"unknown speaker label {speaker!r}: add it to the front matter 'speakers' list "
                "or to the project's interviewer labels",
                line=line,
            )
        end = labels[index + 1].start() if index + 1 < len(labels) else len(body)
        turns.append(make_turn(body, index, speaker, role, match.end(), end))
    return turns


def make_turn(body: str, index: int, speaker: str, role: str, start: int, end: int) -> Turn:
    """A turn spanning its content without surrounding whitespace, with blank-line paragraphs."""
    paragraphs: list[tuple[int, int]] = []
    piece_start = start
    # The pieces between blank lines, each trimmed: a search for the gaps, not a walk over every character.
    for gap in [*_BLANK_LINE.finditer(body, start, end), None]:
        piece_end = gap.start() if gap else end
        block_start, block_end = piece_start, piece_end
        while block_start < block_end and body[block_start].isspace():
            block_start += 1
        while block_end > block_start and body[block_end - 1].isspace():
            block_end -= 1
        if block_end > block_start:
            paragraphs.append((block_start, block_end))
        if gap:
            piece_start = gap.end()
    if not paragraphs:
        return Turn(index, speaker, role, start, start, ())
    return Turn(index, speaker, role, paragraphs[0][0], paragraphs[-1][1], tuple(paragraphs))


def read_transcript(path: str | Path, options: TranscriptOptions | None = None) -> Document:
    """Parse one transcript file into a Document (no database involved)."""
    options = options or TranscriptOptions()
    path = Path(path)
    text = read_text_file(path, options.encoding)
    front = split_front_matter(text, path)
    respondent_id = respondent_id_for(path, front.attributes)
    declared = [s.strip() for s in front.attributes.get("speakers", "").split(",") if s.strip()]
    turns = parse_turns(front.body, path, respondent_id, options, declared, front.body_line)
    if not any(turn.role == RESPONDENT and turn.end > turn.start for turn in turns):
        raise IngestError(path, "no respondent turn with text")
    attributes = {k: v for k, v in front.attributes.items() if k not in ("respondent_id", "speakers")}
    return Document(
        name=path.stem,
        respondent_id=respondent_id,
        text=front.body,
        turns=turns,
        attributes=attributes,
        sha256=sha256_text(text),
        source_path=str(path),
    )
