"""Apply chosen replacements to a body and to the front matter, recording offsets for the key."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import yaml

from .model import Mention, Replacement

NEVER_TOUCHED_KEYS = frozenset({"respondent_id"})
KEY_LINE = re.compile(r"^(?P<head>\s*(?P<key>[^:#\s\-][^:#]*?):[ \t]*)(?P<value>.*)$")
ITEM_LINE = re.compile(r"^(?P<head>\s*-[ \t]+)(?P<value>.*)$")

Substitute = Callable[[str], tuple[str, list[tuple[int, int, str, str, str]]]]


def rewrite_body(
    file: str, body: str, chosen: Sequence[tuple[Mention, str]], part: str = "body"
) -> tuple[str, list[Replacement]]:
    """Replace each (mention, pseudonym) in the body; offsets in and out are recorded."""
    pieces: list[str] = []
    records: list[Replacement] = []
    cursor = 0
    length = 0
    for mention, pseudonym in sorted(chosen, key=lambda item: item[0].start):
        pieces.append(body[cursor : mention.start])
        length += mention.start - cursor
        records.append(
            Replacement(
                file,
                "label" if mention.detector == "speaker-label" else part,
                mention.start,
                mention.end,
                length,
                length + len(pseudonym),
                body[mention.start : mention.end],
                pseudonym,
                mention.kind,
                mention.detector,
                mention.confidence,
            )
        )
        pieces.append(pseudonym)
        length += len(pseudonym)
        cursor = mention.end
    pieces.append(body[cursor:])
    return "".join(pieces), records


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _unquote(value: str) -> tuple[str, bool]:
    stripped = value.strip()
    if len(stripped) >= 2 and stripped[0] == stripped[-1] and stripped[0] in "'\"":
        return stripped[1:-1], True
    return value, False


def rewrite_front_matter(file: str, block: str, substitute: Substitute) -> tuple[str, list[Replacement]]:
    """Replace names in front matter values, keeping keys, respondent_id and the YAML valid.

    `block` is the text from the opening '---' to the closing '---' line, inclusive. A changed value is
    re-quoted so that a pseudonym such as '[PERSON_3]' is not read as a YAML list.
    """
    lines = block.split("\n")
    records: list[Replacement] = []
    offset = 0
    out_offset = 0
    out_lines: list[str] = []
    for index, line in enumerate(lines):
        new_line = line
        match = KEY_LINE.match(line) or ITEM_LINE.match(line)
        is_fence = index == 0 or line.rstrip() == "---"
        key = match.groupdict().get("key") if match else None
        if match and not is_fence and (key or "").strip() not in NEVER_TOUCHED_KEYS:
            head, value = match.group("head"), match.group("value")
            new_value, changes = _rewrite_value(value, substitute)
            if changes:
                new_line = head + new_value
                for start, end, original, pseudonym, kind in changes:
                    records.append(
                        Replacement(
                            file,
                            "front_matter",
                            offset + len(head) + start,
                            offset + len(head) + end,
                            out_offset + len(head),
                            out_offset + len(new_line),
                            original,
                            pseudonym,
                            kind,
                            "front-matter",
                            0.9,
                        )
                    )
        out_lines.append(new_line)
        offset += len(line) + 1
        out_offset += len(new_line) + 1
    return "\n".join(out_lines), records


def _rewrite_value(value: str, substitute: Substitute) -> tuple[str, list[tuple[int, int, str, str, str]]]:
    text = value.rstrip()
    if text.startswith("[") and text.endswith("]"):  # a flow list: quote each changed item
        items = text[1:-1].split(",")
        out_items: list[str] = []
        changes: list[tuple[int, int, str, str, str]] = []
        position = 1
        for item in items:
            inner, _quoted = _unquote(item)
            new_inner, item_changes = substitute(inner)
            lead = len(item) - len(item.lstrip())
            out_items.append((" " * lead + _quote(new_inner)) if item_changes else item)
            base = position + item.find(inner) if inner in item else position
            changes.extend((base + s, base + e, o, p, k) for s, e, o, p, k in item_changes)
            position += len(item) + 1
        return "[" + ",".join(out_items) + "]", changes
    inner, _quoted = _unquote(text)
    new_inner, changes = substitute(inner)
    if not changes:
        return value, []
    base = text.find(inner) if inner else 0
    return _quote(new_inner), [(base + s, base + e, o, p, k) for s, e, o, p, k in changes]


def front_matter_parses(block: str) -> bool:
    inner = "\n".join(block.split("\n")[1:-1])
    try:
        data = yaml.safe_load(inner) if inner.strip() else {}
    except yaml.YAMLError:
        return False
    return isinstance(data, dict)
