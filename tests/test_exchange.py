"""REFI-QDA round trip through a project, codebook exports and publication tables."""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest
from click.testing import CliRunner
from project_factory import make_project, segment_id

from coding.cli import main
from coding.project import create_project


@pytest.fixture()
def project(tmp_path):
    project = make_project(tmp_path / "a")
    project.apply_code(segment_id(project, "P01", "Moscow"), "actors.russia", "anna")
    project.apply_code(segment_id(project, "P03", "sold"), "money", "ben")
    project.set_memo(segment_id(project, "P03", "sold"), "a sale of posts", "ben")
    return project


def test_qdpx_round_trip_keeps_texts_codes_codings_and_attributes(project, tmp_path):
    path = project.export_qdpx(tmp_path / "out.qdpx")
    with zipfile.ZipFile(path) as archive:
        assert "project.qde" in archive.namelist()
    other = create_project(tmp_path / "b", codebook=tmp_path / "a" / "codebook.yaml")
    other.segment("turn")
    report = other.import_qdpx(path)
    assert report.problems == []
    assert other.store.document_texts() == project.store.document_texts()
    assert set(other.codebook.by_id()) == set(project.codebook.by_id())

    def codings(p):
        frame = p.codings("human").merge(p.segments_frame(), on="segment_id")
        return sorted(zip(frame["document"], frame["start"], frame["end"], frame["code"], frame["coder"], strict=True))

    assert codings(other) == codings(project)
    pd.testing.assert_frame_equal(other.respondents(), project.respondents())


def test_qdpx_import_into_a_project_with_the_same_documents_merges_a_second_coder(project, tmp_path):
    copy = make_project(tmp_path / "copy")
    copy.apply_code(segment_id(copy, "P02", "Tehran"), "actors", "cara")
    path = copy.export_qdpx(tmp_path / "cara.qdpx")
    report = project.import_qdpx(path)
    assert report.documents_matched == 3 and report.documents_added == 0
    assert "cara" in project.coders()


@pytest.mark.parametrize("suffix", [".qdc", ".yaml", ".csv", ".xlsx"])
def test_codebook_exports(project, tmp_path, suffix):
    out = tmp_path / f"codebook{suffix}"
    result = CliRunner().invoke(main, ["export", "codebook", str(out), "--project", str(project.folder)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 100
    if suffix == ".csv":
        table = pd.read_csv(out, encoding="utf-8-sig")
        assert list(table.columns[:3]) == ["ID", "Code", "Parent"]
        assert table.loc[table["ID"] == "money", "Segments coded"].item() == 1


def test_qdc_import_adds_new_codes_only(project, tmp_path):
    project.export_codebook(tmp_path / "cb.qdc")
    assert project.import_qdc(tmp_path / "cb.qdc") == 0


def test_publication_exports(project, tmp_path):
    runner = CliRunner()
    folder = str(project.folder)
    crosstab = tmp_path / "crosstab.csv"
    result = runner.invoke(main, ["export", "crosstab", str(crosstab), "--by", "group", "--project", folder])
    assert result.exit_code == 0, result.output
    assert crosstab.read_bytes().startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(crosstab, encoding="utf-8-sig")
    assert table.iloc[-1]["Code"] == "n (respondents)" and table.iloc[-1]["b (n)"] == 2
    assert "project" in (tmp_path / "crosstab.about.txt").read_text()
    quotes = tmp_path / "quotes"
    result = runner.invoke(main, ["export", "quotes", str(quotes), "--project", folder])
    assert result.exit_code == 0, result.output
    money = pd.read_csv(quotes / "money.csv", encoding="utf-8-sig")
    assert list(money["Quote"]) == ["Posts were sold twice."] and list(money["Respondent"]) == ["P03"]
    freq = tmp_path / "freq.xlsx"
    result = runner.invoke(main, ["export", "frequencies", str(freq), "--project", folder])
    assert result.exit_code == 0, result.output
    sheets = pd.read_excel(freq, sheet_name=None)
    assert "About" in sheets and any("% of respondents" in c for s in sheets.values() for c in s.columns)


def test_codings_export_escapes_formula_cells(project, tmp_path):
    seg = segment_id(project, "P02", "Nobody")
    project.apply_code(seg, "money", "=HYPERLINK(1)")
    out = tmp_path / "codings.csv"
    result = CliRunner().invoke(main, ["export", "codings", str(out), "--project", str(project.folder)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "'=HYPERLINK(1)" in text and ",=HYPERLINK" not in text


FIXTURES = __import__("pathlib").Path(__file__).parent / "fixtures" / "refiqda"


def test_real_nvivo_export_imports_into_a_project(tmp_path):
    project = create_project(tmp_path / "nvivo")
    project.segment("paragraph")  # one coding unit per line block keeps the 1.2M-character sources fast
    report = project.import_qdpx(FIXTURES / "oltas0517.qdpx")
    assert report.documents_added == 2 and report.codes_added == 152
    # 303 selections; several selections of one code fall in the same paragraph, which gets the code once
    assert 50 < report.codings_added <= 303 and report.problems == []
    coders = set(project.codings("human")["coder"])
    assert coders and coders <= {"Gergo", "floriansipos"}  # each Coding's own creatingUser is the coder


def test_real_atlas_export_without_sources_reports_what_it_skipped(tmp_path):
    project = create_project(tmp_path / "atlas")
    report = project.import_qdpx(FIXTURES / "TestProject.qdpx")
    assert report.documents_added == 0 and report.codes_added == 14
    assert any("PDF" in line or "pdf" in line for line in report.problems)
    assert project.counts()["codings"] == 0


def _schema(name: str):
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(FIXTURES / name)))


def test_project_exports_validate_against_the_refi_qda_schemas(project, tmp_path):
    from lxml import etree

    project.export_codebook(tmp_path / "codebook.qdc")
    codebook = etree.parse(str(tmp_path / "codebook.qdc"))
    assert _schema("Codebook.xsd").validate(codebook), _schema("Codebook.xsd").error_log
    path = project.export_qdpx(tmp_path / "project.qdpx")
    with zipfile.ZipFile(path) as archive:
        document = etree.fromstring(archive.read("project.qde"))
        names = archive.namelist()
    schema = _schema("Project-mrt2019.xsd")
    assert schema.validate(document), schema.error_log
    assert sum(name.startswith("sources/") and name.endswith(".txt") for name in names) == 3
