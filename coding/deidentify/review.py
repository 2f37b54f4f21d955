"""The review file: every replacement, uncertain case, name kept as public and quasi-identifier, with its
context, for the researcher to mark keep / replace / generalise; and reading those decisions back.

The file quotes the originals, so it is written like the key: beside it, owner-only, never into OUT.
Decisions apply consistently: a name marked keep is kept in every file (and released from the key's
search), a name marked replace is replaced in every file with one pseudonym; a quasi-identifier or a
replaced mention marked generalise is rewritten at that place with the text in `generalise_to` (or the
proposal).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError
from ..tables import escape_cell, unescape_cell
from .model import PERSON, PLACE, SURE, DeidReport
from .pseudonyms import write_private

COLUMNS = (
    "row",
    "category",
    "file",
    "part",
    "start",
    "end",
    "original",
    "context",
    "kind",
    "rule",
    "proposed",
    "decision",
    "generalise_to",
    "count",
)
DECISIONS = ("keep", "replace", "generalise")
# What each category is, in the file's own words.
REPLACED, GUESS, KEPT = "replaced", "replaced-guess", "kept-as-public"
LEFT, QUASI = "left-in-place", "quasi-identifier"
CONTEXT = 60


def default_review_path(key_path: Path) -> Path:
    name = key_path.name.removesuffix(".json").removesuffix(".key")
    return key_path.parent / (name + ".review.csv")


def _context(body: str, start: int, end: int) -> str:
    before = body[max(0, start - CONTEXT) : start]
    after = body[end : end + CONTEXT]
    return " ".join(f"{before}[[{body[start:end]}]]{after}".split())


def review_rows(report: DeidReport) -> list[dict[str, object]]:
    """Rows in reading order per file: replacements and quasi-identifiers per mention; names kept as
    public and words left in place once per text (the decision applies to every mention)."""
    rows: list[dict[str, object]] = []
    kept: dict[tuple[str, str], dict[str, object]] = {}
    left: dict[str, dict[str, object]] = {}
    for file in report.files:
        name = file.source.name
        items: list[tuple[int, dict[str, object]]] = []
        for rep in file.replacements:
            in_body = rep.part != "front_matter"
            items.append(
                (
                    rep.start if in_body else -1,
                    {
                        "category": REPLACED if rep.confidence >= SURE else GUESS,
                        "file": name,
                        "part": rep.part,
                        "start": rep.start,
                        "end": rep.end,
                        "original": rep.original,
                        "context": _context(file.body, rep.start, rep.end) if in_body else rep.original,
                        "kind": rep.kind,
                        "rule": rep.detector,
                        "proposed": rep.pseudonym,
                        "decision": "replace",
                    },
                )
            )
        for quasi in file.quasi:
            items.append(
                (
                    quasi.start,
                    {
                        "category": QUASI,
                        "file": name,
                        "part": "body",
                        "start": quasi.start,
                        "end": quasi.end,
                        "original": quasi.text,
                        "context": _context(file.body, quasi.start, quasi.end),
                        "kind": quasi.kind,
                        "rule": quasi.rule,
                        "proposed": quasi.proposal,
                        "decision": "keep",
                    },
                )
            )
        rows.extend(row for _start, row in sorted(items, key=lambda item: item[0]))
        for item in file.kept:
            row = kept.setdefault(
                (item.text, item.rule),
                {
                    "category": KEPT,
                    "file": name,
                    "part": "body",
                    "start": item.start,
                    "end": item.end,
                    "original": item.text,
                    "context": _context(file.body, item.start, item.end),
                    "kind": "",
                    "rule": item.rule,
                    "proposed": item.text,
                    "decision": "keep",
                    "count": 0,
                },
            )
            row["count"] = int(str(row["count"])) + 1
        for res in file.residuals:
            if res.reason == "number":
                continue
            row = left.setdefault(
                res.text,
                {
                    "category": LEFT,
                    "file": name,
                    "part": "body",
                    "original": res.text,
                    "kind": "",
                    "rule": res.reason,
                    "proposed": res.text,
                    "decision": "keep",
                    "count": 0,
                },
            )
            row["count"] = int(str(row["count"])) + 1
    rows.extend(kept.values())
    rows.extend(left.values())
    for number, row in enumerate(rows, start=1):
        row["row"] = number
        row.setdefault("count", 1)
    return rows


def write_review(path: Path, report: DeidReport) -> int:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n", restval="")
    writer.writeheader()
    rows = review_rows(report)
    # researchers open this file in a spreadsheet: a cell of transcript text starting "=" must stay text
    writer.writerows({key: escape_cell(value) for key, value in row.items()} for row in rows)
    write_private(path, buffer.getvalue())
    return len(rows)


@dataclass(frozen=True)
class Rewrite:
    """One mention rewritten with fixed text (a generalisation)."""

    file: str
    start: int
    end: int
    original: str
    text: str
    kind: str


@dataclass
class Decisions:
    """The researcher's decisions, as they change a re-run."""

    keep: list[str] = field(default_factory=list)  # names kept everywhere
    replace: list[tuple[str, str]] = field(default_factory=list)  # (name, kind) replaced everywhere
    rewrites: list[Rewrite] = field(default_factory=list)


def read_review(path: Path) -> Decisions:
    """Decisions from a review file; a bad file raises UsageError naming the file and the line."""
    if not path.is_file():
        raise UsageError(f"{path}: no such review file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{path}: the review file is not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in ("category", "file", "start", "end", "original", "decision") if c not in header]
    if missing:
        raise UsageError(f"{path}: not a review file (missing columns: {', '.join(missing)})")
    decisions = Decisions()
    for line, escaped in enumerate(reader, start=2):
        row = {key: unescape_cell(value) for key, value in escaped.items()}
        decision = (row.get("decision") or "").strip().casefold()
        if decision not in DECISIONS:
            raise UsageError(f"{path}:{line}: decision must be keep, replace or generalise, not {decision!r}")
        _apply(path, line, row, decision, decisions)
    return decisions


def _apply(path: Path, line: int, row: dict[str, str], decision: str, decisions: Decisions) -> None:
    category, original = row["category"], row["original"]
    kind = (row.get("kind") or "").strip()
    if category in (REPLACED, GUESS):
        if decision == "keep":
            decisions.keep.append(original)
        elif decision == "generalise":
            decisions.rewrites.append(_rewrite(path, line, row, kind))
    elif category in (KEPT, LEFT):
        if decision == "replace":
            decisions.replace.append((original, PLACE if row.get("rule") == "gazetteer" else PERSON))
        elif decision == "generalise":
            raise UsageError(f"{path}:{line}: a name kept or left in place can be kept or replaced, not generalised")
    elif category == QUASI:
        if decision == "generalise":
            decisions.rewrites.append(_rewrite(path, line, row, kind))
        elif decision == "replace":
            decisions.rewrites.append(_rewrite(path, line, row, kind, text=f"[{kind or 'DETAIL'}]"))
    else:
        raise UsageError(f"{path}:{line}: unknown category {category!r}")


def _rewrite(path: Path, line: int, row: dict[str, str], kind: str, text: str | None = None) -> Rewrite:
    if row.get("part", "body") not in ("body", ""):
        raise UsageError(f"{path}:{line}: only mentions in the transcript body can be generalised")
    try:
        start, end = int(row["start"]), int(row["end"])
    except ValueError:
        raise UsageError(f"{path}:{line}: start and end must be numbers") from None
    replacement = text or (row.get("generalise_to") or "").strip() or (row.get("proposed") or "").strip()
    if not replacement:
        raise UsageError(f"{path}:{line}: generalise needs a text in generalise_to")
    return Rewrite(row["file"], start, end, row["original"], replacement, kind)
