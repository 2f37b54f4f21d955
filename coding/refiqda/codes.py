"""qcode codes <-> REFI-QDA codes, with ids and GUIDs that survive a round trip through other tools.

- GUID: uuid5 of the qcode id (``code_guid``), so exporting the same codebook twice gives the same GUIDs.
- qcode id: the first line of the Description, ``qcode id: <id>``; QDA programs keep descriptions,
  so the id survives even if a code is renamed or moved there. Codes without that line (made in another
  tool) get an id derived from their name and their parent's id, e.g. ``feelings.serene``.
- Definition, include, exclude and examples follow as labelled lines (``Definition: ...``,
  ``Example: ...``); a value's further lines are indented by two spaces, so no text can pass for a label.
"""

from __future__ import annotations

import re
import unicodedata

from coding.models import Code, Codebook
from coding.refiqda.guids import code_guid, normalise_guid
from coding.refiqda.schema import QdaCode

ID_LABEL = "qcode id"
_FIELDS = (("definition", "Definition"), ("include", "Include"), ("exclude", "Exclude"))
EXAMPLE_LABEL = "Example"
_LABEL_LINE = re.compile(r"^(qcode id|Definition|Include|Exclude|Example): ?(.*)$")
_INDENT = "  "
_COLOR = re.compile(r"^#?([0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})$")


def format_description(code: Code) -> str:
    lines = [f"{ID_LABEL}: {code.id}"]
    for attribute, label in _FIELDS:
        lines += _labelled(label, getattr(code, attribute))
    for example in code.examples:
        lines += _labelled(EXAMPLE_LABEL, example)
    return "\n".join(lines)


def parse_description(text: str) -> tuple[str | None, dict[str, str], list[str]]:
    """(qcode id, {definition/include/exclude: text}, examples) from a Description. A description
    written elsewhere (no id line) is all definition."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    first = _LABEL_LINE.match(lines[0])
    if not first or first.group(1) != ID_LABEL:
        return None, ({"definition": text.strip()} if text.strip() else {}), []
    entries: list[list[str]] = []  # [label, value]
    for line in lines[1:]:
        match = _LABEL_LINE.match(line)
        if match and match.group(1) != ID_LABEL:
            entries.append([match.group(1), match.group(2)])
        elif entries:  # a continuation, or a line someone added by hand in another tool
            entries[-1][1] += "\n" + line.removeprefix(_INDENT)
        elif line.strip():
            entries.append(["Definition", line.strip()])
    fields = {attribute: value for attribute, label in _FIELDS for name, value in entries if name == label}
    examples = [value for name, value in entries if name == EXAMPLE_LABEL]
    return first.group(2).strip() or None, fields, examples


def normalise_color(color: str) -> str:
    """'#RRGGBB' / '#RGB' as the schema wants them, or '' for anything else."""
    match = _COLOR.match(color.strip())
    return f"#{match.group(1).upper()}" if match else ""


def codes_from_codebook(codebook: Codebook) -> list[QdaCode]:
    known = {code.id for code in codebook.codes}
    return [
        QdaCode(
            guid=code_guid(code.id),
            name=code.name,
            description=format_description(code),
            color=normalise_color(code.color),
            parent=code_guid(code.parent) if code.parent in known else None,
        )
        for code in codebook.codes
    ]


def code_ids(codes: list[QdaCode]) -> dict[str, str]:
    """qcode id for each code guid: the id kept in its description, else derived from names. Unique."""
    by_guid = {code.guid: code for code in codes}
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for code in codes:  # kept ids first, so derived ones never take them
        kept = parse_description(code.description)[0]
        if kept and kept not in taken:
            ids[code.guid] = kept
            taken.add(kept)

    def derive(code: QdaCode, seen: tuple[str, ...] = ()) -> str:
        if code.guid not in ids:
            parent = by_guid.get(code.parent or "")
            prefix = derive(parent, (*seen, code.guid)) + "." if parent and parent.guid not in seen else ""
            ids[code.guid] = _unique(prefix + slug(code.name, code.guid), taken)
            taken.add(ids[code.guid])
        return ids[code.guid]

    for code in codes:
        derive(code)
    return ids


def codebook_from_codes(codes: list[QdaCode], *, name: str, version: str = "", source_path: str = "") -> Codebook:
    ids = code_ids(codes)
    result = []
    for qda in codes:
        _, fields, examples = parse_description(qda.description)
        result.append(
            Code(
                id=ids[qda.guid],
                name=qda.name,
                parent=ids.get(qda.parent or ""),
                definition=fields.get("definition", ""),
                include=fields.get("include", ""),
                exclude=fields.get("exclude", ""),
                examples=examples,
                color=normalise_color(qda.color),
            )
        )
    return Codebook(name=name, version=version, codes=result, source_path=source_path)


def slug(name: str, guid: str = "") -> str:
    """An ASCII identifier from a name ('2. Attitűd szint' -> 'code_2_attitud_szint')."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")
    if not text:
        return f"code_{normalise_guid(guid)[:8]}" if guid else "code"
    return text if text[0].isalpha() else f"code_{text}"


def _labelled(label: str, value: str) -> list[str]:
    if not value:
        return []
    first, *rest = value.replace("\r\n", "\n").split("\n")
    return [f"{label}: {first}"] + [_INDENT + line for line in rest]


def _unique(candidate: str, taken: set[str]) -> str:
    number = 2
    result = candidate
    while result in taken:
        result = f"{candidate}_{number}"
        number += 1
    return result
