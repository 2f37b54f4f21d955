"""`qcode deidentify` through click's runner: exit codes, key permissions, nothing written on bad input."""

from __future__ import annotations

import stat
from pathlib import Path

from click.testing import CliRunner

from coding.cli_deidentify import deidentify_command


def _raw(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "R1.txt").write_text(
        "Interviewer: Thank you, Zarina.\n\nR1: My husband Bakhtovar worked in Kulob. Call +992 93 555 12 34.\n",
        encoding="utf-8",
    )
    return raw


def test_cli_writes_output_key_and_audit(tmp_path: Path) -> None:
    raw = _raw(tmp_path)
    result = CliRunner().invoke(deidentify_command, [str(raw), str(tmp_path / "out"), "--review"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "out" / "R1.txt").read_text(encoding="utf-8")
    assert "Zarina" not in text and "Bakhtovar" not in text and "555" not in text and "Kulob" in text
    key = tmp_path / "out.key.json"
    assert str(key) in result.output
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "out.audit.csv").stat().st_mode) == 0o600
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["R1.txt"]


def test_cli_rerun_with_same_key_reuses_pseudonyms(tmp_path: Path) -> None:
    raw = _raw(tmp_path)
    key = tmp_path / "secret.json"
    runner = CliRunner()
    assert runner.invoke(deidentify_command, [str(raw), str(tmp_path / "a"), "--key", str(key)]).exit_code == 0
    assert runner.invoke(deidentify_command, [str(raw), str(tmp_path / "b"), "--key", str(key)]).exit_code == 0
    assert (tmp_path / "a" / "R1.txt").read_text() == (tmp_path / "b" / "R1.txt").read_text()


def test_cli_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path: Path) -> None:
    raw = _raw(tmp_path)
    (raw / "R2.txt").write_bytes(b"Interviewer: \xff\xfe bad\n")
    result = CliRunner().invoke(deidentify_command, [str(raw), str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.stderr.startswith("qcode: error: ") and "R2.txt" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.key.json").exists()


def test_cli_refuses_out_inside_in_and_missing_in(tmp_path: Path) -> None:
    raw = _raw(tmp_path)
    runner = CliRunner()
    inside = runner.invoke(deidentify_command, [str(raw), str(raw / "out")])
    assert inside.exit_code == 2 and "inside IN" in inside.stderr
    missing = runner.invoke(deidentify_command, [str(tmp_path / "nope"), str(tmp_path / "out")])
    assert missing.exit_code == 2 and "no such folder" in missing.stderr
    malformed = tmp_path / "roster.csv"
    malformed.write_text("id,group\nR1,x\n", encoding="utf-8")
    bad_roster = runner.invoke(deidentify_command, [str(raw), str(tmp_path / "out"), "--roster", str(malformed)])
    assert bad_roster.exit_code == 2 and "roster.csv" in bad_roster.stderr
    assert not (tmp_path / "out").exists()
