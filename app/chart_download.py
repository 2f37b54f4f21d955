"""Charts on screen as SVG and PNG files: the page's own Vega-Lite spec, its caption as the subtitle, rendered
on this machine by vl-convert (no browser, no network)."""

from __future__ import annotations

import copy
import textwrap
from typing import Any

import streamlit as st

PNG_SCALE = 2  # twice the screen's pixels: sharp enough for a slide or a printed page


def image_spec(spec: dict[str, Any], caption: str) -> dict[str, Any]:
    """The spec with the caption (what the chart counts) written under a title line, so the file says it too."""
    found = copy.deepcopy(spec)
    found["title"] = {
        "text": " ",
        "subtitle": textwrap.wrap(caption, 110) or [""],
        "anchor": "start",
        "subtitleFontSize": 11,
        "subtitleColor": "#4a5160",
    }
    found.setdefault("background", "white")
    return found


def svg_bytes(spec: dict[str, Any], caption: str) -> bytes:
    import vl_convert

    return vl_convert.vegalite_to_svg(image_spec(spec, caption)).encode("utf-8")


def png_bytes(spec: dict[str, Any], caption: str) -> bytes:
    import vl_convert

    return bytes(vl_convert.vegalite_to_png(image_spec(spec, caption), scale=PNG_SCALE))


def downloads(spec: dict[str, Any], caption: str, name: str, key: str) -> None:
    """SVG and PNG buttons; the image is rendered only when one is clicked."""
    left, right, _ = st.columns([1, 1, 4])
    left.download_button(
        "SVG",
        lambda: svg_bytes(spec, caption),
        file_name=f"{name}.svg",
        mime="image/svg+xml",
        key=f"svg_{key}",
        icon=":material/image:",
        on_click="ignore",
    )
    right.download_button(
        "PNG",
        lambda: png_bytes(spec, caption),
        file_name=f"{name}.png",
        mime="image/png",
        key=f"png_{key}",
        icon=":material/image:",
        on_click="ignore",
    )
