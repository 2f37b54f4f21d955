"""Read the researcher's roster (private names to hide) and keep file (public names to leave)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..errors import IngestError
from ..transcripts import read_text_file
from .model import CONTACT, DATE, ID, ORG, PERSON, PLACE, RosterEntry

NAME_COLUMNS = ("name", "names", "full_name", "fullname", "respondent_name", "real_name", "person", "original")
KIND_COLUMNS = ("kind", "type", "category")
ALIAS_COLUMNS = ("aliases", "alias", "variants", "other_names")
KIND_WORDS = {
    PERSON: ("person", "people", "name", "respondent", "relative", "per"),
    PLACE: ("place", "location", "village", "gpe", "loc", "fac", "address", "mahalla"),
    ORG: ("org", "organisation", "organization", "employer", "company", "school"),
    CONTACT: ("contact", "phone", "email", "e-mail"),
    DATE: ("date",),
    ID: ("id", "other", "number", "identifier"),
}


def _kind_from(value: str) -> str | None:
    key = value.strip().casefold()
    if not key:
        return PERSON
    for kind, words in KIND_WORDS.items():
        if key == kind.casefold() or key in words:
            return kind
    return None


def _read_csv_text(path: Path) -> str:
    if not path.is_file():
        raise IngestError(path, "roster file not found")
    return read_text_file(path)


def load_roster(path: str | Path) -> list[RosterEntry]:
    """Private names from a CSV with a header and a 'name' column (optional 'kind', 'aliases').

    A file with a single column and no recognised header is read as one name per line.
    """
    path = Path(path)
    text = _read_csv_text(path)
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise IngestError(path, f"malformed roster CSV: {exc}") from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise IngestError(path, "roster is empty")
    header = [cell.strip().casefold() for cell in rows[0]]
    name_col = next((header.index(c) for c in NAME_COLUMNS if c in header), None)
    if name_col is None:
        if len(header) == 1:  # a plain list of names
            return [RosterEntry(row[0].strip()) for row in rows if row[0].strip()]
        raise IngestError(path, f"roster has no name column (expected one of: {', '.join(NAME_COLUMNS[:3])})")
    kind_col = next((header.index(c) for c in KIND_COLUMNS if c in header), None)
    alias_col = next((header.index(c) for c in ALIAS_COLUMNS if c in header), None)
    entries: list[RosterEntry] = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise IngestError(path, f"malformed roster: {len(row)} fields, header has {len(header)}", line=number)
        raw_kind = row[kind_col] if kind_col is not None else ""
        kind = _kind_from(raw_kind)
        if kind is None:
            raise IngestError(path, f"unknown kind {raw_kind!r} in roster", line=number)
        names = [row[name_col]]
        if alias_col is not None:
            names.extend(row[alias_col].replace("|", ";").split(";"))
        entries.extend(RosterEntry(name.strip(), kind) for name in names if name.strip())
    return entries


def load_keep_file(path: str | Path) -> list[str]:
    """Public names, one per line; blank lines and '#' comments are ignored."""
    path = Path(path)
    if not path.is_file():
        raise IngestError(path, "keep file not found")
    text = read_text_file(path)
    return [line.strip() for line in text.split("\n") if line.strip() and not line.lstrip().startswith("#")]
