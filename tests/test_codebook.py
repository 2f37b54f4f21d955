"""Codebooks: every shipped one validates, the reference one honours the spec, bad ones say where."""

from __future__ import annotations

import colorsys
import dataclasses
from pathlib import Path

import pytest

from coding.codebook import (
    codebook_from_dict,
    codebook_version,
    dump_codebook,
    load_codebook,
    validate,
    write_codebook,
)
from coding.errors import CodebookError
from coding.models import Code, Codebook, MatchRules

REPO = Path(__file__).resolve().parents[1]
SHIPPED = sorted((REPO / "codebooks").glob("*.y*ml"))
REFERENCE = REPO / "codebooks" / "peace_process.yaml"
BAD = Path(__file__).parent / "fixtures" / "codebooks"

# The fixed contract of CODEBOOK-SPEC.md: id -> parent.
SPEC_CODES: dict[str, str | None] = {
    "external_actors": None,
    "external_actors.russia": "external_actors",
    "external_actors.iran": "external_actors",
    "external_actors.uzbekistan": "external_actors",
    "external_actors.afghan_actors": "external_actors",
    "external_actors.united_states": "external_actors",
    "external_actors.pakistan": "external_actors",
    "external_actors.international_orgs": "external_actors",
    "track2_dialogue": None,
    "power_sharing": None,
    "implementation_gaps": None,
    "exclusivity": None,
    "corruption": None,
    "womens_roles": None,
    "civil_society": None,
    "transitional_justice": None,
    "reintegration": None,
    "refugees": None,
    "authoritarian_consolidation": None,
    "afghanistan_lessons": None,
}


@pytest.fixture(scope="module")
def reference() -> Codebook:
    return load_codebook(REFERENCE)


def problems_of(path: Path) -> list[str]:
    with pytest.raises(CodebookError) as info:
        load_codebook(path)
    assert info.value.path == str(path)
    return info.value.problems


# --- shipped codebooks ---------------------------------------------------------------------------


def test_codebooks_folder_is_not_empty() -> None:
    assert REFERENCE in SHIPPED


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.name)
def test_shipped_codebook_loads_and_validates(path: Path) -> None:
    codebook = load_codebook(path)
    assert codebook.codes
    assert validate(codebook, path) == []


def test_reference_has_every_spec_code_with_its_parent(reference: Codebook) -> None:
    parents = {code.id: code.parent for code in reference.codes}
    for code_id, parent in SPEC_CODES.items():
        assert code_id in parents, code_id
        assert parents[code_id] == parent, code_id


@pytest.mark.parametrize("code_id", list(SPEC_CODES))
def test_reference_code_is_documented_and_has_rules(reference: Codebook, code_id: str) -> None:
    code = reference.by_id()[code_id]
    assert code.name and code.definition and code.include and code.exclude
    assert code.examples and all(example.strip() for example in code.examples)
    assert code.rules.keywords or code.rules.lemmas or code.rules.patterns
    assert code.color.startswith("#")


def test_reference_children_share_their_parents_hue(reference: Codebook) -> None:
    def hue(color: str) -> float:
        r, g, b = (int(color[i : i + 2], 16) / 255 for i in (1, 3, 5))
        return colorsys.rgb_to_hsv(r, g, b)[0] * 360

    codes = reference.by_id()
    for code in reference.codes:
        if code.parent:
            distance = abs(hue(code.color) - hue(codes[code.parent].color))
            assert min(distance, 360 - distance) < 30, code.id


def test_reference_declares_name_version_and_description(reference: Codebook) -> None:
    assert reference.name and reference.version and reference.description
    assert reference.source_path == str(REFERENCE)


# --- bad codebooks -------------------------------------------------------------------------------

BAD_CASES = [
    ("unknown_parent.yaml", 9, "codes[1].parent", "unknown parent 'actor'"),
    ("duplicate_id.yaml", 9, "codes[2].id", "duplicate id 'refugees' (first at line 5)"),
    ("cycle.yaml", 7, "codes[0].parent", "cycle in parents: a -> c -> b -> a"),
    ("bad_pattern.yaml", 11, "codes[0].match.patterns[1]", "LOWR"),
    ("syntax_error.yaml", 9, "yaml", "syntax error"),
    ("empty.yaml", 1, "codebook", "empty file"),
    ("not_mapping.yaml", 2, "codebook", "expected a mapping"),
]


@pytest.mark.parametrize(("name", "line", "where", "message"), BAD_CASES, ids=[case[0] for case in BAD_CASES])
def test_bad_codebook_names_file_line_and_path(name: str, line: int, where: str, message: str) -> None:
    path = BAD / name
    problems = problems_of(path)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}:{line}: {where}: "), problems[0]
    assert message in problems[0]


def test_every_problem_is_reported_at_once() -> None:
    path = BAD / "many_problems.yaml"
    problems = problems_of(path)
    expected = [
        (3, "version", "quote it"),
        (4, "colour_scheme", "unknown field"),
        (6, "codes[0].id", "bad id 'Russia'"),
        (8, "codes[0].color", "bad colour 'red'"),
        (9, "codes[1].name", "missing"),
        (10, "codes[1].parent", "unknown parent 'nowhere'"),
        (11, "codes[1].examples", "expected a list of text, got text"),
        (15, "codes[2].match.keywords[1]", "expected text, got a number"),
        (17, "codes[2].match.patterns[0]", "invalid spaCy token pattern"),
        (18, "codes[3]", "expected a mapping"),
    ]
    assert len(problems) == len(expected), problems
    for problem, (line, where, message) in zip(problems, expected, strict=True):
        assert problem.startswith(f"{path}:{line}: {where}: "), problem
        assert message in problem
    assert "and 5 more" in str(CodebookError(path, problems))


def test_duplicate_yaml_keys_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text('name: a\nversion: "1"\ncodes:\n  - id: x\n    name: X\n    name: Y\n', encoding="utf-8")
    assert problems_of(path) == [f"{path}:6: codes[0].name: duplicate key (the later value would silently win)"]


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    assert problems_of(missing) == [f"{missing}: file not found"]
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("name: Caf\xe9\n".encode("latin-1"))
    assert "not UTF-8" in problems_of(latin)[0]


def test_plain_dicts_are_validated_too() -> None:
    data = {"name": "x", "version": "1", "codes": [{"id": "a", "name": "A", "parent": "b"}]}
    with pytest.raises(CodebookError) as info:
        codebook_from_dict(data, "inline")
    assert info.value.problems == ["inline: codes[0].parent: unknown parent 'b'"]


def test_patterns_the_rule_pipeline_cannot_serve_are_reported() -> None:
    data = {
        "name": "x",
        "version": "1",
        "codes": [{"id": "a", "name": "A", "match": {"patterns": [[{"DEP": "nsubj"}]]}}],
    }
    (problem,) = validate(data, "inline")
    assert problem.startswith("inline: codes[0].match.patterns[0]: DEP cannot be used")


def test_validate_accepts_a_codebook_object() -> None:
    book = Codebook("x", "1", [Code("a", "A", parent="a")])
    assert validate(book, "mem") == ["mem: codes[0].parent: cycle in parents: a -> a"]


# --- writing and versions ------------------------------------------------------------------------


def tricky_codebook() -> Codebook:
    """Values YAML likes to mangle: yes/no, numbers as text, colons, quotes, newlines, non-ASCII."""
    return Codebook(
        name="Mirzo's «book»: test",
        version="1.10",
        description="Line one.\nLine two, with trailing words.",
        codes=[
            Code("yes", "no", definition="Душанбе: talks\n  indented", examples=["1.0", "on", "null"]),
            Code(
                "yes.child",
                "Child",
                parent="yes",
                color="#ABCDEF",
                rules=MatchRules(
                    keywords=["30%", "n't", "a: b"],
                    lemmas=["sell post"],
                    patterns=[[{"LOWER": {"IN": ["no", "on"]}}, {"LEMMA": "sell", "OP": "?"}]],
                ),
            ),
        ],
    )


@pytest.mark.parametrize("make", [tricky_codebook, lambda: load_codebook(REFERENCE)], ids=["tricky", "reference"])
def test_write_then_load_gives_the_same_codebook(tmp_path: Path, make) -> None:
    original = make()
    path = tmp_path / "out.yaml"
    write_codebook(original, path)
    again = load_codebook(path)
    assert again == dataclasses.replace(original, source_path=str(path))
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_written_patterns_stay_on_one_line(reference: Codebook) -> None:
    text = dump_codebook(reference)
    assert "- [{LOWER: russian}, {LOWER: {IN: [side, government" in text
    assert "&id" not in text


def test_codebook_version_tracks_rules_not_wording(reference: Codebook) -> None:
    version = codebook_version(reference)
    assert len(version) == 12 and version == codebook_version(load_codebook(REFERENCE))
    reworded = dataclasses.replace(reference, codes=[dataclasses.replace(c, definition="x") for c in reference.codes])
    assert codebook_version(reworded) == version
    reordered = dataclasses.replace(reference, codes=list(reversed(reference.codes)))
    assert codebook_version(reordered) == version
    first = reference.codes[0]
    more_rules = dataclasses.replace(first, rules=MatchRules(keywords=[*first.rules.keywords, "extra"]))
    assert codebook_version(dataclasses.replace(reference, codes=[more_rules, *reference.codes[1:]])) != version
    assert codebook_version(dataclasses.replace(reference, version="2.0")) != version
