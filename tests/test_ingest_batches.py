"""Ingest reads and writes in batches of documents: whatever the batch size, the same rows are stored (ids
included), and they are the rows the parsed files call for."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from coding import ingest as ingest_module
from coding.errors import IngestError
from coding.ingest import read_respondents_csv
from coding.project import create_project
from coding.transcripts import find_transcripts, read_transcript

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def rows(folder: Path) -> dict[str, list[tuple]]:
    """What ingest stores (creation times left out: they differ from run to run)."""
    queries = {
        "respondents": "SELECT id, respondent_id, attributes FROM respondents ORDER BY id",
        "documents": "SELECT id, name, respondent_pk, text, sha256, source_path, attributes, replaced_by, removed_at "
        "FROM documents ORDER BY id",
        "turns": 'SELECT id, document_id, "index", speaker, role, start, "end" FROM turns ORDER BY id',
    }
    with sqlite3.connect(folder / "qcode.sqlite") as connection:
        return {table: connection.execute(query).fetchall() for table, query in queries.items()}


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, Path, Path]:
    """The demo transcripts, two with more front matter (one attribute the metadata also sets), and two
    metadata files: the second changes attributes of respondents already stored and adds one with no file."""
    folder = tmp_path / "transcripts"
    shutil.copytree(CORPUS / "transcripts", folder)
    for name in ("R02.txt", "R07.txt"):
        path = folder / name
        text = path.read_text(encoding="utf-8").replace("---\n", "---\nwave: 1\n", 1)
        path.write_text(text.replace("\ngroup: ", "\ngroup: from the file\nformer_group: ", 1), encoding="utf-8")
    first = tmp_path / "first.csv"
    shutil.copy(CORPUS / "respondents.csv", first)
    with first.open(encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))
    for row in table[::3]:
        row["group"] = row["group"] + " (revised)"
    table.append({**table[0], "respondent_id": "R99"})
    second = tmp_path / "second.csv"
    with second.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)
    return folder, first, second


def ingest_in_batches(tmp_path: Path, corpus: tuple[Path, Path, Path], batch: int) -> dict[str, list[tuple]]:
    folder, first, second = corpus
    project = create_project(tmp_path / f"batch{batch}")
    files = sorted(folder.glob("*.txt"))
    project.ingest(files[:7], metadata=first)  # some documents and respondents are there already
    ingest_module.DOCUMENTS_PER_BATCH = batch
    report = project.ingest([folder], metadata=second)
    assert len(report.added) == len(files) - 7 and len(report.unchanged) == 7
    return rows(project.folder)


def test_every_batch_size_stores_the_same_rows(
    tmp_path: Path, corpus: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_module, "DOCUMENTS_PER_BATCH", ingest_module.DOCUMENTS_PER_BATCH)
    stored = {batch: ingest_in_batches(tmp_path, corpus, batch) for batch in (1, 4, 1000)}
    assert stored[1] == stored[4] == stored[1000]
    assert len(stored[1]["documents"]) == 18 and len(stored[1]["turns"]) > 100


def test_the_rows_are_those_the_files_and_the_metadata_call_for(
    tmp_path: Path, corpus: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_module, "DOCUMENTS_PER_BATCH", ingest_module.DOCUMENTS_PER_BATCH)
    folder, first, second = corpus
    stored = ingest_in_batches(tmp_path, corpus, 4)
    documents = [read_transcript(path) for path in find_transcripts([folder])]
    respondents = {rid: json.loads(attributes) for _pk, rid, attributes in stored["respondents"]}
    csv_rows = {**read_respondents_csv(first), **read_respondents_csv(second)}
    for document in documents:  # the metadata wins over a file's front matter, the newer file over the older
        expected = {**document.attributes, **csv_rows.get(document.respondent_id, {})}
        assert respondents[document.respondent_id] == expected
    assert respondents["R99"] == csv_rows["R99"]  # named only by the metadata
    assert respondents["R02"]["wave"] == "1" and respondents["R02"]["group"] != "from the file"
    by_name = {row[1]: row for row in stored["documents"]}
    pks = {rid: pk for pk, rid, _attributes in stored["respondents"]}
    turns: dict[int, list[tuple]] = {}
    for _id, document_id, *turn in stored["turns"]:
        turns.setdefault(document_id, []).append(tuple(turn))
    for document in documents:
        row = by_name[document.name]
        assert row[2:5] == (pks[document.respondent_id], document.text, document.sha256)
        assert json.loads(row[6]) == document.attributes and row[7] is None and row[8] is None
        assert turns[row[0]] == [(t.index, t.speaker, t.role, t.start, t.end) for t in document.turns]


def test_an_error_in_a_later_batch_leaves_the_project_as_it_was(
    tmp_path: Path, corpus: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, first, _second = corpus
    (folder / "R18.txt").write_bytes(b"\xff\xfe not UTF-8")  # the last file: read after every other batch
    project = create_project(tmp_path / "project")
    before = rows(project.folder)
    monkeypatch.setattr(ingest_module, "DOCUMENTS_PER_BATCH", 2)
    with pytest.raises(IngestError, match="R18.txt"):
        project.ingest([folder], metadata=first)
    assert rows(project.folder) == before
