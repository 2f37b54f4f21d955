"""What every page shares: the open project and its state token, the coder and their role, sticky choices and
errors."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from coding.auth import LEAD
from coding.errors import QcodeError
from coding.names import name_problem
from coding.project import Project, StateToken, open_project

PROJECT_ENV = "QCODE_PROJECT"
DB_ENV = "QCODE_DB"
MAX_CODER_NAME = 100  # longer names break layouts and some databases' columns
CODER = "coder"
_MESSAGES = "_qcode_messages"
_RUN_TOKEN = "_qcode_run_token"
ACCOUNT = "_qcode_account"  # (name, role) of the person logged in to this browser session
_ACCESS = "_qcode_access"  # this run's Access, set by qcode_app.login.gate before any page is drawn


@dataclass(frozen=True)
class Access:
    """Who is using this browser session, decided once per script run."""

    accounts: bool  # the project has accounts: the coder is the login, never a typed name
    name: str = ""
    role: str = LEAD  # without accounts everyone on this machine is trusted as a lead


@dataclass(frozen=True)
class ProjectKey:
    """Which project the app shows; part of every cache key so two projects never share a table."""

    folder: str
    db: str
    config_mtime: float  # qcode.toml edited by the CLI (e.g. a new unit) opens the project afresh


def project_key() -> ProjectKey | None:
    folder = os.environ.get(PROJECT_ENV, "").strip()
    if not folder:
        return None
    path = Path(folder).expanduser().resolve()
    config = path / "qcode.toml"
    mtime = config.stat().st_mtime if config.exists() else 0.0
    return ProjectKey(str(path), os.environ.get(DB_ENV, "").strip(), mtime)


@st.cache_resource(show_spinner=False, max_entries=8)
def cached_project(key: ProjectKey) -> Project:
    # One Project (and so one database engine) per folder for every session and rerun.
    return open_project(key.folder, db=key.db or None)


def project() -> Project:
    key = project_key()
    if key is None:
        raise QcodeError(
            f"no project given: start the dashboard with 'qcode app --project FOLDER' (or set {PROJECT_ENV})"
        )
    return cached_project(key)


def start_run() -> StateToken:
    """Read the project's state token once per script run: main calls this after the widget callbacks (which
    may have edited the project) and before drawing any page."""
    st.session_state[_RUN_TOKEN] = project().state_token()
    return st.session_state[_RUN_TOKEN]


def token() -> StateToken:
    """Changes whenever codings, codes, documents or the audit log change: the key for cached tables."""
    found = st.session_state.get(_RUN_TOKEN)
    return found if isinstance(found, StateToken) else project().state_token()


def context() -> tuple[ProjectKey, StateToken]:
    """The project's cache key and its current state token, for the cached tables in app.data."""
    key = project_key()
    if key is None:
        project()  # raises the error that explains what is missing
    assert key is not None
    return key, token()


def access() -> Access:
    found = st.session_state.get(_ACCESS)
    return found if isinstance(found, Access) else Access(accounts=False)


def set_access(found: Access) -> None:
    st.session_state[_ACCESS] = found


def accounts_in_use() -> bool:
    return access().accounts


def current_role() -> str:
    """The role, lead or coder: what the person using this session may change (coding.auth's roles)."""
    return access().role


def is_lead() -> bool:
    """Whether this session may edit the codebook, merge codes and resolve disagreements (pages hide those
    controls otherwise; the library refuses them anyway)."""
    return current_role() == LEAD


def coder() -> str:
    """The person coding in this browser tab. With accounts: the login. Without (a dashboard on loopback
    only): chosen in the sidebar, kept in the URL (?coder=...) so that a reload or a bookmark keeps it."""
    found = access()
    if found.accounts:
        return found.name
    if CODER not in st.session_state and st.query_params.get(CODER):
        typed = str(st.query_params[CODER]).strip()[:MAX_CODER_NAME]
        # the same check as a name typed in the sidebar: control characters never reach the database
        st.session_state[CODER] = "" if name_problem(typed) else typed
    name = str(st.session_state.get(CODER, "")).strip()
    if name and st.query_params.get(CODER) != name:
        st.query_params[CODER] = name
    return name


def sticky(name: str, default: Any = None, options: Sequence[Any] | None = None) -> dict[str, Any]:
    """Widget arguments whose value survives page switches (Streamlit forgets widgets it does not draw).

    Use as st.selectbox(..., **sticky("by", "group", options)) without a default of the widget's own; the
    value is st.session_state[name]. A remembered value no longer among `options` falls back to `default`.
    """
    value = st.session_state.get(name, default)
    if options is not None and value not in options:
        value = default if default in options else (options[0] if options else None)
    st.session_state[name] = value
    st.session_state[f"_w_{name}"] = value
    return {"key": f"_w_{name}", "on_change": _keep, "args": (name,)}


def _keep(name: str) -> None:
    st.session_state[name] = st.session_state[f"_w_{name}"]


def drawn_key(prefix: str, value: Any) -> str:
    """The key for a widget drawn with `value` as stored (value=, never written by the server): the same
    while the stored value is the one it was last drawn with and nothing was done through it, else a new
    one. So a key never comes back standing for another value, and a held value (a flip since undone, or
    refused) cannot show instead of the stored one. Not a new key on every change to the project: Streamlit
    keeps a record of every key's callback for the whole session."""
    drawn: dict[str, tuple[int, Any]] = st.session_state.setdefault(_DRAWN, {})
    number, last = drawn.get(prefix, (0, value))
    if last != value or f"{prefix}#{number}" in st.session_state.get(_ACTED, {}):
        number += 1
    drawn[prefix] = (number, value)
    return f"{prefix}#{number}"


_DRAWN = "_qcode_drawn"


def flipped(widget: str, drawn: Any) -> bool:
    """Whether a callback's widget holds a change the person made: a value other than the one it was drawn
    with and than the last one acted on. A browser whose run was cut short sends back widgets the page no
    longer shows, as they were, and Streamlit runs their callbacks even so; those must do nothing."""
    value = st.session_state.get(widget)
    acted: dict[str, Any] = st.session_state.setdefault(_ACTED, {})
    if value == acted.get(widget, drawn):
        return False
    acted[widget] = value
    while len(acted) > MAX_ACTED:  # a key acted on is never drawn again: old ones cannot come back after long
        acted.pop(next(iter(acted)))
    return True


_ACTED = "_qcode_acted"
MAX_ACTED = 1000


def act(action: Callable[..., Any], *args: Any, done: str = "", **kwargs: Any) -> None:
    """Run a library call from a widget callback; a QcodeError becomes a message on the next run."""
    try:
        action(*args, **kwargs)
    except QcodeError as exc:
        _push("error", str(exc))
        return
    if done:
        _push("success", done)


def report_error(text: str) -> None:
    """An error message from a widget callback, shown on the next run."""
    _push("error", text)


def _push(kind: str, text: str) -> None:
    st.session_state.setdefault(_MESSAGES, []).append((kind, text))


def show_messages() -> None:
    """Messages left by callbacks (their own run has no page to draw on)."""
    for kind, text in st.session_state.pop(_MESSAGES, []):
        if kind == "error":
            st.error(text, icon=":material/error:")
        else:
            st.toast(text, icon=":material/check:")


def labels(names: Mapping[str, str]) -> Callable[[str], str]:
    """A select box's format_func: each option's name, or the option itself where it has none."""
    return lambda option: names.get(option, str(option))


def plain(column: str) -> str:
    """A column name in plain words: respondent_id -> Respondent, interview_date -> Interview date."""
    if column == "respondent_id":
        return "Respondent"
    words = column.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation mark


def literal(text: str) -> str:
    """Text from the data (an attribute value, a coder's name) as Markdown that shows it as typed: every
    punctuation mark escaped, so that no link, image, colour directive or formula is made of it, and white
    space run together."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", " ".join(text.split()))  # one line: no paragraph or code block
