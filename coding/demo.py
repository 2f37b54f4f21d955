"""Build the demo project from corpus/: de-identify, ingest, segment, import both coders, autocode.

Run as `python -m coding.demo [FOLDER]` (what `make demo` does). The de-identification key and audit go
to FOLDER/private/, never into the transcripts the project reads or into the project itself.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
from pathlib import Path

from .project import REPO_ROOT, Project, create_project
from .transcripts import read_transcript

CORPUS = REPO_ROOT / "corpus"
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


def build_demo(folder: Path, corpus: Path = CORPUS, echo=print) -> Project:  # type: ignore[no-untyped-def]
    from .deidentify import deidentify_folder

    if folder.exists():
        shutil.rmtree(folder)
    private = folder / "private"
    private.mkdir(parents=True)
    transcripts = folder / "transcripts"
    echo("1/5 de-identifying the demo transcripts ...")
    report = deidentify_folder(corpus / "transcripts", transcripts, key_path=private / "key.json")
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(report.summary().items()))
    echo(f"    {report.replacement_count} mentions replaced ({kinds}); key and audit in {private}")
    echo("2/5 creating the project and ingesting the de-identified copies ...")
    project = create_project(folder / "project", name="Tajik peace process (demo)")
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


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m coding.demo", description="Build the demo project from corpus/ and print its cross-tab."
    )
    parser.add_argument("folder", nargs="?", type=Path, default=REPO_ROOT / "demo", help="where (default: demo/)")
    folder = parser.parse_args(argv if argv is not None else sys.argv[1:]).folder
    project = build_demo(folder)
    from .cli import print_crosstab

    table = project.crosstab(by="group", count="respondents", source="human", coders=["gold"])
    print_crosstab(table, project.column_bases("group", "respondents"), "group", "respondents", "none", "gold")
    pooled = project.agree(list(CODERS)).set_index("code").loc["All codes"]
    print(
        f"intercoder agreement, gold vs second (all codes, {int(pooled['n_segments'])} {project.unit} segments): "
        f"Cohen's kappa {pooled['cohen_kappa']:.2f}, Krippendorff's alpha {pooled['krippendorff_alpha']:.2f}"
    )
    print(f"demo project ready: {folder / 'project'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
