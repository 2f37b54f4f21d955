"""Projects the analysis tests share: the demo corpus with its gold turn codes (unit: turn, no spaCy run
for segmenting), and the frames a dashboard or Project.search would hand the library."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

import coding
from coding.models import Codebook

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"


@dataclass(frozen=True)
class GoldFrames:
    project: object
    codings: pd.DataFrame
    segments: pd.DataFrame
    respondents: pd.DataFrame
    codebook: Codebook
    texts: dict[str, str]
    turns: pd.DataFrame  # respondent turns: document, turn_index, start, end


def gold_frames(folder: Path) -> GoldFrames:
    from coding.demo import turn_codings_to_csv

    project = coding.create_project(folder / "project")
    project.ingest([CORPUS / "transcripts"], metadata=CORPUS / "respondents.csv")
    project.segment("turn")
    turn_codings_to_csv(CORPUS / "gold.jsonl", CORPUS / "transcripts", folder / "gold.csv")
    project.import_codings(folder / "gold.csv", "gold")
    turns = project.store.turns_frame()
    return GoldFrames(
        project,
        project.codings("human", ["gold"]),
        project.segments_frame(),
        project.respondents(),
        project.codebook,
        project.store.document_texts(),
        turns[turns["role"] == "respondent"].reset_index(drop=True),
    )


def gold_lines() -> list[dict[str, object]]:
    lines = (CORPUS / "gold.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]
