"""The span coder component: register it once, mount it with a transcript's data, read back what was done.

The browser sends one action at a time as a trigger value: {"kind": "apply", "document", "start", "end",
"codes"}, or {"kind": "remove", "document", "mark"}, "document" naming the transcript it was made on (Ctrl+Z
is the Undo button's shortcut); and keeps the selection as a state value {"start", "end", "unit"}.
Offsets are code points into the document text, as everywhere in qcode.

The large parts of the data (the transcript's turns, its units, the code list, the stripes) go to the browser
only when they changed: each is named by a digest of its content, sent in full the first time and then by
digest alone; the browser keeps what it was sent under those digests. A browser that lacks one (a page
opened afresh) asks for it with the state value "need", and the next run sends every part in full. While
another document's parts are missing, the browser clears the selection and takes no input.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import streamlit as st

HERE = Path(__file__).resolve().parent
NAME = "qcode_span_coder"
PARTS = ("turns", "units", "codes", "marks")  # sent once per content; everything else on every run


@cache
def _renderer() -> Callable[..., Any]:
    # Inline strings read from the package files: nothing is fetched, and no manifest or build step is needed.
    return st.components.v2.component(
        NAME,
        js=(HERE / "span_coder.js").read_text(encoding="utf-8"),
        css=(HERE / "span_coder.css").read_text(encoding="utf-8"),
        isolate_styles=False,  # the page's Selection API must see the text (a shadow root hides it)
    )


def span_coder(data: dict[str, Any], key: str, on_action: Callable[[], None], on_selection: Callable[[], None]) -> Any:
    """Mount the span coder. on_action runs (before the next run) when the person applies or removes a coding,
    st.session_state[key]["action"] holding what; on_selection when the selection changes."""
    return _renderer()(
        key=key,
        data=only_changed(key, data),
        default={"selection": None, "need": None},
        height="content",
        on_action_change=on_action,
        on_selection_change=on_selection,
        on_need_change=lambda: None,  # the run it starts sends the parts asked for
    )


def digest(value: Any) -> str:
    return hashlib.blake2b(json.dumps(value, sort_keys=True).encode("utf-8"), digest_size=12).hexdigest()


def only_changed(key: str, data: dict[str, Any]) -> dict[str, Any]:
    """data with each of PARTS replaced by its digest (under "parts"), and kept in full only where this browser
    session has not been sent that content yet, or asked for it again."""
    memory = f"_{key}_parts_sent"
    sent: dict[str, str] = st.session_state.get(memory) or {}
    need = _value(key, "need")
    nonce = str(need.get("nonce") or "") if isinstance(need, dict) else ""
    asked = bool(nonce) and nonce != sent.get("need")  # a new request: every part goes in full
    digests = {name: digest(data[name]) for name in PARTS if name in data}
    trimmed = {
        name: value for name, value in data.items() if name not in digests or asked or sent.get(name) != digests[name]
    }
    trimmed["parts"] = digests
    st.session_state[memory] = {**digests, "need": nonce if asked else sent.get("need", "")}
    return trimmed


def _value(key: str, name: str) -> Any:
    found = st.session_state.get(key)
    return found.get(name) if found is not None and hasattr(found, "get") else None


def action(key: str) -> dict[str, Any] | None:
    """The action the browser just sent, if any (a trigger value: gone after this run)."""
    value = _value(key, "action")
    return value if isinstance(value, dict) and "kind" in value else None


def selection(key: str) -> dict[str, Any] | None:
    value = _value(key, "selection")
    return value if isinstance(value, dict) and "start" in value else None
