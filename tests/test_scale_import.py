"""Scale: import-codings places rows a few documents at a time (coding.codings_io.DOCUMENTS_PER_BATCH) and
stores exactly what placing every row against every segment at once stores: codings, spans, memos, the
counts it reports, and nothing more on a second import of the same file."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest
from backends import BACKENDS, database
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


def quote_file(path: Path, project, names: list[str], texts: dict[str, str]) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    """A span on every document, then quotes sorted by code, not by document: every document is quoted
    again under each code. Returns (document, offset) of each quote."""
    codes = [c.id for c in project.codebook.codes[:3]]
    quoted = []
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["document", "code", "start", "end", "text"])
        for name in names:
            writer.writerow([name, codes[0], 0, 5, ""])
        for code in codes:
            for number, name in enumerate(names):
                offset = 10 + 7 * number
                writer.writerow([name, code, "", "", texts[name][offset : offset + 30]])
                quoted.append((name, texts[name].find(texts[name][offset : offset + 30])))
    return quoted


@pytest.mark.parametrize("budget", ["a piece", "everything"])
def test_quotes_in_any_order_are_checked_with_their_texts_read_together(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, budget: str
) -> None:
    """Rows with start/end are checked against the lengths the database counts; the texts a piece of rows
    quotes are read in one query, and kept within a budget: a file sorted by code, not by document, reads
    each text once per piece at worst (a budget that holds one piece's texts), once in all when they fit."""
    monkeypatch.setattr(codings_io, "ROWS_PER_CHECK", 8)
    project = copy_of(folder, tmp_path / "reads")
    names = sorted(project.store.document_lengths())
    keep_chars = 8 * max(project.store.document_lengths().values()) if budget == "a piece" else 10**9
    texts = project.store.document_texts(names)
    quoted = quote_file(tmp_path / "quotes.csv", project, names, texts)
    reads: list[list[str]] = []

    def reader(wanted: list[str]) -> dict[str, str]:
        reads.append(list(wanted))
        return project.store.document_texts(wanted)

    checked = codings_io.read_codings_csv(
        tmp_path / "quotes.csv",
        codings_io.DocumentTexts(project.store.document_lengths(), reader, keep_chars=keep_chars),
        {c.id for c in project.codebook.codes},
        "bo",
    )
    rows = list(checked)
    assert len(rows) == len(checked) == len(names) + len(quoted)
    assert [(r.document, r.start) for r in rows[len(names) :]] == quoted
    assert all(r.end - r.start == 30 for r in rows[len(names) :])
    with (tmp_path / "quotes.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        assert [r.line for r in rows] == [reader.line_num for _ in reader]  # quotes may hold line breaks
    pieces = -(-(len(rows)) // 8)
    assert len(reads) <= pieces  # one query per piece at most, never one per row
    if budget == "everything":
        assert sorted(name for read in reads for name in read) == names  # each text read once
    first = names[1]
    assert [r.line for r in checked.rows_of([first])] == [r.line for r in rows if r.document == first]


def test_a_quoted_document_removed_while_the_file_is_read_is_one_line(folder: Path, tmp_path: Path) -> None:
    from coding.errors import ImportFormatError

    project = copy_of(folder, tmp_path / "gone")
    names = sorted(project.store.document_lengths())
    texts = project.store.document_texts(names)
    quote_file(tmp_path / "quotes.csv", project, names, texts)
    lengths = project.store.document_lengths()
    project.remove_document(names[0])  # after its length was read, before its text is
    with pytest.raises(ImportFormatError, match=f"document '{names[0]}' was removed while the file was read"):
        codings_io.read_codings_csv(
            tmp_path / "quotes.csv",
            codings_io.DocumentTexts(lengths, project.store.document_texts),
            {c.id for c in project.codebook.codes},
            "bo",
        )


def test_a_codings_file_given_as_a_pipe_is_read_once(folder: Path, tmp_path: Path) -> None:
    """`qcode import-codings <(cut ...)`: a pipe cannot be read twice; it is checked and read all the same."""
    import os

    project = copy_of(folder, tmp_path / "pipe")
    segment = project.segments_frame().iloc[0]
    code = project.codebook.codes[0].id
    read, write = os.pipe()
    os.write(write, f"document,code,start,end\n{segment.document},{code},{segment.start},{segment.end}\n".encode())
    os.close(write)
    try:
        counts = project.import_codings(Path(f"/proc/self/fd/{read}"), "bo")
    finally:
        os.close(read)
    assert counts == {"rows": 1, "added": 1, "already_present": 0, "rows_without_segment": 0}


def test_a_file_changed_between_its_check_and_its_reading_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coding.errors import ImportFormatError

    path = tmp_path / "codings.csv"
    path.write_bytes(b"document,code,start,end\nD,c,0,5\n")
    check = codings_io._check_bytes

    def check_then_change(*args, **kwargs):  # type: ignore[no-untyped-def]
        check(*args, **kwargs)
        with path.open("ab") as handle:
            handle.write(b"D,c,0,\xff\n")

    monkeypatch.setattr(codings_io, "_check_bytes", check_then_change)
    with pytest.raises(ImportFormatError, match="changed while it was read"):
        codings_io.read_codings_csv(path, codings_io.DocumentTexts.of({"D": "Hello world."}), {"c"}, "ann")


@pytest.mark.parametrize("border", [1, 2, 3, 4, 5, 7])
def test_a_bad_byte_and_a_nul_are_placed_exactly_when_the_file_is_read_in_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, border: int
) -> None:
    """The encoding is checked a piece at a time (CHECK_BYTES): a character cut by a piece's end is whole,
    the first bad byte is given by its offset in the file and a NUL by its line."""
    from coding.errors import ImportFormatError

    def check(path: Path) -> None:
        with codings_io._checked_file(path):
            pass

    monkeypatch.setattr(codings_io, "CHECK_BYTES", border)
    good = "\ufeffdocument,code\nдок,ваҳдат 😀\n".encode()
    path = tmp_path / "codings.csv"
    path.write_bytes(good)
    check(path)  # whole characters across every border: nothing to say
    path.write_bytes(good + b"x,\xe2\x82y\n")
    with pytest.raises(ImportFormatError, match=rf"not valid UTF-8 \(byte offset {len(good) + 2}\)"):
        check(path)
    path.write_bytes(good + b"\n\nx,\x00\n")
    with pytest.raises(ImportFormatError, match="NUL character") as caught:
        check(path)
    assert caught.value.line == 5
    path.write_bytes(good[:-3])  # ends inside a character
    with pytest.raises(ImportFormatError, match=rf"byte offset {len(good) - 5}"):
        check(path)


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
        project.store.engine.dispose()


def test_the_texts_kept_stay_within_the_budget_whatever_the_pieces_quote() -> None:
    """Pieces quoting other documents each time, or one piece quoting more than the budget holds: never more
    than the budget kept (and one text beyond it when that text alone is larger), every text still given."""
    texts = {f"d{i:02}": chr(97 + i % 26) * 100 for i in range(30)}
    reads: list[list[str]] = []

    def reader(names: list[str]) -> dict[str, str]:
        reads.append(names)
        return {name: texts[name] for name in names}

    held = codings_io.DocumentTexts({n: len(t) for n, t in texts.items()}, reader, keep_chars=500)
    for first in (0, 10, 20):  # three pieces of ten documents each
        names = [f"d{i:02}" for i in range(first, first + 10)]
        held.read_ahead(names)
        assert held._chars <= 500
        assert [held.text(name) for name in names] == [texts[name] for name in names]
        assert held._chars <= 500
    assert len(reads[0]) == 5  # as many as the budget holds in one query; the rest one by one as asked
    big = codings_io.DocumentTexts({"huge": 2_000}, lambda names: {n: "h" * 2_000 for n in names}, keep_chars=500)
    big.read_ahead(["huge"])
    assert big.text("huge") == "h" * 2_000 and big._chars == 2_000


@pytest.mark.parametrize(
    ("row", "refused"),
    [(",,,,,extra", True), ("{doc},{code},0,5,, x", True), ("{doc},{code},0,5,,", False), ("{doc},{code},0,5", False)],
)
def test_a_row_with_more_fields_than_the_header_is_refused_unless_they_are_empty(
    tmp_path: Path, row: str, refused: bool
) -> None:
    """An unquoted comma inside a value makes more fields than the header: one line naming it, not a
    traceback, and not a shortened quote stored; an empty field at the end (a spreadsheet's) is harmless."""
    from coding.errors import ImportFormatError

    path = tmp_path / "codings.csv"
    path.write_text("document,code,start,end,memo\n" + row.format(doc="D", code="c") + "\n", encoding="utf-8")
    texts = codings_io.DocumentTexts.of({"D": "Hello world."})
    if refused:
        with pytest.raises(ImportFormatError, match="more fields than the header's 5: a comma inside a value"):
            codings_io.read_codings_csv(path, texts, {"c"}, "ann")
    else:
        assert [(r.start, r.end) for r in codings_io.read_codings_csv(path, texts, {"c"}, "ann")] == [(0, 5)]


def test_texts_already_kept_are_not_dropped_for_a_piece_that_needs_them() -> None:
    """A file sorted by code: the next piece quotes the same documents and one more, just over the budget.
    The piece's texts kept are not dropped and read again one by one: one query for the new one."""
    texts = {f"d{i}": chr(97 + i) * 100 for i in range(6)}
    reads: list[list[str]] = []

    def read(names: list[str]) -> dict[str, str]:
        reads.append(names)
        return {name: texts[name] for name in names}

    held = codings_io.DocumentTexts({name: 100 for name in texts}, read, keep_chars=500)
    for piece in ([f"d{i}" for i in range(5)], [f"d{i}" for i in range(6)]):
        reads.clear()
        held.read_ahead(piece)
        assert [held.text(name) for name in piece] == [texts[name] for name in piece]
        assert held._chars <= 500
    assert reads == [["d5"]]
