"""state.drawn_key and state.flipped, the keys and checks of widgets that change stored data, in real
Streamlit runs (AppTest): a switch shows what is stored, whatever the browser still holds."""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import get_widget_state

TIMEOUT = 30


def held(widget: Any) -> Any:
    """The widget's state as the browser holds it now (a WidgetState proto)."""
    state = get_widget_state(widget)
    assert state is not None
    return state


def send_with_held(at: AppTest, *states: Any) -> AppTest:
    """A run as a browser whose last run was cut short asks for it: the page's widgets, then widgets the page
    no longer shows, as that browser still holds them. (AppTest has no public way to send those.)"""
    sent = at._tree.get_widget_states()
    sent.widgets.extend(states)
    return at._run(sent)


def switch_page() -> None:
    """A switch over a stored value (here in the session); the change is refused while "refuse" is set."""
    import streamlit as st

    from qcode_app import state

    st.session_state.setdefault("stored", False)
    st.session_state.setdefault("acted", 0)

    def changed(widget: str, drawn: bool) -> None:
        if not state.flipped(widget, drawn):
            return
        st.session_state["acted"] += 1
        if not st.session_state.get("refuse"):
            st.session_state["stored"] = bool(st.session_state[widget])

    stored = st.session_state["stored"]
    widget = state.drawn_key("switch", stored)
    st.toggle("Switch", value=stored, key=widget, on_change=changed, args=(widget, stored))


def test_a_refused_flip_does_not_stay_on_screen() -> None:
    at = AppTest.from_function(switch_page, default_timeout=TIMEOUT).run()
    at.session_state["refuse"] = True
    at.toggle[0].set_value(True).run()
    assert at.session_state["acted"] == 1 and at.session_state["stored"] is False
    assert at.toggle[0].value is False, "the switch shows what is stored, not the refused flip"


def test_a_flip_counts_once_and_a_held_switch_does_nothing() -> None:
    at = AppTest.from_function(switch_page, default_timeout=TIMEOUT).run()
    first = at.toggle[0]
    old = held(first.set_value(True))
    at.run()
    assert at.session_state["stored"] is True and at.toggle[0].value is True
    assert at.toggle[0].key != first.key, "a key acted on is not drawn again"
    send_with_held(at, old)  # the browser sends the old switch again, as it was
    assert at.session_state["acted"] == 1 and at.session_state["stored"] is True


def test_the_same_key_while_nothing_changes() -> None:
    at = AppTest.from_function(switch_page, default_timeout=TIMEOUT).run()
    key = at.toggle[0].key
    at.run()
    at.run()
    assert at.toggle[0].key == key, "no new widget (and no new Streamlit record) on every run"
