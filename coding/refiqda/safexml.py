"""Parse untrusted XML with every dangerous feature refused, and strip namespaces for tolerant reading.

defusedxml with forbid_dtd=True stops at the first DOCTYPE, before any entity is declared: no external
entities (XXE), no entity expansion (billion laughs), no network access. REFI-QDA files never need a DTD.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_et
from defusedxml import DefusedXmlException

from coding.errors import ImportFormatError


def parse_xml(data: bytes, path: str | Path, member: str = "") -> Element:
    """The root element of data; any XML or safety problem becomes an ImportFormatError naming path."""
    where = f"{member}: " if member else ""
    try:
        return safe_et.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ImportFormatError(
            path, f"{where}refused unsafe XML ({type(exc).__name__}): DTDs are not allowed"
        ) from exc
    except ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise ImportFormatError(path, f"{where}not well-formed XML ({exc})", line=line) from exc


def local(tag: object) -> str:
    """Tag name without its namespace: files spell the namespace in more than one way."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def namespace(tag: str) -> str:
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""


def child(element: Element, name: str) -> Element | None:
    return next((item for item in element if local(item.tag) == name), None)


def children(element: Element, name: str) -> list[Element]:
    return [item for item in element if local(item.tag) == name]


def child_text(element: Element, name: str) -> str:
    found = child(element, name)
    return (found.text or "") if found is not None else ""
