"""The sidebar on every page: project and counts, the coder (the login, or a name chosen once on a dashboard
without accounts), and the filters for every page."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from coding.models import ACCEPTED, CONSENSUS, MODEL, RULE, SOURCES, SUGGESTED
from coding.names import name_problem
from coding.project import Project

from . import data, disclosure_setting
from .login import log_out
from .state import CODER, MAX_CODER_NAME, ProjectKey, access, coder, labels, literal, plain, report_error, sticky

FILTERS = "filters"
ATTRIBUTE_CHOICE = "f_attr_"  # + the attribute: the respondents chosen by it
CODER_BOX = "coder_open"
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
    # Folded until asked for, like the filters: reading the tables needs no name, coding does.
    box = st.expander("Your name as coder (to code)", key=CODER_BOX, on_change="rerun", icon=":material/person:")
    if box.open:
        with box:
            _coder_input(key, token, counts)


def _coder_input(key: ProjectKey, token: data.Token, counts: dict[str, int]) -> None:
    known = data.coders(key, token) if counts["codings"] else []
    st.text_input(
        "Your name as coder",
        key="_coder_input",
        placeholder="e.g. " + next((k for k in known if k != CONSENSUS), "your initials"),
        help="Chosen once for this session; every code, decision and memo you make is recorded under it.",
        on_change=_set_coder,
    )
    if known:
        st.caption("Coders so far: " + literal(", ".join(known)))


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
    st.session_state[CODER_BOX] = True  # "Change" leads straight to the name box
    st.query_params.pop(CODER, None)


def _filters(key: ProjectKey, token: data.Token) -> data.Filters:
    """The filters as one line of what is counted, and the disclosure setting; their controls are drawn only
    while their expander is open (nine multiselects and a switch on every page were a third of the first
    render). Choices live in session state, so a closed expander keeps them."""
    attributes = data.attributes(key, token)
    coders = data.coders(key, token)
    # An attribute no longer in the project: its choice is forgotten, so that it does not filter again unseen
    # if the attribute comes back.
    for gone in [k for k in st.session_state if str(k).startswith(ATTRIBUTE_CHOICE)]:
        if str(gone)[len(ATTRIBUTE_CHOICE) :] not in attributes:
            del st.session_state[gone]
    chosen = tuple(
        (attribute, tuple(picked))
        for attribute, values in attributes.items()
        if (picked := _kept_choice(f"{ATTRIBUTE_CHOICE}{attribute}", [], values))
    )
    filters = data.Filters(
        chosen,
        tuple(_kept_choice("f_coders", [], coders)),
        tuple(_kept_choice("f_sources", list(SOURCES), list(SOURCES))),
        tuple(_kept_choice("f_statuses", [ACCEPTED], [ACCEPTED, SUGGESTED])),
    )
    st.markdown("**Filters** (every page)")
    st.caption(describe(filters))
    k = disclosure_setting.threshold(key)
    st.caption(f"Disclosure control: {f'cells under {k} respondents hidden' if k >= 2 else 'off'}.")
    box = st.expander(
        "Change filters or disclosure control", key="filters_open", on_change="rerun", icon=":material/filter_alt:"
    )
    if box.open:
        with box:
            _choosers(attributes, coders)
            disclosure_setting.control(key)
    return filters


def describe(filters: data.Filters) -> str:
    """What the pages count, in one line."""
    who = "; ".join(f"{plain(a)}: {', '.join(v)}" for a, v in filters.attributes) or "all respondents"
    coders = ", ".join(filters.coders) or "every coder pooled"
    who, coders = literal(who[:1].upper() + who[1:]), literal(coders)  # values from the data, shown as typed
    made = ", ".join(SOURCE_LABELS.get(s, s).lower() for s in filters.sources) or "nobody"
    status = " and ".join(STATUS_LABELS.get(s, s).split(",")[0].lower() for s in filters.statuses) or "no"
    return f"{who} · {coders} · codes by {made} · {status} codes"


def _choosers(attributes: dict[str, list[str]], coders: list[str]) -> None:
    with st.container(border=True):
        st.caption("Respondents")
        for attribute, values in attributes.items():
            st.multiselect(plain(attribute), values, placeholder="All", **sticky(f"{ATTRIBUTE_CHOICE}{attribute}"))
    st.multiselect(
        "Coders",
        coders,
        placeholder="All coders, pooled",
        help="With none chosen, a segment counts if any coder applied the code. Choose one coder (or "
        f"'{CONSENSUS}') for one reading of the data.",
        **sticky("f_coders"),
    )
    st.multiselect(
        "Codes made by",
        list(SOURCES),
        format_func=labels(SOURCE_LABELS),
        help="People code by hand; rules and the model suggest codes that a person accepts or rejects.",
        **sticky("f_sources"),
    )
    st.multiselect(
        "Status",
        [ACCEPTED, SUGGESTED],
        format_func=labels(STATUS_LABELS),
        help="Rejected suggestions never count.",
        **sticky("f_statuses"),
    )


def _kept_choice(name: str, default: list[str], options: Sequence[str]) -> list[str]:
    """A filter's choice, kept under `name` whether or not its chooser is drawn (the chooser takes
    state.sticky(name)); values gone from the project (a coder renamed, an attribute value edited) are
    dropped."""
    value = [v for v in st.session_state.get(name, default) if v in options]
    st.session_state[name] = value
    return value


def current() -> data.Filters:
    found = st.session_state.get(FILTERS)
    return found if isinstance(found, data.Filters) else data.Filters()
