"""Plain data passed between the de-identification steps."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

PERSON = "PERSON"
PLACE = "PLACE"
ORG = "ORG"
CONTACT = "CONTACT"
DATE = "DATE"
ID = "ID"
KINDS = (PERSON, PLACE, ORG, CONTACT, DATE, ID)

# Confidence of a detection; the audit's --review lists everything below SURE.
SURE = 0.9
LIKELY = 0.7
GUESS = 0.5


@dataclass(frozen=True)
class Mention:
    """One span of a document body (or front matter value) to replace."""

    start: int
    end: int
    text: str
    kind: str
    detector: str
    confidence: float = SURE


@dataclass(frozen=True)
class RosterEntry:
    name: str
    kind: str = PERSON


@dataclass
class Replacement:
    """What the key and the audit record for one replaced span."""

    file: str
    part: str  # "body", "label" or "front_matter"
    start: int  # offsets in the input document text (body) or in the front matter block
    end: int
    out_start: int
    out_end: int
    original: str
    pseudonym: str
    kind: str
    detector: str
    confidence: float


@dataclass(frozen=True)
class Residual:
    """A capitalised token or number that no detector claimed: for the researcher to review."""

    file: str
    start: int
    end: int
    text: str
    reason: str


@dataclass(frozen=True)
class Kept:
    """A name-like span left in place on purpose, with the rule that kept it (for the audit and review):
    public-office, keep-file, keep-list, gazetteer, ordinary-word, contraction, office-title."""

    file: str
    start: int  # offsets in the input body
    end: int
    text: str
    rule: str


@dataclass(frozen=True)
class Quasi:
    """A quasi-identifier: harmless alone, identifying together (an age, a private date, a post).

    Flagged for the researcher's review with a proposed generalisation; left in place unless the review
    says otherwise."""

    file: str
    start: int  # offsets in the input body
    end: int
    text: str
    kind: str  # AGE, BIRTH_YEAR, PRIVATE_DATE, POSITION, KINSHIP_ROLE, ETHNICITY_RELIGION, LIFE_STORY
    rule: str
    proposal: str  # e.g. "[AGE: 40s]", "1993", "[POSITION]"


@dataclass
class FileReport:
    source: Path
    output: Path
    replacements: list[Replacement] = field(default_factory=list)
    residuals: list[Residual] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)
    quasi: list[Quasi] = field(default_factory=list)
    body: str = ""  # the input body, for review contexts (never written to OUT)


@dataclass
class DeidReport:
    """What deidentify_folder did: per-file replacements and residual risks, and where the key went."""

    files: list[FileReport]
    key_path: Path
    audit_path: Path | None
    pseudonyms: dict[str, str]  # pseudonym -> canonical original
    review_path: Path | None = None

    @property
    def replacement_count(self) -> int:
        return sum(len(f.replacements) for f in self.files)

    @property
    def residual_count(self) -> int:
        return sum(len(f.residuals) for f in self.files)

    def uncertain(self) -> list[Replacement | Residual]:
        """Cases a researcher should look at: guesses and everything nothing claimed."""
        items: list[Replacement | Residual] = []
        for report in self.files:
            items.extend(r for r in report.replacements if r.confidence < SURE)
            items.extend(report.residuals)
        return items

    def kept(self) -> list[Kept]:
        """Name-like spans left in place on purpose, each with the rule that kept it."""
        return [item for report in self.files for item in report.kept]

    def quasi(self) -> list[Quasi]:
        """Quasi-identifiers flagged for review."""
        return [item for report in self.files for item in report.quasi]

    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for report in self.files:
            for rep in report.replacements:
                counts[rep.kind] = counts.get(rep.kind, 0) + 1
        return counts
