"""Build the demo project from the shipped corpus: de-identify, ingest, segment, import both coders, autocode.

Run as `qcode demo [FOLDER]` or `python -m coding.demo [FOLDER]` (what `make demo` does; see __main__.py).
The de-identification key and audit go to FOLDER/private/, never into the transcripts the project reads or
into the project itself.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ProjectError
from ..resources import default_codebook, demo_corpus
from ..transcripts import read_transcript

if TYPE_CHECKING:
    from ..project import Project

CODERS = {"gold": "gold.jsonl", "second": "second_coder.jsonl"}


def turn_codings_to_csv(turn_codings: Path, transcripts: Path, out: Path) -> int:
    """Turn-level codes ({"doc","turn","codes"} lines) as the contract's CSV with exact offsets."""
    rows = 0
    documents: dict[str, object] = {}
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["document", "code", "start", "end"])
        for line in turn_codings.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            if item["doc"] not in documents:
                documents[item["doc"]] = read_transcript(transcripts / f"{item['doc']}.txt")
            turn = documents[item["doc"]].turns[int(item["turn"])]  # type: ignore[attr-defined]
            for code in item["codes"]:
                writer.writerow([item["doc"], code, turn.start, turn.end])
                rows += 1
    return rows


def _clear(folder: Path) -> None:
    """Remove an earlier demo; refuse any other existing folder (the demo never deletes a person's files)."""
    if not folder.exists():
        return
    if not folder.is_dir():
        raise ProjectError(f"{folder}: exists and is not a folder; choose a new folder for the demo")
    earlier_demo = (folder / "project" / "qcode.toml").is_file() and (folder / "private").is_dir()
    if any(folder.iterdir()) and not earlier_demo:
        raise ProjectError(f"{folder}: exists and is not an earlier qcode demo; choose a new folder for the demo")
    shutil.rmtree(folder)


def _check_corpus(corpus: Path) -> None:
    for needed in ("transcripts", "respondents.csv"):
        if not (corpus / needed).exists():
            raise ProjectError(f"{corpus / needed}: not found; a demo corpus holds transcripts/ and respondents.csv")


def build_demo(folder: Path, corpus: Path | None = None, echo: Callable[[str], object] = print) -> Project:
    """The demo project in folder/project; a failure removes the half-built folder and raises."""
    corpus = corpus or demo_corpus()
    _check_corpus(corpus)
    _clear(folder)
    try:
        return _build(folder, corpus, echo)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _build(folder: Path, corpus: Path, echo: Callable[[str], object]) -> Project:
    from ..deidentify import deidentify_folder
    from ..project import create_project

    private = folder / "private"
    private.mkdir(parents=True)
    transcripts = folder / "transcripts"
    echo("1/5 de-identifying the demo transcripts ...")
    report = deidentify_folder(corpus / "transcripts", transcripts, key_path=private / "key.json")
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(report.summary().items()))
    echo(f"    {report.replacement_count} mentions replaced ({kinds}); key and audit in {private}")
    echo("2/5 creating the project and ingesting the de-identified copies ...")
    project = create_project(folder / "project", default_codebook(), name="Tajik peace process (demo)")
    project.ingest([transcripts], metadata=corpus / "respondents.csv")
    echo("3/5 segmenting into sentences ...")
    project.segment("sentence")
    echo("4/5 importing the two coders' codings ...")
    for coder, name in CODERS.items():
        source = corpus / name
        if source.exists():
            csv_path = private / f"{coder}.csv"
            turn_codings_to_csv(source, transcripts, csv_path)
            result = project.import_codings(csv_path, coder)
            echo(f"    {coder}: {result['added']} codings")
    echo("5/5 suggesting codes with the codebook's rules and the model trained on the gold coding ...")
    project.autocode(rules=True, model=False)
    if project.can_train():
        project.train(coders=["gold"])
        project.autocode(rules=False, model=True)
    return project


def agreement_summary(project: Project) -> str | None:
    """One line on how far the demo's two coders agree (None when a corpus has not both)."""
    if not set(CODERS) <= set(project.coders()):
        return None
    pooled = project.agree(list(CODERS)).set_index("code").loc["All codes"]
    return (
        f"intercoder agreement, gold vs second (all codes, {int(pooled['n_segments'])} {project.unit} segments): "
        f"Cohen's kappa {pooled['cohen_kappa']:.2f}, Krippendorff's alpha {pooled['krippendorff_alpha']:.2f}"
    )
