"""End to end through the `qcode` command over the demo corpus, as a researcher would run it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from coding.cli import main

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
CONTRACT_COMMANDS = (
    "init",
    "deidentify",
    "ingest",
    "segment",
    "autocode",
    "train",
    "import-codings",
    "crosstab",
    "agree",
    "export",
    "import",
    "app",
)


def run(*args: object):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, (args, result.output)
    return result


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """init, ingest, segment (sentences), import the gold coding, autocode with rules, crosstab, exports."""
    from coding.demo import turn_codings_to_csv

    root = tmp_path_factory.mktemp("cli")
    project = root / "project"
    gold = root / "gold.csv"
    turn_codings_to_csv(CORPUS / "gold.jsonl", CORPUS / "transcripts", gold)
    outputs = {
        "init": run("init", project),
        "ingest": run("--project", project, "ingest", CORPUS / "transcripts", "--metadata", CORPUS / "respondents.csv"),
        "segment": run("segment", "--project", project),
        "import": run("import-codings", gold, "--coder", "gold", "--project", project),
        "autocode": run("autocode", "--rules", "--project", project),
        "crosstab": run(
            "crosstab", "--by", "group", "--count", "respondents", "--out", root / "crosstab.csv", "--project", project
        ),
        "codings": run("export", "codings", root / "codings.csv", "--project", project),
        "matrix": run("export", "matrix", root / "matrix.csv", "--project", project),
    }
    return root, project, gold, outputs


def test_each_step_reports_what_it_did(demo):
    root, project, gold, outputs = demo
    assert "created project" in outputs["init"].stdout and "codes" in outputs["init"].stdout
    assert "documents: 18 added, 0 unchanged, 18 respondents' attributes read" in outputs["ingest"].stdout
    assert "sentence segments in 18 new documents" in outputs["segment"].stdout
    gold_rows = len(gold.read_text(encoding="utf-8").splitlines()) - 1
    assert outputs["import"].stdout.startswith(f"{gold_rows} rows: ")
    assert "rules.v1: " in outputs["autocode"].stdout and " suggestions (" in outputs["autocode"].stdout
    assert (project / "qcode.toml").is_file() and (project / "qcode.sqlite").is_file()


def test_the_project_holds_what_the_commands_put_in(demo):
    import coding

    _, project_dir, _, _ = demo
    project = coding.open_project(project_dir)
    counts = project.counts()
    assert (counts["respondents"], counts["documents"]) == (18, 18)
    assert project.unit == "sentence"
    assert counts["segments"] == len(project.segments_frame()) > 18 * 10
    codings = project.codings("all")
    assert set(codings["source"]) == {"human", "rule"}
    assert set(codings.loc[codings["source"] == "human", "coder"]) == {"gold"}


def test_crosstab_csv_is_the_projects_crosstab(demo):
    import coding

    root, project_dir, _, _ = demo
    written = pd.read_csv(root / "crosstab.csv").set_index("code")
    expected = coding.open_project(project_dir).crosstab(by="group", count="respondents")
    assert list(written.index) == list(expected.index)
    assert list(written.columns) == ["name", "level", *[str(c) for c in expected.columns[2:]]]
    assert written.drop(columns=["name"]).to_numpy().tolist() == expected.drop(columns=["name"]).to_numpy().tolist()
    assert written.loc["external_actors", "Total"] == 18


def test_long_export_has_one_row_per_coding(demo):
    import coding

    root, project_dir, _, _ = demo
    frame = pd.read_csv(root / "codings.csv", dtype=str, keep_default_na=False)
    project = coding.open_project(project_dir)
    assert len(frame) == len(project.codings("all", include_rejected=True))
    assert list(frame.columns[:14]) == [
        "document",
        "respondent_id",
        "segment_id",
        "unit",
        "start",
        "end",
        "speaker",
        "text",
        "code",
        "code_name",
        "coder",
        "source",
        "confidence",
        "status",
    ]
    assert {"group", "gender", "location", "side"} <= set(frame.columns)
    assert set(frame["source"]) == {"human", "rule"}
    assert set(frame["status"]) <= {"accepted", "suggested", "rejected"}
    texts = project.store.document_texts()
    sample = frame.sample(50, random_state=1)
    for row in sample.itertuples(index=False):
        assert texts[row.document][int(row.start) : int(row.end)] == row.text


def test_matrix_export_has_a_row_per_sentence_and_a_column_per_code(demo):
    import coding

    root, project_dir, _, _ = demo
    frame = pd.read_csv(root / "matrix.csv")
    project = coding.open_project(project_dir)
    codes = [code.id for code in project.codebook.tree_order()]
    assert len(frame) == len(project.segments_frame())
    assert list(frame.columns[-len(codes) :]) == codes
    assert set(frame[codes].to_numpy().ravel()) == {0, 1}
    assert frame[codes].to_numpy().sum() == len(project.codings("human")[["segment_id", "code"]].drop_duplicates())


def test_gold_turn_codes_land_on_every_sentence_of_their_turn(demo):
    import coding

    _, project_dir, _, _ = demo
    project = coding.open_project(project_dir)
    segments = project.segments_frame()
    human = project.codings("human").merge(segments, on="segment_id")
    turn_codes = {}
    for line in (CORPUS / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        turn_codes[(item["doc"], item["turn"])] = set(item["codes"])
    for (document, turn), sentences in segments.groupby(["document", "turn_index"]):
        coded = human[(human["document"] == document) & (human["turn_index"] == turn)]
        for segment_id in sentences["segment_id"]:
            assert set(coded.loc[coded["segment_id"] == segment_id, "code"]) == turn_codes[(document, turn)]


def test_running_the_same_steps_again_changes_nothing(demo, tmp_path):
    import sqlite3

    root, project, gold, _ = demo
    with sqlite3.connect(project / "qcode.sqlite") as connection:
        before = [line for line in connection.iterdump() if '"change_log"' not in line]
    again = run("ingest", CORPUS / "transcripts", "--project", project)
    assert "0 added, 18 unchanged" in again.stdout
    assert "0 sentence segments" in run("segment", "--project", project).stdout
    assert "0 codings added" in run("import-codings", gold, "--coder", "gold", "--project", project).stdout
    with sqlite3.connect(project / "qcode.sqlite") as connection:
        after = [line for line in connection.iterdump() if '"change_log"' not in line]
    assert after == before


def test_crosstab_prints_a_table_with_column_bases(demo):
    _, project, _, _ = demo
    result = run("crosstab", "--by", "gender", "--percent", "column", "--project", project)
    assert "External actors" in result.stdout and "n (segments)" in result.stdout
    assert "female" in result.stdout and "male" in result.stdout


def test_help_lists_every_command_of_the_contract():
    result = run("--help")
    for command in CONTRACT_COMMANDS:
        assert command in result.stdout, command
    for command in CONTRACT_COMMANDS:
        assert run(command, "--help").stdout.startswith("Usage:")


def test_python_dash_m_coding_is_the_same_command():
    completed = subprocess.run(
        [sys.executable, "-m", "coding", "--help"], capture_output=True, text=True, timeout=120, cwd=REPO
    )
    assert completed.returncode == 0, completed.stderr
    assert "import-codings" in completed.stdout and "crosstab" in completed.stdout
