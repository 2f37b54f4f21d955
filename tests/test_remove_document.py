"""`qcode remove DOCUMENT`: one bad file no longer holds a project hostage. The document leaves every count,
table and export; its codings and memos stay with it; `qcode restore` (or `remove --undo`) brings it back."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from project_factory import make_project, segment_id

from coding.cli import main
from coding.errors import IngestError

BAD = (
    "---\nrespondent_id: P99\ngroup: a\ngender: male\n---\n"
    # A file that should never have been ingested: someone else's notes, pasted twice, about Moscow.
    "Interviewer: notes\n\nP99: " + "Moscow Moscow Moscow, copied from the wrong file. " * 400 + "\n"
)


def cli(folder: Path, *args: object) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--project", str(folder), *map(str, args)])
    return result.exit_code, result.output


def test_a_removed_document_leaves_counts_and_exports_keeps_its_codings_and_comes_back(tmp_path):
    project = make_project(tmp_path)
    transcripts = tmp_path / "transcripts"
    (transcripts / "P99.txt").write_text(BAD, encoding="utf-8")
    project.ingest([transcripts])
    project.segment("turn")
    bad = segment_id(project, "P99", "wrong file")
    good = segment_id(project, "P01", "Moscow")
    project.apply_code(bad, "actors", "ann")
    project.apply_code(good, "actors", "ann")
    project.set_memo(bad, "this file is not an interview", "ann")
    project.autocode(rules=True)
    before = project.counts()
    assert before["documents"] == 4

    code, out = cli(project.folder, "remove", "P99")
    assert code == 0, out
    assert out.startswith("removed P99 (3 codings and 1 memo kept with it") and "qcode restore P99" in out, out
    after = project.counts()
    assert after["documents"] == 3 and after["segments"] < before["segments"] and after["codings"] < before["codings"]
    assert after["respondents"] == before["respondents"] - 1  # P99 was the respondent's only transcript
    assert "P99" not in set(project.respondents()["respondent_id"])
    assert "P99" not in set(project.segments_frame()["document"])
    assert set(project.codings("all")["segment_id"]) <= set(project.segments_frame()["segment_id"])
    assert project.memos().empty
    crosstab = project.crosstab(by="gender", count="respondents")
    assert crosstab.loc["actors", "male"] == 0  # P99 (male) no longer counts; P02 (male) has no such code
    out_csv = tmp_path / "codings.csv"
    assert cli(project.folder, "export", "codings", out_csv)[0] == 0
    assert "P99" not in set(pd.read_csv(out_csv)["document"])
    # Later steps leave it alone, and ingesting the folder again does not bring it back.
    assert project.segment("sentence")["documents"] == 3
    report = project.ingest([transcripts])
    assert report.removed == ["P99"] and not report.added
    assert "left out as removed" in report.summary()
    assert project.counts()["documents"] == 3

    code, out = cli(project.folder, "remove", "P99")
    assert code == 2 and out.count("\n") == 1 and "removed already" in out
    code, out = cli(project.folder, "remove", "P42")
    assert code == 2 and out.count("\n") == 1 and "no document named 'P42'" in out

    code, out = cli(project.folder, "restore", "P99")
    assert code == 0 and out == "restored P99 (3 codings and 1 memo)\n", out  # ann's and two suggestions
    assert project.counts()["documents"] == 4 and project.counts()["respondents"] == before["respondents"]
    assert project.segment("turn")["documents"] == 0  # back as it was, segments and all
    mine = project.codings("human", ["ann"])
    assert bad in set(mine["segment_id"]) and good in set(mine["segment_id"])
    assert list(project.memos()["memo"]) == ["this file is not an interview"]
    code, out = cli(project.folder, "remove", "--undo", "P99")
    assert code == 2 and "no removed document named 'P99'" in out

    log = project.store.log_frame()
    assert {"remove_document", "restore_document"} <= set(log["action"])


def test_coding_a_removed_document_is_refused(tmp_path):
    from coding.errors import ReplacedDocumentError

    project = make_project(tmp_path)
    target = segment_id(project, "P02", "Tehran")
    project.autocode(rules=True)
    suggestion = project.codings("auto")
    suggestion = suggestion[suggestion["segment_id"] == target]
    project.remove_document("P02")
    with pytest.raises(ReplacedDocumentError, match="no longer current"):
        project.apply_code(target, "actors", "ann")
    with pytest.raises(ReplacedDocumentError):
        project.decide_suggestion(int(suggestion["coding_id"].iloc[0]), True, "ann")
    project.restore_document("P02")
    project.apply_code(target, "actors", "ann")
    assert len(project.codings("human", ["ann"])) == 1


def test_a_changed_file_of_a_removed_document_is_its_new_version_only_with_replace(tmp_path):
    project = make_project(tmp_path)
    project.apply_code(segment_id(project, "P03", "Russia"), "actors", "ann")
    project.remove_document("P03")
    path = tmp_path / "transcripts" / "P03.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("twice", "three times"), encoding="utf-8")
    with pytest.raises(IngestError, match="was removed and this file differs from it; pass --replace"):
        project.ingest([path])
    report = project.ingest([path], replace=True)
    assert report.replaced == ["P03"] and report.codings_carried == 1  # ann's coding on unchanged text
    assert project.counts()["documents"] == 3
    mine = project.codings("human", ["ann"])
    current = project.segments_frame()
    assert len(mine) == 1 and set(mine["segment_id"]) <= set(current.loc[current["document"] == "P03", "segment_id"])
    code, out = cli(project.folder, "restore", "P03")
    assert code == 2  # the new version is current; the removed one is its previous version, codings and all
