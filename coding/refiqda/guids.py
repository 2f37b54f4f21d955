"""GUIDs: qcode's stable ones (uuid5) and tolerant reading of other tools' ones."""

from __future__ import annotations

import re
import uuid
from xml.etree.ElementTree import Element

# Fixed namespace for qcode's deterministic GUIDs; never change it, or re-exports get new GUIDs.
QCODE_NAMESPACE = uuid.UUID("5b0c7a3e-2f1d-5e4b-9a77-6a1f0c0de000")
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def qcode_guid(kind: str, key: str) -> str:
    """A stable GUID for one of qcode's things, e.g. qcode_guid("user", "alice")."""
    return str(uuid.uuid5(QCODE_NAMESPACE, f"{kind}:{key}"))


def code_guid(code_id: str) -> str:
    return qcode_guid("code", code_id)


def normalise_guid(guid: str) -> str:
    """GUIDs compare without case or braces; other tools write both forms."""
    return guid.strip().strip("{}").lower()


def guid_of(element: Element, attribute: str = "guid") -> str:
    """The element's GUID normalised, or "" if it has none. An ill-formed one is replaced by a stable
    GUID made from it, so references to it still match and the project can be written again."""
    raw = element.get(attribute, "").strip()
    if not raw:
        return ""
    guid = normalise_guid(raw)
    return guid if GUID.match(guid) else qcode_guid("foreign", raw)
