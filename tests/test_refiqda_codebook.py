""".qdc codebooks and the mapping between qcode codes and REFI-QDA codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from coding.errors import ImportFormatError
from coding.models import Code, Codebook
from coding.refiqda import (
    QdaCode,
    QdaExportError,
    code_guid,
    code_ids,
    codebook_from_codes,
    codes_from_codebook,
    format_description,
    parse_description,
    read_qdc,
    write_qdc,
)
from coding.refiqda.codes import slug

FIXTURES = Path(__file__).parent / "fixtures" / "refiqda"


@pytest.fixture
def codebook() -> Codebook:
    return Codebook(
        name="Peace process",
        version="1.3",
        codes=[
            Code("external_actors", "External actors", definition="Foreign states or bodies.", color="#1F77B4"),
            Code("external_actors.russia", "Russia", parent="external_actors", examples=["Moscow", "troops"]),
            Code("external_actors.iran", "Iran", parent="external_actors"),
            Code(
                "trust",
                "Trust — confiance",
                definition="Line one.\n\nLine three after a blank.",
                include="Explicit statements",
                exclude="Example: this line only looks like a label",
                examples=["first\nsecond line"],
                color="#abc",
            ),
        ],
    )


def test_written_codebook_validates_against_the_schema(tmp_path, codebook):
    path = write_qdc(codebook, tmp_path / "codes.qdc")
    schema = etree.XMLSchema(etree.parse(str(FIXTURES / "Codebook.xsd")))
    document = etree.parse(str(path))
    schema.assertValid(document)
    root = document.getroot()
    assert root.tag == "{urn:QDA-XML:codebook:1.0}CodeBook"
    russia = root.find(".//{*}Code[@name='Russia']")
    assert russia.getparent().get("name") == "External actors"
    assert russia.get("guid") == code_guid("external_actors.russia")


def test_codebook_round_trip(tmp_path, codebook):
    back = read_qdc(write_qdc(codebook, tmp_path / "codes.qdc"))
    codebook.codes[3].color = "#ABC"  # colours come back upper-case
    assert back.codes == codebook.codes
    assert (back.name, back.version) == ("Peace process", "1.3")


def test_description_is_readable_and_parses_back(codebook):
    trust = codebook.codes[3]
    text = format_description(trust)
    assert text.splitlines()[:3] == ["qcode id: trust", "Definition: Line one.", "  "]
    assert "Exclude: Example: this line only looks like a label" in text
    kept_id, fields, examples = parse_description(text)
    assert kept_id == "trust"
    assert fields == {"definition": trust.definition, "include": trust.include, "exclude": trust.exclude}
    assert examples == trust.examples


def test_description_edited_in_another_tool_keeps_id_and_text():
    edited = "qcode id: trust\nDefinition: Confidence.\nAdded by hand in NVivo\nExample: one"
    assert parse_description(edited) == ("trust", {"definition": "Confidence.\nAdded by hand in NVivo"}, ["one"])


def test_foreign_description_becomes_the_definition():
    assert parse_description("  the breakfast of champions\n") == (
        None,
        {"definition": "the breakfast of champions"},
        [],
    )
    assert parse_description("") == (None, {}, [])


def test_guids_are_stable_and_ids_survive_renaming(codebook):
    codes = codes_from_codebook(codebook)
    assert [c.guid for c in codes] == [c.guid for c in codes_from_codebook(codebook)]
    codes[1].name = "Russian Federation"  # renamed in another tool
    back = codebook_from_codes(codes, name="x")
    assert back.codes[1].id == "external_actors.russia"
    assert back.codes[1].name == "Russian Federation"


def test_foreign_codes_get_ids_from_names_and_hierarchy():
    parent = QdaCode("5067d381-1dc9-4816-81dd-ae1dbfea2ad7", "2. Attitűd szint", "piros / sárga")
    codes = [
        parent,
        QdaCode("7142c1bf-1bbe-4073-88dd-ae1dbfec9f8f", "Zöld", parent=parent.guid),
        QdaCode("fd96ca71-e3fe-46b2-92dd-ae1dbfed137b", "zöld!", parent=parent.guid),
        QdaCode("9f43fe32-c2cb-4ba8-b766-a0734c826e49", "<3"),
    ]
    ids = code_ids(codes)
    assert [ids[code.guid] for code in codes] == [
        "code_2_attitud_szint",
        "code_2_attitud_szint.zold",
        "code_2_attitud_szint.zold_2",
        "code_3",
    ]
    book = codebook_from_codes(codes, name="NVivo")
    assert book.codes[0].definition == "piros / sárga"
    assert book.codes[1].parent == "code_2_attitud_szint"


def test_kept_ids_win_over_derived_ones():
    codes = [
        QdaCode("7142c1bf-1bbe-4073-88dd-ae1dbfec9f8f", "Trust"),  # would derive "trust"
        QdaCode("fd96ca71-e3fe-46b2-92dd-ae1dbfed137b", "Confidence", "qcode id: trust"),
    ]
    ids = code_ids(codes)
    assert [ids[code.guid] for code in codes] == ["trust_2", "trust"]


def test_slug():
    assert slug("Coke::diet Coke") == "coke_diet_coke"
    assert slug("   ") == "code"
    assert slug("<>", "{9F43FE32-C2CB-4BA8-B766-A0734C826E49}") == "code_9f43fe32"


def test_empty_codebook_cannot_be_written(tmp_path):
    with pytest.raises(QdaExportError, match="at least one code"):
        write_qdc(Codebook("empty", "1", []), tmp_path / "c.qdc")
    assert list(tmp_path.iterdir()) == []


def test_foreign_qdc_takes_its_name_from_the_file(tmp_path):
    path = tmp_path / "nvivo codes.qdc"
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<CodeBook xmlns="urn:QDA-XML:codebook:1:0" origin="NVivo for Mac">'
        '<Codes><Code guid="{85D17F60-7BB0-481E-B742-B4861DD669DF}" name="happiness" isCodable="true">'
        '<Description>feeling good</Description><Code guid="0F8A1907-7E42-4739-8610-A676B4D1B69F" '
        'name="joy" isCodable="false" color="#F00082"/></Code></Codes></CodeBook>',
        encoding="utf-8",
    )
    book = read_qdc(path)
    assert (book.name, book.version) == ("nvivo codes", "")
    assert [(c.id, c.parent, c.definition, c.color) for c in book.codes] == [
        ("happiness", None, "feeling good", ""),
        ("happiness.joy", "happiness", "", "#F00082"),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("<Project xmlns='urn:QDA-XML:project:1.0' name='x'/>", "not a REFI-QDA codebook"),
        ("<CodeBook><Codes>", "not well-formed"),
        ('<!DOCTYPE x [<!ENTITY a "b">]><CodeBook/>', "DTD"),
    ],
)
def test_bad_qdc_files_raise_import_format_error(tmp_path, content, message):
    path = tmp_path / "bad.qdc"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ImportFormatError, match=message) as caught:
        read_qdc(path)
    assert caught.value.path == str(path)


def test_missing_qdc_file(tmp_path):
    with pytest.raises(ImportFormatError, match="cannot read"):
        read_qdc(tmp_path / "none.qdc")
