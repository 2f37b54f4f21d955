"""app/serve.py: what `qcode app` prepares before the server listens, so that the first visit costs what a later
one does. Each check runs in a new Python process, as the server does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import coding

REPO = Path(__file__).resolve().parents[1]
PREPARE = """
import sys
sys.path.insert(0, {app!r})
import serve
serve.import_ahead()
serve.engine_ahead()
serve.skip_repl_check()
from coding.store.database import engine_for
import streamlit.delta_generator as generator
engines = engine_for.cache_info().currsize
print(engines, "psycopg" in sys.modules, generator._use_warning_has_been_displayed)
"""


def prepare(env: dict[str, str]) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PREPARE.format(app=str(REPO / "app"))],
        env={**{k: v for k, v in os.environ.items() if k not in ("QCODE_PROJECT", "QCODE_DB")}, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_the_projects_engine_is_made_before_the_server_listens(tmp_path: Path) -> None:
    project = coding.create_project(tmp_path / "project")
    assert prepare({"QCODE_PROJECT": str(project.folder)}) == ["1", "False", "True"]  # SQLite: no driver to load
    postgres = "postgresql+psycopg://someone@127.0.0.1:1/nowhere"  # made, never connected to
    assert prepare({"QCODE_PROJECT": str(project.folder), "QCODE_DB": postgres}) == ["1", "True", "True"]


def test_a_folder_that_is_no_project_is_left_to_the_page(tmp_path: Path) -> None:
    assert prepare({"QCODE_PROJECT": str(tmp_path)}) == ["0", "False", "True"]
    assert not list(tmp_path.iterdir()), "nothing is created in it"
