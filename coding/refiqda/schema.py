"""Plain dataclasses for the part of the REFI-QDA exchange model that qcode reads and writes.

GUIDs are stored lower-case without braces. Selection offsets are Python str indices (code points) into
QdaSource.text, which always uses "\\n" line ends and never starts with a BOM; end is exclusive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from coding.errors import QcodeError

VARIABLE_TYPES = ("Text", "Boolean", "Integer", "Float", "Date", "DateTime")

# Units a file's startPosition/endPosition may count (see reader.offset_unit_for).
CODEPOINT, UTF16 = "codepoint", "utf16"


@dataclass
class QdaUser:
    guid: str
    name: str = ""


@dataclass
class QdaCode:
    guid: str
    name: str
    description: str = ""
    color: str = ""  # "#RRGGBB" or "#RGB", or "" for none
    is_codable: bool = True
    parent: str | None = None  # guid of the parent code; children are the codes naming this one


@dataclass
class QdaVariable:
    guid: str
    name: str
    type: str = "Text"  # one of VARIABLE_TYPES
    description: str = ""


@dataclass
class QdaCase:
    guid: str
    name: str
    values: dict[str, str] = field(default_factory=dict)  # variable guid -> value as written in XML
    sources: list[str] = field(default_factory=list)  # guids of member text sources
    description: str = ""


@dataclass
class QdaSource:
    guid: str
    name: str
    text: str
    # Where the text came from inside an archive; informative only, the writer always uses
    # sources/<guid>.txt, so it takes no part in equality.
    path: str = field(default="", compare=False)


@dataclass(frozen=True)
class QdaCoding:
    code: str  # code guid
    user: str = ""  # user guid, "" when unknown


@dataclass
class QdaSelection:
    guid: str
    source: str  # source guid
    start: int
    end: int  # exclusive
    user: str = ""  # creating user guid
    codings: list[QdaCoding] = field(default_factory=list)


@dataclass
class QdaNote:
    guid: str
    name: str
    text: str
    target: str | None = None  # guid of the code, source or selection it comments on
    user: str = ""


@dataclass
class QdaProject:
    name: str
    origin: str = "qcode"
    users: list[QdaUser] = field(default_factory=list)
    codes: list[QdaCode] = field(default_factory=list)
    variables: list[QdaVariable] = field(default_factory=list)
    cases: list[QdaCase] = field(default_factory=list)
    sources: list[QdaSource] = field(default_factory=list)
    selections: list[QdaSelection] = field(default_factory=list)
    notes: list[QdaNote] = field(default_factory=list)

    def children(self, code_guid: str | None) -> list[QdaCode]:
        """Codes whose parent is code_guid (None: the top level), in file order."""
        return [code for code in self.codes if code.parent == code_guid]


@dataclass(frozen=True)
class ImportProblem:
    kind: str  # "source", "selection", "coding", "note", "case", "set", "link", "graph", ...
    guid: str
    name: str
    reason: str

    def __str__(self) -> str:
        label = f"{self.kind} {self.name!r}" if self.name else f"{self.kind} {self.guid}"
        return f"{label}: {self.reason}"


@dataclass
class ImportReport:
    """What could not be imported from a file, item by item, and why."""

    path: str
    offset_unit: str = CODEPOINT
    problems: list[ImportProblem] = field(default_factory=list)

    def add(self, kind: str, guid: str, name: str, reason: str) -> None:
        self.problems.append(ImportProblem(kind, guid, name, reason))

    def count(self, kind: str | None = None) -> int:
        return sum(1 for p in self.problems if kind is None or p.kind == kind)

    def lines(self) -> list[str]:
        return [str(problem) for problem in self.problems]


class QdaExportError(QcodeError):
    """Data handed to a REFI-QDA writer cannot be written as a valid file; lists every problem."""

    def __init__(self, path: str | Path, problems: Sequence[str]) -> None:
        self.path = str(path)
        self.problems = list(problems)
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"{self.path}: {'; '.join(self.problems[:5])}{more}")
