"""The sidebar on every page: project and counts, the coder (the login, or a name chosen once on a dashboard
without accounts), and the filters for every page."""

from __future__ import annotations

import streamlit as st

from coding.models import ACCEPTED, CONSENSUS, MODEL, RULE, SOURCES, SUGGESTED
from coding.names import name_problem
from coding.project import Project

from . import data, disclosure_setting
from .login import log_out
from .state import CODER, MAX_CODER_NAME, ProjectKey, access, coder, labels, plain, report_error

FILTERS = "filters"
SOURCE_LABELS = {"human": "People", RULE: "Rules", MODEL: "Model"}
STATUS_LABELS = {ACCEPTED: "Accepted", SUGGESTED: "Suggested, not yet decided"}


def draw(project: Project, counts: dict[str, int], key: ProjectKey, token: data.Token) -> data.Filters:
    with st.sidebar:
        st.markdown(f"### {project.name}")
        st.caption(
            f"{counts['respondents']:,} respondents · {counts['documents']:,} documents · "
            f"{counts['segments']:,} segments · {counts['codings']:,} codings"
        )
        _coder_box(key, token, counts)
        disclosure_setting.control(key)
        filters = _filters(key, token) if counts["segments"] else data.Filters()
    st.session_state[FILTERS] = filters
    return filters


def _coder_box(key: ProjectKey, token: data.Token, counts: dict[str, int]) -> None:
    if access().accounts:
        _account_box()
        return
    name = coder()
    if name:
        left, right = st.columns([3, 2], vertical_alignment="center")
        left.markdown(f"Coding as **{name}**")
        right.button("Change", key="change_coder", on_click=_forget_coder, type="tertiary")
        return
    known = data.coders(key, token) if counts["codings"] else []
    st.text_input(
        "Your name as coder",
        key="_coder_input",
        placeholder="e.g. " + next((k for k in known if k != CONSENSUS), "your initials"),
        help="Chosen once for this session; every code, decision and memo you make is recorded under it.",
        on_change=_set_coder,
    )
    if known:
        st.caption("Coders so far: " + ", ".join(known))


def _account_box() -> None:
    found = access()
    left, right = st.columns([3, 2], vertical_alignment="center")
    left.markdown("Signed in as")
    left.text(f"{found.name} ({found.role})")  # plain text: a name is never read as markdown or HTML
    right.button("Log out", key="log_out", on_click=log_out, type="tertiary", icon=":material/logout:")


def _set_coder() -> None:
    name = str(st.session_state.get("_coder_input", "")).strip()[:MAX_CODER_NAME]
    problem = name_problem(name)
    if problem:  # a NUL or control character would fail in the database (PostgreSQL) or break layouts
        report_error(f"That coder name cannot be used ({problem}): choose another.")
        return
    st.session_state[CODER] = name


def _forget_coder() -> None:
    st.session_state[CODER] = ""
    st.query_params.pop(CODER, None)


def _filters(key: ProjectKey, token: data.Token) -> data.Filters:
    st.markdown("**Filters** (every page)")
    chosen: list[tuple[str, tuple[str, ...]]] = []
    with st.expander("Respondents", expanded=False, icon=":material/group:"):
        for attribute, values in data.attributes(key, token).items():
            picked = st.multiselect(plain(attribute), values, key=f"f_attr_{attribute}", placeholder="All")
            if picked:
                chosen.append((attribute, tuple(picked)))
    coders = st.multiselect(
        "Coders",
        data.coders(key, token),
        key="f_coders",
        placeholder="All coders, pooled",
        help="With none chosen, a segment counts if any coder applied the code. Choose one coder (or "
        f"'{CONSENSUS}') for one reading of the data.",
    )
    sources = st.multiselect(
        "Codes made by",
        list(SOURCES),
        default=list(SOURCES),
        format_func=labels(SOURCE_LABELS),
        key="f_sources",
        help="People code by hand; rules and the model suggest codes that a person accepts or rejects.",
    )
    statuses = st.multiselect(
        "Status",
        [ACCEPTED, SUGGESTED],
        default=[ACCEPTED],
        format_func=labels(STATUS_LABELS),
        key="f_statuses",
        help="Rejected suggestions never count.",
    )
    return data.Filters(tuple(chosen), tuple(coders), tuple(sources), tuple(statuses))


def current() -> data.Filters:
    found = st.session_state.get(FILTERS)
    return found if isinstance(found, data.Filters) else data.Filters()
