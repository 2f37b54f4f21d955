"""Scale: import-codings places rows a few documents at a time (coding.codings_io.DOCUMENTS_PER_BATCH) and
stores exactly what placing every row against every segment at once stores: codings, spans, memos, the
counts it reports, and nothing more on a second import of the same file."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest
from sqlalchemy import select

import coding
from coding import codings_io
from coding.store.schema import CodingRow, MemoRow, SpanRow

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def write_rows(path: Path, project, seed: int) -> int:  # type: ignore[no-untyped-def]
    """Rows over every document in shuffled order: turn spans, sub-sentence spans that cut across segment
    borders, spans in interviewer turns (placed on no respondent segment), two coders, some memos."""
    chance = random.Random(seed)
    turns = project.store.turns_frame()
    codes = [c.id for c in project.codebook.codes]
    rows = []
    for turn in turns.itertuples():
        for _ in range(chance.choice([0, 1, 1, 2])):
            start, end = int(turn.start), int(turn.end)
            if chance.random() < 0.4 and end - start > 20:
                start = chance.randrange(start, end - 10)
                end = chance.randrange(start + 1, min(end, start + 300) + 1)
            memo = chance.choice(["", "", "", f"memo {chance.randrange(5)}"])
            rows.append([turn.document, chance.choice(codes), start, end, chance.choice(["", "ana"]), memo])
    chance.shuffle(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["document", "code", "start", "end", "coder", "memo"])
        writer.writerows(rows)
    return len(rows)


def stored(project) -> tuple[set, set, set]:  # type: ignore[no-untyped-def]
    with project.store.transaction() as session:
        codings = set(
            session.execute(select(CodingRow.segment_id, CodingRow.code_id, CodingRow.coder, CodingRow.status))
        )
        spans = set(
            session.execute(select(SpanRow.document_id, SpanRow.start, SpanRow.end, SpanRow.code_id, SpanRow.coder))
        )
        memos = set(session.execute(select(MemoRow.segment_id, MemoRow.coder, MemoRow.text)))
    return codings, spans, memos


def expected_codings(project, path: Path, coder: str) -> set:  # type: ignore[no-untyped-def]
    """Placing by hand: every respondent segment that shares a character with a row's span."""
    segments = project.segments_frame()
    found = set()
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            mine = segments[segments["document"] == row["document"]]
            hit = mine[(mine["start"] < int(row["end"])) & (mine["end"] > int(row["start"]))]
            who = row["coder"] or coder
            found.update((int(s), row["code"], who, "accepted") for s in hit["segment_id"])
    return found


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One ingested, segmented project, copied per test (segmenting once keeps the tests short)."""
    base = tmp_path_factory.mktemp("import-batches")
    project = coding.create_project(base / "project")
    project.ingest([CORPUS / "transcripts"], metadata=CORPUS / "respondents.csv")
    project.segment()
    write_rows(base / "codings.csv", project, seed=7)
    return base


def copy_of(folder: Path, target: Path):  # type: ignore[no-untyped-def]
    import shutil

    shutil.copytree(folder / "project", target)
    return coding.open_project(target)


def test_batches_of_documents_store_what_one_pass_stores(folder: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    results = {}
    for per_batch in (1, 7, 10_000):
        monkeypatch.setattr(codings_io, "DOCUMENTS_PER_BATCH", per_batch)
        project = copy_of(folder, tmp_path / f"p{per_batch}")
        counts = project.import_codings(folder / "codings.csv", "bo")
        again = project.import_codings(folder / "codings.csv", "bo")
        results[per_batch] = (counts, stored(project))
        assert again["added"] == 0 and again["already_present"] == counts["added"] + counts["already_present"]
    one_pass = results[10_000]
    for per_batch in (1, 7):
        assert results[per_batch] == one_pass
    counts, (codings, spans, memos) = one_pass
    assert codings == expected_codings(project, folder / "codings.csv", "bo")
    assert counts["rows_without_segment"] > 0 and counts["added"] == len(codings) > 1000
    assert {c for _, _, c, _ in codings} == {"ana", "bo"}
    assert len(spans) > 300 and len(memos) > 50


def test_a_memo_joins_what_the_coder_wrote_in_every_batch(folder: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(codings_io, "DOCUMENTS_PER_BATCH", 2)
    project = copy_of(folder, tmp_path / "memos")
    segments = project.segments_frame()
    first, last = segments.iloc[0], segments.iloc[-1]
    assert first["document"] != last["document"]
    for row in (first, last):
        project.set_memo(int(row.segment_id), "mine", "bo")
    path = tmp_path / "memo.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["document", "code", "start", "end", "memo"])
        for row in (last, first):
            writer.writerow([row.document, project.codebook.codes[0].id, row.start, row.end, "theirs"])
    project.import_codings(path, "bo")
    memos = {(s, c): m for s, c, m in stored(project)[2]}
    assert memos[(int(first.segment_id), "bo")] == memos[(int(last.segment_id), "bo")] == "mine\n\ntheirs"
