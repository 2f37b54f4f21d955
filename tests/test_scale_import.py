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

from backends import BACKENDS, database

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


def test_checking_a_file_reads_only_the_texts_its_quotes_need(folder: Path, tmp_path: Path) -> None:
    """Rows with start/end are checked against the lengths the database counts; a quote reads its document,
    and only the last few texts are kept while the file is read."""
    project = copy_of(folder, tmp_path / "reads")
    names = sorted(project.store.document_lengths())
    texts = project.store.document_texts(names[:3])
    path = tmp_path / "quotes.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["document", "code", "start", "end", "text"])
        code = project.codebook.codes[0].id
        for name in names:  # a span on every document
            writer.writerow([name, code, 0, 5, ""])
        for name in (names[0], names[1], names[0], names[2], names[1]):  # quotes on three of them
            writer.writerow([name, code, "", "", texts[name][10:40]])
    read: list[str] = []

    def reader(name: str) -> str:
        read.append(name)
        return project.store.document_text(name)

    checked = codings_io.read_codings_csv(
        path, codings_io.DocumentTexts(project.store.document_lengths(), reader, keep=2), {code}, "bo"
    )
    assert read == [names[0], names[1], names[2], names[1]]  # names[0] still kept; names[1] dropped for names[2]
    rows = list(checked)
    assert len(rows) == len(names) + 5 == len(checked)
    assert [(r.document, r.start, r.end) for r in rows[-5:]] == [
        (name, texts[name].find(texts[name][10:40]), texts[name].find(texts[name][10:40]) + 30)
        for name in (names[0], names[1], names[0], names[2], names[1])
    ]
    assert [r.line for r in rows] == list(range(2, len(names) + 7))
    assert checked.rows_of([names[1]]) == [rows[1], rows[-4], rows[-1]]  # a document's rows in file order


@pytest.mark.parametrize("border", [1, 2, 3, 4, 5, 7])
def test_a_bad_byte_and_a_nul_are_placed_exactly_when_the_file_is_read_in_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, border: int
) -> None:
    """The encoding is checked a piece at a time (CHECK_BYTES): a character cut by a piece's end is whole,
    the first bad byte is given by its offset in the file and a NUL by its line."""
    from coding.errors import ImportFormatError

    monkeypatch.setattr(codings_io, "CHECK_BYTES", border)
    good = "\ufeffdocument,code\nдок,ваҳдат 😀\n".encode()
    path = tmp_path / "codings.csv"
    path.write_bytes(good)
    codings_io._check_text_file(path)  # whole characters across every border: nothing to say
    bad = good + b"x,\xe2\x82y\n"
    path.write_bytes(bad)
    with pytest.raises(ImportFormatError, match=rf"not valid UTF-8 \(byte offset {len(good) + 2}\)"):
        codings_io._check_text_file(path)
    path.write_bytes(good + b"\n\nx,\x00\n")
    with pytest.raises(ImportFormatError, match="NUL character") as caught:
        codings_io._check_text_file(path)
    assert caught.value.line == 5
    path.write_bytes(good[:-3])  # ends inside a character
    with pytest.raises(ImportFormatError, match=rf"byte offset {len(good) - 5}"):
        codings_io._check_text_file(path)


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_database_counts_a_documents_length_as_python_does(tmp_path: Path, backend: str) -> None:
    """Spans are checked against lengths the database counts (no text read): characters, not bytes, on both
    databases, for Cyrillic, Tajik letters and characters outside the Basic Multilingual Plane."""
    folder = tmp_path / "transcripts"
    folder.mkdir()
    (folder / "T1.txt").write_text("Q: Салом, ҷаноб?\nA: Ҳа, 😀 хуб. Дар Душанбе.\n", encoding="utf-8")
    (folder / "T2.txt").write_text("Q: Hello?\nA: Fine, thanks.\n", encoding="utf-8")
    with database(backend) as url:
        project = coding.create_project(tmp_path / "project", db=url)
        project.ingest([folder])
        texts = project.store.document_texts()
        assert project.store.document_lengths() == {name: len(text) for name, text in texts.items()}
        assert project.store.document_text("T1") == texts["T1"]
        project.store.engine.dispose()
