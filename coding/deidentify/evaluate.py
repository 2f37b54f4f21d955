"""Measure de-identification against a list of planted mentions (shared/eval-dev/pii.jsonl).

Definitions (also in docs/deidentification.md):
- A must_remove mention counts as removed when none of its occurrences survives in the output file of
  its document: no case-insensitive, whole-word match of its text anywhere in the file (front matter
  included). Recall = removed / must_remove mentions.
- A public name (must_remove false) is retained when its text still appears (case-sensitive, whole
  word) in the output file of its document. Retention = retained / public mentions.
- A quasi-identifier of quasi.jsonl is flagged when one of its occurrences overlaps a flag of the review
  (or a replaced private date); a look-alike (must_flag false) so flagged is a false alarm.
- Ordinary words kept = lower-case words of the input not inside a replaced span / all lower-case words;
  a capitalised ordinary word replaced = a replaced capitalised word that the corpus also uses in lower case.
"""

from __future__ import annotations

import csv
import json
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .detectors import WORD_RE
from .folder import deidentify_folder
from .model import CONTACT, DATE, ID, DeidReport


@dataclass(frozen=True)
class Planted:
    doc: str
    text: str
    kind: str
    must_remove: bool


@dataclass
class Score:
    removed: int = 0
    must_remove: int = 0
    retained: int = 0
    public: int = 0
    missed: list[Planted] = field(default_factory=list)
    lost: list[Planted] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.removed / self.must_remove if self.must_remove else 1.0

    @property
    def retention(self) -> float:
        return self.retained / self.public if self.public else 1.0


def load_planted(path: Path) -> list[Planted]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Planted(r["doc"], r["text"], r.get("kind", ""), bool(r["must_remove"])) for r in rows]


def survives(text: str, output: str, case_sensitive: bool) -> bool:
    flags = 0 if case_sensitive else re.I
    return re.search(rf"(?<!\w){re.escape(text)}(?!\w)", output, flags) is not None


def score(planted: list[Planted], outputs: dict[str, str]) -> Score:
    result = Score()
    for item in planted:
        output = outputs.get(item.doc, "")
        if item.must_remove:
            result.must_remove += 1
            if survives(item.text, output, case_sensitive=False):
                result.missed.append(item)
            else:
                result.removed += 1
        else:
            result.public += 1
            if survives(item.text, output, case_sensitive=True):
                result.retained += 1
            else:
                result.lost.append(item)
    return result


def respondent_roster(planted: list[Planted]) -> list[str]:
    """The respondents' own names: in pii.jsonl each document's first PERSON mention to remove."""
    names: dict[str, str] = {}
    for item in planted:
        if item.must_remove and item.kind == "PERSON":
            names.setdefault(item.doc, item.text)
    return list(names.values())


def evaluate(
    corpus: Path,
    pii: Path,
    roster: list[str] | None = None,
    pipeline: str | None = None,
    work: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Score:
    """De-identify `corpus` into a temporary folder and score it against `pii`."""
    planted = load_planted(pii)
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        out = Path(tmp) / "out"
        roster_path = None
        if roster is not None:
            roster_path = Path(tmp) / "roster.csv"
            with roster_path.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["name"])
                writer.writerows([name] for name in roster)
        deidentify_folder(
            corpus, out, roster=roster_path, key_path=Path(tmp) / "key.json", pipeline=pipeline, progress=progress
        )
        outputs = {path.stem: path.read_text(encoding="utf-8") for path in out.rglob("*") if path.is_file()}
    return score(planted, outputs)


@dataclass(frozen=True)
class QuasiItem:
    doc: str
    text: str
    kind: str
    must_flag: bool


@dataclass
class QuasiScore:
    """Quasi-identifiers flagged for review (or replaced as a private date), by gold kind."""

    flagged: dict[str, int] = field(default_factory=dict)  # kind -> must_flag items flagged
    to_flag: dict[str, int] = field(default_factory=dict)
    false_alarms: dict[str, int] = field(default_factory=dict)  # kind -> look-alikes flagged
    look_alikes: dict[str, int] = field(default_factory=dict)
    missed: list[QuasiItem] = field(default_factory=list)
    alarms: list[QuasiItem] = field(default_factory=list)

    @property
    def recall(self) -> float:
        total = sum(self.to_flag.values())
        return sum(self.flagged.values()) / total if total else 1.0

    @property
    def false_alarm_rate(self) -> float:
        total = sum(self.look_alikes.values())
        return sum(self.false_alarms.values()) / total if total else 0.0


@dataclass
class WordScore:
    """Ordinary words of the input that survive: lower-case words, and capitalised words that the same
    corpus also uses in lower case (an ordinary word at a sentence start or in a title)."""

    lowercase: int = 0
    lowercase_lost: list[str] = field(default_factory=list)  # replaced alone or in a lower-case span
    inside_names: list[str] = field(default_factory=list)  # 'of' in a replaced 'Institute of History'
    capitalised_ordinary_replaced: list[str] = field(default_factory=list)

    @property
    def kept(self) -> float:
        lost = len(self.lowercase_lost) + len(self.inside_names)
        return 1 - lost / self.lowercase if self.lowercase else 1.0


def load_quasi(path: Path) -> list[QuasiItem]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [QuasiItem(r["doc"], r["text"], r.get("kind", ""), bool(r["must_flag"])) for r in rows]


def _occurrences(body: str, text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(re.escape(text), body)]


def score_quasi(items: list[QuasiItem], report: DeidReport) -> QuasiScore:
    """An item is flagged when one of its occurrences in the input body overlaps a quasi-identifier flag
    or a replaced date (a day-precise private date is replaced outright)."""
    result = QuasiScore()
    files = {Path(f.source).stem: f for f in report.files}
    for item in items:
        file = files.get(item.doc)
        if file is None:
            continue
        spans = [(q.start, q.end) for q in file.quasi]
        spans += [(r.start, r.end) for r in file.replacements if r.kind == DATE and r.part == "body"]
        hit = any(s < e2 and s2 < e for s, e in _occurrences(file.body, item.text) for s2, e2 in spans)
        if item.must_flag:
            result.to_flag[item.kind] = result.to_flag.get(item.kind, 0) + 1
            if hit:
                result.flagged[item.kind] = result.flagged.get(item.kind, 0) + 1
            else:
                result.missed.append(item)
        else:
            result.look_alikes[item.kind] = result.look_alikes.get(item.kind, 0) + 1
            if hit:
                result.false_alarms[item.kind] = result.false_alarms.get(item.kind, 0) + 1
                result.alarms.append(item)
    return result


def score_words(report: DeidReport) -> WordScore:
    """Lower-case words inside a replaced span are lost (counted apart when the span is a capitalised
    name such as 'Institute of History', where they belong to the name); those inside a replaced contact, number or date
    ("flat 9", "sitora@example.tj") are part of that identifier and not counted. A capitalised ordinary
    word replaced is a replacement of one word whose lower-case form the corpus uses outside replacements."""
    result = WordScore()
    structured = (CONTACT, ID, DATE)
    spans = {
        file.source: sorted((r.start, r.end, r.kind, r.original) for r in file.replacements if r.part == "body")
        for file in report.files
    }
    ordinary: set[str] = set()
    for file in report.files:
        for match in WORD_RE.finditer(file.body):
            if match.group()[:1].islower() and _covering(spans[file.source], match.start()) is None:
                ordinary.add(match.group())
    for file in report.files:
        for match in WORD_RE.finditer(file.body):
            word = match.group()
            cover = _covering(spans[file.source], match.start())
            if word[:1].islower():
                if cover is not None and cover[2] in structured:
                    continue
                result.lowercase += 1
                if cover is not None and any(w[:1].isupper() for w in WORD_RE.findall(cover[3])):
                    result.inside_names.append(word)
                elif cover is not None:
                    result.lowercase_lost.append(word)
            elif cover is not None and cover[3] == word and word.casefold() in ordinary:
                result.capitalised_ordinary_replaced.append(word)
    return result


def _covering(spans: list[tuple[int, int, str, str]], offset: int) -> tuple[int, int, str, str] | None:
    for span in spans:
        if span[0] <= offset < span[1]:
            return span
    return None


def run(
    corpus: Path, roster: list[str] | None = None, pipeline: str | None = None
) -> tuple[DeidReport, dict[str, str]]:
    """De-identify `corpus` into a temporary folder: the report and the output texts by document."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        report = deidentify_folder(corpus, out, roster=roster, key_path=Path(tmp) / "key.json", pipeline=pipeline)
        outputs = {path.stem: path.read_text(encoding="utf-8") for path in out.rglob("*") if path.is_file()}
    return report, outputs
