"""`qcode app` starts Streamlit through this file (`python serve.py run main.py FLAGS`).

Streamlit imports a page's libraries when the first person opens the dashboard: pandas, SQLAlchemy and
qcode's library took 2-3 s of a first visit on a laptop. They are imported here, before the server starts
listening, so that the first visit costs what a later one does. Imported before the server starts, not in a
thread beside it: two threads importing the same modules at once can see each other's half-made modules.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
AHEAD = (
    "numpy",
    "pandas",
    "pyarrow",
    "scipy.sparse",
    "sqlalchemy",
    "coding.project",
    "coding.analysis",
    "coding.disclosure",
    "coding.codebook_file",
    "PIL.PngImagePlugin",  # set_page_config reads the page icon with Pillow
)


def import_ahead() -> None:
    if HERE.name != "qcode_app" and str(HERE.parent) not in sys.path:
        sys.path.insert(0, str(HERE.parent))  # a source checkout: its own `coding` first, as main.py does
    for name in AHEAD:
        with contextlib.suppress(Exception):  # the page shows what fails when it imports it again
            importlib.import_module(name)


def skip_repl_check() -> None:
    """Streamlit's first element of a process asks whether it runs in a Python REPL by walking
    inspect.stack(), which reads the source of every loaded module: 0.2 s of the first visit. Under
    `streamlit run` the answer is always no and its warning never shows, so it is marked as asked."""
    with contextlib.suppress(Exception):
        import streamlit.delta_generator as generator

        if hasattr(generator, "_use_warning_has_been_displayed"):
            generator._use_warning_has_been_displayed = True


def engine_ahead() -> None:
    """The project's database engine made before the server listens: engine_for keeps one engine per URL per
    process, so the first visit finds it, with its driver imported (psycopg took 0.2 s of a first visit)."""
    folder = os.environ.get("QCODE_PROJECT", "").strip()
    if not folder:
        return
    with contextlib.suppress(Exception):  # a project that cannot be opened is the page's to report
        from coding.config import read_config
        from coding.store.database import engine_for

        path = Path(folder).expanduser().resolve()
        engine_for(os.environ.get("QCODE_DB", "").strip() or read_config(path).database_url(path))


def main() -> None:
    import_ahead()
    engine_ahead()
    skip_repl_check()
    from streamlit.web import cli

    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main()
