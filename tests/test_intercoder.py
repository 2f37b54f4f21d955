"""Agreement on a project: which segments count, disagreements, consensus as the human truth."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from project_factory import make_project, segment_id

from coding.cli import main
from coding.errors import UsageError
from coding.intercoder import CONSENSUS, publication_table


@pytest.fixture()
def project(tmp_path):
    project = make_project(tmp_path)
    moscow = segment_id(project, "P01", "Moscow")
    tehran = segment_id(project, "P02", "Tehran")
    sold = segment_id(project, "P03", "sold")
    for coder in ("anna", "ben"):
        project.apply_code(moscow, "actors", coder)
    project.apply_code(tehran, "actors", "anna")
    project.apply_code(sold, "money", "ben")
    project.apply_code(sold, "money", "anna")
    return project


def test_agreement_counts_uncoded_segments_of_shared_documents_as_agreed_absence(project):
    table = project.agree(["anna", "ben"], units="documents").set_index("code")
    # documents coded by both: P01 (anna, ben), P03 (anna, ben); P02 only by anna -> 4 segments
    assert table.loc["actors", "n_segments"] == 4
    assert table.loc["actors", "percent_agreement"] == pytest.approx(1.0)
    touched = project.agree(["anna", "ben"], units="touched").set_index("code")
    assert touched.loc["actors", "n_segments"] == 3  # Moscow, Tehran, sold
    assert touched.loc["actors", "percent_agreement"] == pytest.approx(2 / 3)
    assert touched.loc["actors", "positives_anna"] == 2 and touched.loc["actors", "positives_ben"] == 1


def test_undefined_statistic_is_explained_not_invented(project):
    table = project.agree(["anna", "ben"]).set_index("code")
    assert (
        table.loc["actors.russia", "cohen_kappa"] is pd_na() or str(table.loc["actors.russia", "cohen_kappa"]) == "<NA>"
    )
    assert "undefined" in table.loc["actors.russia", "note"]


def pd_na():
    import pandas as pd

    return pd.NA


def test_unknown_coder_is_a_clear_error(project):
    with pytest.raises(UsageError, match="unknown coder"):
        project.agree(["anna", "nobody"])


def test_disagreements_and_consensus_become_the_human_truth(project):
    differ = project.disagreements("anna", "ben", units="touched")
    assert list(differ["code"]) == ["actors"]
    tehran = int(differ.iloc[0]["segment_id"])
    assert "Tehran" in differ.iloc[0]["text"]
    assert project.seed_consensus("anna", "ben", actor="anna") == 2
    project.resolve(tehran, "actors", applies=False, actor="anna")
    after = project.disagreements("anna", "ben", units="touched")
    assert after.iloc[0]["consensus"] == "not applied"
    truth = project.crosstab(by="group", coders=[CONSENSUS])
    assert truth.loc["actors", "b"] == 0 and truth.loc["actors", "a"] == 1 and truth.loc["money", "b"] == 1


def test_agree_command_prints_and_writes_publication_table(project, tmp_path):
    runner = CliRunner()
    folder = str(project.folder)
    result = runner.invoke(main, ["agree", "anna", "ben", "--project", folder])
    assert result.exit_code == 0, result.output
    assert "Cohen" in result.output and "All codes" in result.output
    out = tmp_path / "agreement.csv"
    result = runner.invoke(main, ["agree", "anna", "ben", "--out", str(out), "--project", folder])
    assert result.exit_code == 0 and out.exists()
    assert (tmp_path / "agreement.about.txt").exists()
    table = publication_table(project.agree(["anna", "ben"]))
    assert {"Code", "Segments (n)", "Positives (anna)", "Cohen's kappa", "Krippendorff's alpha"} <= set(table.columns)


def test_three_coders_get_fleiss_kappa(project):
    project.apply_code(segment_id(project, "P01", "Moscow"), "actors", "cara")
    project.apply_code(segment_id(project, "P03", "sold"), "money", "cara")
    table = project.agree(["anna", "ben", "cara"]).set_index("code")
    assert "fleiss_kappa" in table.columns and "cohen_kappa" not in table.columns
