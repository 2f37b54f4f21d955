"""Spans travel exactly: the codings CSV (long export in, import out) and REFI-QDA PlainTextSelections."""

from __future__ import annotations

import pandas as pd
from project_factory import make_project, segment_id, write_inputs

from coding.codings_io import LONG_COLUMNS


def _spans(project) -> list[tuple]:  # type: ignore[no-untyped-def]
    frame = project.spans()[["document", "start", "end", "code_id", "coder"]]
    return sorted(frame.itertuples(index=False, name=None))


def _coded(tmp_path):  # type: ignore[no-untyped-def]
    """Spans across two units, a phrase inside one, two spans of one coder on one unit, and a unit coding."""
    project = make_project(tmp_path / "a")
    text = project.store.document_texts(["P01"])["P01"]
    project.apply_span("P01", text.index("mattered"), text.index("bribe") + 5, "money", "ann")
    project.apply_span("P01", text.index("took"), text.index("took") + 4, "money", "ann")
    p2 = project.store.document_texts(["P02"])["P02"]
    project.apply_span("P02", p2.index("Tehran"), p2.index("Tehran") + 6, "actors", "ben")
    project.apply_code(segment_id(project, "P03", "Russia"), "actors.russia", "ann")
    project.set_memo(segment_id(project, "P02", "Tehran"), "the host", "ben")
    return project


def test_the_long_export_ends_with_the_exact_spans_and_importing_it_gives_them_back(tmp_path):
    project = _coded(tmp_path)
    out = tmp_path / "codings.csv"
    project.export_codings(out)
    frame = pd.read_csv(out, comment="#", dtype=str, keep_default_na=False)
    assert list(frame.columns[: len(LONG_COLUMNS)]) == LONG_COLUMNS  # the contract's columns keep their places
    assert list(frame.columns[-2:]) == ["span_start", "span_end"]
    bribe = frame[frame["text"].str.contains("bribe")].iloc[0]
    text = project.store.document_texts(["P01"])["P01"]
    two = sorted([(text.index("mattered"), text.index("bribe") + 5), (text.index("took"), text.index("took") + 4)])
    assert (bribe["span_start"], bribe["span_end"]) == (
        ";".join(str(a) for a, _ in two),
        ";".join(str(b) for _, b in two),
    )
    other = make_project(tmp_path / "b")
    other.import_codings(out, "someone")
    assert _spans(other) == _spans(project)
    assert other.codings("human")[["segment_id", "code", "coder"]].values.tolist() == (
        project.codings("human")[["segment_id", "code", "coder"]].values.tolist()
    )
    other.import_codings(out, "someone")  # the same file again adds nothing
    assert len(other.spans()) == 4


def test_a_contract_csv_row_with_start_and_end_is_stored_as_that_exact_span(tmp_path):
    project = make_project(tmp_path)
    text = project.store.document_texts(["P01"])["P01"]
    start = text.index("took a bribe")
    csv = tmp_path / "in.csv"
    csv.write_text(f"document,code,start,end,coder\nP01,money,{start},{start + 12},ann\n", encoding="utf-8")
    project.import_codings(csv, "x")
    assert _spans(project) == [("P01", start, start + 12, "money", "ann")]
    assert project.codings("human")["segment_id"].tolist() == [segment_id(project, "P01", "bribe")]


def test_refi_qda_round_trip_keeps_every_span_exactly(tmp_path):
    from coding.project import create_project

    project = _coded(tmp_path)
    archive = project.export_qdpx(tmp_path / "out.qdpx")
    _, codebook = write_inputs(tmp_path / "inputs")
    fresh = create_project(tmp_path / "fresh", codebook=codebook)
    report = fresh.import_qdpx(archive)
    assert report.spans_added == 4
    assert _spans(fresh) == _spans(project)
    human = fresh.codings("human")
    assert len(human) == len(project.codings("human"))
