"""The login form that gates every page when the project has accounts, and the refusal to serve a dashboard
that listens beyond this machine without them (coding/auth.py holds the accounts and the throttle)."""

from __future__ import annotations

import os
import secrets

import streamlit as st

from coding.auth import LoginThrottle, is_loopback
from coding.project import Project

from .state import ACCOUNT, CODER, Access, set_access

HOST_ENV = "QCODE_HOST"  # coding.launch.HOST_ENV: the address `qcode app` listens on
_SESSION_KEY = "_qcode_login_session"


@st.cache_resource(show_spinner=False)
def throttle() -> LoginThrottle:
    # One for every browser session of this server: a new tab does not reset a name's failed attempts.
    return LoginThrottle()


def gate(project: Project) -> bool:
    """Decide who this session is (state.access()); False when the page must not be drawn (the login form or
    a refusal is shown instead)."""
    if not project.accounts.exist():
        # `qcode app` passes its --host; started by `streamlit run` directly, the server's own address counts
        # (empty: every interface).
        host = os.environ.get(HOST_ENV) or str(st.get_option("server.address") or "0.0.0.0")
        if not is_loopback(host):
            st.error(
                f"This dashboard listens on {host}, beyond this machine, and the project has no accounts. "
                "Add them with 'qcode users add NAME --role lead' and reload.",
                icon=":material/lock:",
            )
            return False
        set_access(Access(accounts=False))
        return True
    st.query_params.pop(CODER, None)  # a typed name in the URL never stands for a login
    account = st.session_state.get(ACCOUNT)
    if account:
        name = account[0]
        role = project.accounts.role(name)  # read every run: a removed account or a changed role applies at once
        if role is not None:
            set_access(Access(accounts=True, name=name, role=role))
            return True
        st.session_state.pop(ACCOUNT, None)
        st.warning(f"The account {name!r} no longer exists.", icon=":material/person_off:")
    set_access(Access(accounts=True, name="", role=""))
    _login_form(project)
    return False


def _login_form(project: Project) -> None:
    st.title(f"{project.name}: log in")
    with st.form("login", clear_on_submit=True):  # the typed password does not stay in the session
        name = st.text_input("Name", key="login_name", autocomplete="username")
        password = st.text_input("Password", type="password", key="login_password", autocomplete="current-password")
        submitted = st.form_submit_button("Log in", icon=":material/login:", type="primary")
    if not submitted:
        return
    name = name.strip()
    session = st.session_state.setdefault(_SESSION_KEY, secrets.token_hex(8))
    keys = (f"name:{name.casefold()}", f"session:{session}")
    wait = throttle().wait_left(*keys)
    if wait > 0:
        st.error(f"Too many failed attempts: try again in {int(wait) + 1} seconds.", icon=":material/timer:")
        return
    role = project.accounts.verify(name, password)
    if role is None:
        throttle().failed(*keys)
        st.error("Wrong name or password.", icon=":material/error:")
        return
    throttle().succeeded(*keys)
    st.session_state[ACCOUNT] = (name, role)
    st.rerun()


def log_out() -> None:
    """Forget everything this browser session held: the login, the coder, choices and cached messages."""
    st.session_state.clear()
