"""Measure de-identification against a list of planted mentions (shared/eval-dev/pii.jsonl).

Definitions (also in docs/deidentification.md):
- A must_remove mention counts as removed when none of its occurrences survives in the output file of
  its document: no case-insensitive, whole-word match of its text anywhere in the file (front matter
  included). Recall = removed / must_remove mentions.
- A public name (must_remove false) is retained when its text still appears (case-sensitive, whole
  word) in the output file of its document. Retention = retained / public mentions.
"""

from __future__ import annotations

import csv
import json
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .folder import deidentify_folder


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
