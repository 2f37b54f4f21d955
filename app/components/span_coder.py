"""The span coder component: register it once, mount it with a transcript's data, read back what was done.

The browser sends one action at a time as a trigger value: {"kind": "apply", "start", "end", "codes"},
or {"kind": "remove", "mark"} (Ctrl+Z is the Undo button's shortcut); and keeps the selection as a state value
{"start", "end", "unit"}. Offsets are code points into the document text, as everywhere in qcode.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import streamlit as st

HERE = Path(__file__).resolve().parent
NAME = "qcode_span_coder"


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
        data=data,
        default={"selection": None},
        height="content",
        on_action_change=on_action,
        on_selection_change=on_selection,
    )


def action(key: str) -> dict[str, Any] | None:
    """The action the browser just sent, if any (a trigger value: gone after this run)."""
    found = st.session_state.get(key)
    value = found.get("action") if found is not None and hasattr(found, "get") else None
    return value if isinstance(value, dict) and "kind" in value else None


def selection(key: str) -> dict[str, Any] | None:
    found = st.session_state.get(key)
    value = found.get("selection") if found is not None and hasattr(found, "get") else None
    return value if isinstance(value, dict) and "start" in value else None
