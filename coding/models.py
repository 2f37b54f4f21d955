"""Plain data shared by every layer. Offsets are Python str indices (code points) into Document.text."""

from __future__ import annotations

from dataclasses import dataclass, field

RESPONDENT = "respondent"
INTERVIEWER = "interviewer"

UNITS = ("sentence", "paragraph", "turn")

HUMAN, RULE, MODEL = "human", "rule", "model"
SOURCES = (HUMAN, RULE, MODEL)
ACCEPTED, SUGGESTED, REJECTED = "accepted", "suggested", "rejected"
STATUSES = (ACCEPTED, SUGGESTED, REJECTED)
# The coder the agreed decisions of a disagreement review are stored under: never a person's login.
CONSENSUS = "consensus"


@dataclass(frozen=True)
class Turn:
    """One speaker's contribution: text[start:end] is its content, without the speaker label."""

    index: int
    speaker: str
    role: str  # RESPONDENT or INTERVIEWER
    start: int
    end: int
    paragraphs: tuple[tuple[int, int], ...] = ()


@dataclass
class Document:
    name: str  # file name without extension; unique in a project
    respondent_id: str
    text: str
    turns: list[Turn]
    attributes: dict[str, str] = field(default_factory=dict)
    sha256: str = ""
    source_path: str = ""


@dataclass(frozen=True)
class Segment:
    """A coding unit. Its text is always document.text[start:end]."""

    document: str
    turn_index: int
    unit: str
    index: int  # position of the segment within its document
    start: int
    end: int
    text: str
    speaker: str = ""
    role: str = RESPONDENT
    id: int | None = None  # database id once stored


@dataclass
class MatchRules:
    keywords: list[str] = field(default_factory=list)  # case-insensitive phrases
    lemmas: list[str] = field(default_factory=list)  # single lemmas or space-separated lemma phrases
    patterns: list[list[dict]] = field(default_factory=list)  # spaCy Matcher token patterns


@dataclass
class Code:
    id: str
    name: str
    parent: str | None = None
    definition: str = ""
    include: str = ""
    exclude: str = ""
    examples: list[str] = field(default_factory=list)
    color: str = ""
    rules: MatchRules = field(default_factory=MatchRules)


@dataclass
class Codebook:
    name: str
    version: str
    codes: list[Code]
    source_path: str = ""
    description: str = ""

    def by_id(self) -> dict[str, Code]:
        return {code.id: code for code in self.codes}

    def ancestors(self, code_id: str) -> list[str]:
        """Parent, grandparent, ... of a code (the codebook is validated to be acyclic)."""
        codes = self.by_id()
        chain: list[str] = []
        parent = codes[code_id].parent if code_id in codes else None
        while parent and parent not in chain:
            chain.append(parent)
            parent = codes[parent].parent if parent in codes else None
        return chain

    def depth(self, code_id: str) -> int:
        return len(self.ancestors(code_id))

    def tree_order(self) -> list[Code]:
        """Codes ordered parent first, children after, keeping file order among siblings."""
        children: dict[str | None, list[Code]] = {}
        for code in self.codes:
            children.setdefault(code.parent, []).append(code)
        ordered: list[Code] = []

        def walk(parent: str | None) -> None:
            for child in children.get(parent, []):
                ordered.append(child)
                walk(child.id)

        walk(None)
        return ordered


@dataclass(frozen=True)
class Proposal:
    """A code suggested for a segment by a coder (rules or model); storing it is a separate step."""

    segment_id: int
    code_id: str
    source: str  # RULE or MODEL
    source_name: str  # versioned, e.g. "rules.v1"
    confidence: float
