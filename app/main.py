"""qcode dashboard: `qcode app` runs `streamlit run` on this file with QCODE_PROJECT (and QCODE_DB) set."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _import_own_package() -> None:
    """`streamlit run` puts only this folder on sys.path. Installed, the folder is the qcode_app package; in a
    source checkout it is app/: make it the qcode_app package and put the checkout's `coding` first on the path."""
    if HERE.name == "qcode_app" or "qcode_app" in sys.modules:
        return
    if str(HERE.parent) not in sys.path:
        sys.path.insert(0, str(HERE.parent))
    spec = importlib.util.spec_from_file_location(
        "qcode_app", HERE / "__init__.py", submodule_search_locations=[str(HERE)]
    )
    assert spec is not None and spec.loader is not None
    package = importlib.util.module_from_spec(spec)
    sys.modules["qcode_app"] = package
    spec.loader.exec_module(package)


_import_own_package()

import streamlit as st  # noqa: E402

from coding.errors import QcodeError  # noqa: E402
from qcode_app import data, login, sidebar, state, widgets  # noqa: E402
from qcode_app.getting_started import getting_started  # noqa: E402

# Pages live in views/, not pages/: a pages/ folder beside the entry script switches Streamlit to its old
# multipage mode, which runs a page without this script (no sidebar, no project) when opened by its URL.
# The icon is a file shipped with the app: a ":material/...:" favicon makes the browser fetch it from Google.
st.set_page_config(page_title="qcode", page_icon=str(Path(__file__).with_name("icon.png")), layout="wide")

PAGES = [
    st.Page("views/themes.py", title="Themes", icon=":material/grid_on:", default=True),
    st.Page("views/matrices.py", title="Matrices", icon=":material/table_chart:"),
    st.Page("views/cooccurrence.py", title="Co-occurrence", icon=":material/join_inner:"),
    st.Page("views/relations.py", title="Code relations", icon=":material/hub:"),
    st.Page("views/search.py", title="Search", icon=":material/search:"),
    st.Page("views/words.py", title="Words", icon=":material/text_fields:"),
    st.Page("views/transcripts.py", title="Transcripts and coding", icon=":material/edit_note:"),
    st.Page("views/portrait.py", title="Document portrait", icon=":material/view_timeline:"),
    st.Page("views/codebook.py", title="Codebook", icon=":material/account_tree:"),
    st.Page("views/respondents.py", title="Respondents", icon=":material/group:"),
    st.Page("views/export.py", title="Export", icon=":material/download:"),
    st.Page("views/agreement.py", title="Agreement", icon=":material/handshake:"),
]
NEEDS_NO_SEGMENTS = {"Codebook", "Export"}

widgets.inject_style()
try:
    project = state.project()
    if not login.gate(project):  # the login form (or a refusal) instead of any page
        st.navigation(PAGES, position="hidden")
        st.stop()
    page = st.navigation(PAGES)
    key = state.project_key()
    assert key is not None  # state.project() raised otherwise
    token = state.start_run()
    counts = data.counts(key, token)
    sidebar.draw(project, counts, key, token)
    state.show_messages()
    if not counts["segments"] and page.title not in NEEDS_NO_SEGMENTS:
        getting_started(project, counts)
    else:
        page.run()
except QcodeError as exc:
    # A library error is the researcher's to fix: say what it is, never show a traceback.
    st.error(str(exc), icon=":material/error:")
