"""The review loop: `--review` writes a review file, the researcher marks rows, `--apply-review` rewrites
OUT consistently across files and keeps the key; bad review files exit 2 with one line."""

from __future__ import annotations

import csv
import json
import stat
from pathlib import Path

from click.testing import CliRunner

from coding.cli_deidentify import deidentify_command

FIRST = (
    "Interviewer: Where did you work?\n\n"
    "R1: I am fifty-three. I was deputy head of the tax inspection in Vahdat. My colleague Parviz Nazarov "
    "helped me. Kulob is far away. In 2012 I was detained for a week.\n"
)
SECOND = "Interviewer: Did you know him?\n\nR2: Yes, Parviz Nazarov was my teacher. I live in Kulob.\n"


def _raw(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "R1.txt").write_text(FIRST, encoding="utf-8")
    (raw / "R2.txt").write_text(SECOND, encoding="utf-8")
    return raw


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_review_then_apply_rewrites_outputs_consistently_and_keeps_the_key(tmp_path: Path) -> None:
    raw, out, key = _raw(tmp_path), tmp_path / "out", tmp_path / "secret" / "key.json"
    runner = CliRunner()
    first = runner.invoke(deidentify_command, [str(raw), str(out), "--key", str(key), "--review"])
    assert first.exit_code == 0, first.output
    review = tmp_path / "secret" / "key.review.csv"
    assert str(review) in first.output
    assert stat.S_IMODE(review.stat().st_mode) == 0o600
    rows = _rows(review)
    categories = {row["category"] for row in rows}
    assert {"replaced", "quasi-identifier", "kept-as-public"} <= categories
    age = next(r for r in rows if r["category"] == "quasi-identifier" and r["kind"] == "AGE")
    assert age["proposed"] == "[AGE: 50s]" and "[[I am fifty-three]]" in age["context"]
    post = next(r for r in rows if r["category"] == "quasi-identifier" and r["kind"] == "POSITION")
    kulob = next(r for r in rows if r["category"] == "kept-as-public" and r["original"] == "Kulob")
    parviz = [r for r in rows if r["category"].startswith("replaced") and "Parviz" in r["original"]]
    pseudonym = parviz[0]["proposed"]
    key_before = json.loads(key.read_text(encoding="utf-8"))

    age["decision"] = "generalise"
    post["decision"] = "generalise"
    post["generalise_to"] = "[a post in the district administration]"
    kulob["decision"] = "replace"
    _write(review, rows)

    second = runner.invoke(deidentify_command, [str(raw), str(out), "--key", str(key), "--apply-review", str(review)])
    assert second.exit_code == 0, second.output
    one = (out / "R1.txt").read_text(encoding="utf-8")
    two = (out / "R2.txt").read_text(encoding="utf-8")
    assert "[AGE: 50s]" in one and "fifty-three" not in one
    assert "[a post in the district administration]" in one and "tax inspection" not in one
    assert "Kulob" not in one and "Kulob" not in two  # replaced in every file, not only the reviewed row
    assert pseudonym in one and pseudonym in two  # the key's pseudonym for Parviz Nazarov is kept
    key_after = json.loads(key.read_text(encoding="utf-8"))
    kept_entities = {e["pseudonym"] for e in key_before["entities"]}
    assert kept_entities <= {e["pseudonym"] for e in key_after["entities"]}
    assert sorted(p.name for p in out.iterdir()) == ["R1.txt", "R2.txt"]


def test_a_name_marked_keep_is_kept_everywhere(tmp_path: Path) -> None:
    raw, out, key = _raw(tmp_path), tmp_path / "out", tmp_path / "key.json"
    runner = CliRunner()
    assert runner.invoke(deidentify_command, [str(raw), str(out), "--key", str(key), "--review"]).exit_code == 0
    review = tmp_path / "key.review.csv"
    rows = _rows(review)
    for row in rows:
        if row["category"].startswith("replaced") and row["original"] == "Parviz Nazarov":
            row["decision"] = "keep"
            break
    _write(review, rows)
    result = runner.invoke(deidentify_command, [str(raw), str(out), "--key", str(key), "--apply-review", str(review)])
    assert result.exit_code == 0, result.output
    assert "Parviz Nazarov" in (out / "R1.txt").read_text(encoding="utf-8")
    assert "Parviz Nazarov" in (out / "R2.txt").read_text(encoding="utf-8")


def test_bad_review_files_exit_2_with_one_line_and_leave_out_alone(tmp_path: Path) -> None:
    raw, out, key = _raw(tmp_path), tmp_path / "out", tmp_path / "key.json"
    runner = CliRunner()
    assert runner.invoke(deidentify_command, [str(raw), str(out), "--key", str(key), "--review"]).exit_code == 0
    before = (out / "R1.txt").read_text(encoding="utf-8")
    review = tmp_path / "key.review.csv"
    rows = _rows(review)
    rows[0]["decision"] = "maybe"
    _write(review, rows)
    result = runner.invoke(deidentify_command, [str(raw), str(out), "--key", str(key), "--apply-review", str(review)])
    assert result.exit_code == 2
    assert "key.review.csv:2: decision must be keep, replace or generalise" in result.output
    assert "Traceback" not in result.output
    rows[0]["decision"] = "generalise"
    rows[0]["original"] = "something else"
    rows[0]["category"] = "quasi-identifier"
    _write(review, rows)
    result = runner.invoke(deidentify_command, [str(raw), str(out), "--key", str(key), "--apply-review", str(review)])
    assert result.exit_code == 2 and "changed since the review" in result.output
    same = runner.invoke(
        deidentify_command, [str(raw), str(out), "--key", str(key), "--review", "--apply-review", str(review)]
    )
    assert same.exit_code == 2 and "would overwrite the decisions" in same.output
    missing = runner.invoke(
        deidentify_command, [str(raw), str(out), "--key", str(key), "--apply-review", str(tmp_path / "nope.csv")]
    )
    assert missing.exit_code == 2 and "no such review file" in missing.output
    assert (out / "R1.txt").read_text(encoding="utf-8") == before


def test_apply_review_never_deletes_files_it_did_not_write(tmp_path: Path) -> None:
    raw, out, key = _raw(tmp_path), tmp_path / "out", tmp_path / "key.json"
    runner = CliRunner()
    assert runner.invoke(deidentify_command, [str(raw), str(out), "--key", str(key), "--review"]).exit_code == 0
    review = tmp_path / "key.review.csv"
    notes = out / "analysis" / "notes-by-researcher.md"
    notes.parent.mkdir()
    notes.write_text("my own work", encoding="utf-8")
    result = runner.invoke(deidentify_command, [str(raw), str(out), "--key", str(key), "--apply-review", str(review)])
    assert result.exit_code == 2
    assert "OUT holds files the first run did not write (analysis/notes-by-researcher.md)" in result.stderr
    assert notes.read_text(encoding="utf-8") == "my own work"
    notes.unlink()
    result = runner.invoke(deidentify_command, [str(raw), str(out), "--key", str(key), "--apply-review", str(review)])
    assert result.exit_code == 0, result.output
