"""Small invented projects for tests: three short interviews, a tiny codebook, fast (unit 'turn')."""

from __future__ import annotations

from pathlib import Path

CODEBOOK = """\
name: tiny
version: "1.0"
description: A tiny codebook for tests.
codes:
  - id: actors
    name: External actors
    definition: Foreign states.
    include: Any foreign state acting.
    exclude: Places only.
    examples: ["Moscow pressed both sides."]
    color: "#1f77b4"
    match: {keywords: [moscow, tehran]}
  - id: actors.russia
    name: Russia
    parent: actors
    definition: Russia.
    include: Russia acting.
    exclude: Other states.
    examples: ["Moscow pressed both sides."]
    color: "#2f87c4"
    match: {keywords: [moscow, russia]}
  - id: money
    name: Corruption
    definition: Bribes and stolen funds.
    include: Posts bought.
    exclude: Salaries.
    examples: ["He bought the post."]
    color: "#d62728"
    match: {lemmas: [bribe]}
"""

TRANSCRIPTS = {
    "P01": "---\nrespondent_id: P01\ngroup: a\ngender: female\n---\nInterviewer: Who mattered?\n\n"
    "P01: Moscow mattered most.\n\nInterviewer: And money?\n\nP01: Everyone took a bribe, Zoë said.\n",
    "P02": "---\nrespondent_id: P02\ngroup: b\ngender: male\n---\nInterviewer: Who mattered?\n\n"
    "P02: Tehran hosted the talks.\n\nInterviewer: And money?\n\nP02: Nobody stole anything.\n",
    "P03": "---\nrespondent_id: P03\ngroup: b\ngender: female\n---\nInterviewer: Who mattered?\n\n"
    "P03: Russia and its border guards.\n\nInterviewer: And money?\n\nP03: Posts were sold twice.\n",
}


def write_inputs(folder: Path) -> tuple[Path, Path]:
    transcripts = folder / "transcripts"
    transcripts.mkdir(parents=True, exist_ok=True)
    for name, text in TRANSCRIPTS.items():
        (transcripts / f"{name}.txt").write_text(text, encoding="utf-8")
    codebook = folder / "codebook.yaml"
    codebook.write_text(CODEBOOK, encoding="utf-8")
    return transcripts, codebook


def make_project(folder: Path, unit: str = "turn"):  # type: ignore[no-untyped-def]
    from coding.project import create_project

    transcripts, codebook = write_inputs(folder)
    project = create_project(folder / "project", codebook=codebook)
    project.ingest([transcripts])
    project.segment(unit)
    return project


def segment_id(project, document: str, contains: str) -> int:  # type: ignore[no-untyped-def]
    for segment in project.segments([document]):
        if contains in segment.text:
            return int(segment.id)
    raise AssertionError(f"no segment of {document} contains {contains!r}")


def own_decision(project, suggestion_id: int, coder: str):  # type: ignore[no-untyped-def]
    """The coder's own row deciding a suggestion (the suggestion itself stays pending for others)."""
    rows = project.codings("all", include_rejected=True)
    suggestion = rows.set_index("coding_id").loc[suggestion_id]
    mine = rows[
        (rows["segment_id"] == suggestion["segment_id"])
        & (rows["code"] == suggestion["code"])
        & (rows["coder"] == coder)
    ]
    assert len(mine) == 1, f"{coder} has one row deciding suggestion {suggestion_id}"
    return mine.iloc[0]
