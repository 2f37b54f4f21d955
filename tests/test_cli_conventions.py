"""Conventions users expect from the command: qcode.toml any name survives, -v/-q, progress bars only on a
terminal, the demo's one-line errors, and the dashboard's Streamlit settings on its command line."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from coding.cli import main
from coding.config import ProjectConfig, read_config, write_config

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "transcripts"
NAMES = ["Study\nwave 2", 'The "quoted" study', "back\\slash ' and \t tab", "Ünïcödé — 研究"]


def qcode(*args: object, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "coding", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=300,
    )


@pytest.mark.parametrize("name", NAMES)
def test_qcode_toml_round_trips_any_name(tmp_path: Path, name: str) -> None:
    config = ProjectConfig(name=name, interviewer_labels=("Interviewer", 'Q "x"', "I\\"))
    write_config(tmp_path, config)
    assert tomllib.loads((tmp_path / "qcode.toml").read_text(encoding="utf-8"))["project"]["name"] == name
    assert read_config(tmp_path) == config


def test_init_with_a_multi_line_name_leaves_a_project_the_next_commands_open(tmp_path: Path) -> None:
    runner = CliRunner()
    name = 'Study\nwave 2 "pilot"'
    created = runner.invoke(main, ["init", str(tmp_path / "nl"), "--name", name])
    assert created.exit_code == 0, created.output
    ingested = runner.invoke(main, ["--project", str(tmp_path / "nl"), "ingest", str(FIXTURES / "R101.txt")])
    assert ingested.exit_code == 0, ingested.output
    assert read_config(tmp_path / "nl").name == name


def test_verbose_logs_the_steps_and_quiet_silences_notes(tmp_path: Path) -> None:
    assert qcode("init", "p", cwd=tmp_path).returncode == 0
    assert qcode("--project", "p", "ingest", FIXTURES, cwd=tmp_path).returncode == 0
    verbose = qcode("-v", "--project", "p", "segment", cwd=tmp_path)
    assert verbose.returncode == 0
    assert "qcode: INFO: spaCy pipeline " in verbose.stderr and "for segment" in verbose.stderr
    plain = qcode("--project", "p", "autocode", cwd=tmp_path)
    assert plain.returncode == 0 and "note: no trained model yet" in plain.stderr
    quiet = qcode("-q", "--project", "p", "autocode", cwd=tmp_path)
    assert quiet.returncode == 0 and quiet.stderr == "" and "rules.v1: " in quiet.stdout


def _stderr_on_a_terminal(args: list[str], cwd: Path) -> str:
    """Run qcode with stderr on a pseudo-terminal (as in a person's shell) and return what it drew there."""
    leader, follower = pty.openpty()
    child = subprocess.Popen(
        [sys.executable, "-m", "coding", *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=follower,
        env={**os.environ, "PYTHONPATH": str(REPO), "TERM": "xterm", "COLUMNS": "100"},
    )
    os.close(follower)
    drawn = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closes when the child ends
            break
        if not chunk:
            break
        drawn += chunk
    os.close(leader)
    assert child.wait(timeout=300) == 0, drawn[-2000:]
    return drawn.decode("utf-8", "replace")


def test_progress_bars_on_a_terminal_only(tmp_path: Path) -> None:
    assert qcode("init", "p", cwd=tmp_path).returncode == 0
    on_terminal = _stderr_on_a_terminal(["--project", "p", "ingest", str(FIXTURES)], tmp_path)
    assert "reading transcripts" in on_terminal
    assert "segmenting" in _stderr_on_a_terminal(["--project", "p", "segment"], tmp_path)
    assert "suggesting codes (rules)" in _stderr_on_a_terminal(["--project", "p", "autocode", "--rules"], tmp_path)
    piped = qcode("--project", "p", "segment", "--unit", "paragraph", cwd=tmp_path)
    assert piped.returncode == 0 and "segmenting" not in piped.stderr and "\x1b[" not in piped.stderr
    quiet = _stderr_on_a_terminal(["-q", "--project", "p", "segment", "--unit", "turn"], tmp_path)
    assert "segmenting" not in quiet


def _one_line_error(done: subprocess.CompletedProcess, *fragments: str) -> None:
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("qcode: error: "), done.stderr
    assert "Traceback" not in done.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_demo_refuses_a_folder_that_is_not_an_earlier_demo(tmp_path: Path) -> None:
    precious = tmp_path / "thesis"
    precious.mkdir()
    (precious / "chapter1.txt").write_text("mine", encoding="utf-8")
    _one_line_error(qcode("demo", "thesis", cwd=tmp_path), "thesis", "not an earlier qcode demo")
    assert (precious / "chapter1.txt").read_text(encoding="utf-8") == "mine"
    _one_line_error(qcode("demo", "thesis/chapter1.txt", cwd=tmp_path), "chapter1.txt", "is a file")


def test_demo_errors_are_one_line_through_python_dash_m_too(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "transcripts").mkdir(parents=True)
    (corpus / "respondents.csv").write_text("respondent_id,group\nR1,a\n", encoding="utf-8")
    (corpus / "transcripts" / "R1.txt").write_bytes(b"---\nrespondent_id: R1\n---\nR1: caf\xe9 in Latin-1\n")
    done = subprocess.run(
        [sys.executable, "-m", "coding.demo", "out", "--corpus", str(corpus)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=300,
    )
    _one_line_error(done, "R1.txt")
    assert not (tmp_path / "out").exists()  # the half-built demo is removed
    _one_line_error(qcode("demo", "out2", "--corpus", tmp_path / "nowhere", cwd=tmp_path), "nowhere")


def test_app_passes_qcodes_streamlit_settings_on_the_command_line() -> None:
    from coding.launch import dashboard_script, streamlit_command

    script = dashboard_script()
    assert script == REPO / "app" / "main.py"
    command = streamlit_command(script, "0.0.0.0", 8765)
    assert command[1:4] == [str(script.with_name("serve.py")), "run", str(script)]
    flags = set(command[4:])
    settings = tomllib.loads((REPO / "app" / "streamlit.toml").read_text(encoding="utf-8"))
    assert {
        "--server.address=0.0.0.0",
        "--server.port=8765",
        "--server.headless=true",
        "--browser.gatherUsageStats=false",
        f"--theme.primaryColor={settings['theme']['primaryColor']}",
    } <= flags


def test_deidentify_help_shows_the_librarys_default_style() -> None:
    from coding.cli_deidentify import STYLE_SHOWN
    from coding.deidentify import DEFAULT_STYLE

    assert STYLE_SHOWN == DEFAULT_STYLE


def test_the_embedding_model_folder_is_a_project_setting(tmp_path: Path) -> None:
    from coding.config import ProjectConfig, read_config, write_config

    write_config(tmp_path, ProjectConfig(name="study", embedding="models/minilm"))
    assert "[model]" in (tmp_path / "qcode.toml").read_text(encoding="utf-8")
    config = read_config(tmp_path)
    assert config.embedding == "models/minilm"
    assert config.embedding_folder(tmp_path) == tmp_path / "models" / "minilm"
    write_config(tmp_path, ProjectConfig(name="study"))
    assert read_config(tmp_path).embedding_folder(tmp_path) is None
