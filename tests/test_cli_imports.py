"""A fast command line: what `qcode --help`, `qcode init` and friends import, checked in a fresh interpreter.

No timing here (the machine is shared): bench/pipeline.py measures the wall time. Each command imports what it
uses inside its function, so the heavy libraries below stay out of the light commands.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("spacy", "pandas", "sklearn", "streamlit", "numpy")

PROBE = """
import json, sys
from coding.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
heavy = sorted({name.split(".")[0] for name in sys.modules} & set(json.loads(HEAVY)))
print(json.dumps({"code": code, "heavy": heavy}))
"""


def imported_by(args: list[str], cwd: Path, watched: tuple[str, ...] = HEAVY) -> tuple[int, list[str]]:
    """The exit status of `qcode ARGS` run in a fresh interpreter, and which of `watched` it imported."""
    script = PROBE.replace("json.loads(HEAVY)", repr(list(watched)))
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["code"], result["heavy"]


@pytest.mark.parametrize(
    "args",
    [["--help"], ["--version"], ["init", "--help"], ["deidentify", "--help"], ["app", "--help"], ["demo", "--help"]],
)
def test_help_imports_no_heavy_library(args: list[str], tmp_path: Path) -> None:
    assert imported_by(args, tmp_path) == (0, [])


def test_init_imports_no_heavy_library(tmp_path: Path) -> None:
    assert imported_by(["init", "study"], tmp_path) == (0, [])


def test_ingest_and_segment_import_only_what_they_use(tmp_path: Path) -> None:
    """Alembic loads only when a database needs migrating (the schema revision is read with one query)."""
    assert imported_by(["init", "study"], tmp_path) == (0, [])
    transcript = tmp_path / "R01.txt"
    transcript.write_text("Interviewer: How was it?\n\nR01: It was a long war. Then peace came.\n", encoding="utf-8")
    assert imported_by(["--project", "study", "ingest", str(transcript)], tmp_path, (*HEAVY, "alembic")) == (0, [])
    # Segmenting needs spaCy (and the numpy under it), not pandas, scikit-learn, Streamlit or Alembic.
    code, heavy = imported_by(["--project", "study", "segment"], tmp_path, (*HEAVY, "alembic"))
    assert (code, heavy) == (0, ["numpy", "spacy"])


def test_init_loads_spacy_only_for_a_codebook_with_token_patterns(tmp_path: Path) -> None:
    codebook = tmp_path / "plain.yaml"
    codebook.write_text(
        "name: plain\nversion: '1'\ncodes:\n  - id: peace\n    name: Peace\n    match: {keywords: [peace]}\n",
        encoding="utf-8",
    )
    code, heavy = imported_by(["init", "study", "--codebook", str(codebook)], tmp_path)
    assert code == 0 and (tmp_path / "study" / "qcode.toml").is_file()
    assert not {"spacy", "sklearn", "streamlit"} & set(heavy)


def test_usage_errors_import_no_heavy_library(tmp_path: Path) -> None:
    assert imported_by(["crosstab"], tmp_path) == (2, [])


def test_init_with_the_reference_codebook_loads_no_spacy(tmp_path: Path) -> None:
    code, heavy = imported_by(["init", "study"], tmp_path)
    assert code == 0 and (tmp_path / "study" / "codebook.yaml").is_file()
    assert not {"spacy", "sklearn", "streamlit"} & set(heavy)


def test_reference_codebook_patterns_pass_spacys_check_and_other_files_get_it(tmp_path: Path) -> None:
    """init skips the spaCy check for the shipped codebook only because this test makes it."""
    from coding.codebook import load_codebook
    from coding.errors import CodebookError
    from coding.resources import default_codebook

    reference = default_codebook()
    assert any(code.rules.patterns for code in load_codebook(reference, check_patterns=True).codes)
    text = reference.read_text(encoding="utf-8")
    broken = tmp_path / "peace_process.yaml"  # same name and content but one bad pattern, elsewhere
    broken.write_text(text.replace("[{LOWER: russian},", "[{LOWER: {NOT_AN_OPERATOR: [x]}}, {LOWER: russian},", 1))
    assert broken.read_text() != text
    with pytest.raises(CodebookError, match="invalid spaCy token pattern"):
        load_codebook(broken)
