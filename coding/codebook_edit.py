"""Editing a codebook's codes: the checks every edit passes, the version bump, what changed between two.

Pure: Codebooks in, Codebooks (or problems) out. The facade applies the result to the store and the
project's codebook.yaml (coding/codebook_file.py), so that the app, the library and a hand-edited file
are held to the same rules.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .codebook import validate
from .errors import UsageError
from .models import Code, Codebook, MatchRules

# The fields of a code update_code can change (its id never changes: codings and exports point at it).
EDITABLE = ("name", "definition", "include", "exclude", "examples", "color", "parent", "rules")
RGB = re.compile(r"^#[0-9a-fA-F]{6}$")
_TRAILING_NUMBER = re.compile(r"^(.*\.)(\d+)$")


def bump_version(version: str) -> str:
    """The next codebook version: 1.0 -> 1.1, 1.9 -> 1.10, 2 -> 2.1, "draft" -> "draft.1"."""
    version = version.strip()
    found = _TRAILING_NUMBER.match(version)
    if found:
        return f"{found.group(1)}{int(found.group(2)) + 1}"
    return f"{version}.1" if version else "1.1"


def edited(book: Codebook, code_id: str, fields: Mapping[str, Any]) -> Code:
    """The code with `fields` changed, checked against the rest of the codebook (UsageError if it cannot be)."""
    codes = book.by_id()
    if code_id not in codes:
        raise UsageError(f"unknown code {code_id!r}")
    unknown = sorted(set(fields) - set(EDITABLE))
    if unknown:
        raise UsageError(f"cannot edit {', '.join(unknown)} of a code; editable: {', '.join(EDITABLE)}")
    values = {key: _normalised(key, value) for key, value in fields.items()}
    code = dataclasses.replace(codes[code_id], **values)
    check_code(book, code)
    return code


def check_code(book: Codebook, code: Code) -> None:
    """Refuse a new or changed code that would break the codebook: one line naming every problem."""
    problems = code_problems(book, code)
    if problems:
        raise UsageError(f"code {code.id!r}: " + "; ".join(problems))


def code_problems(book: Codebook, code: Code) -> list[str]:
    """What is wrong with putting `code` (new or changed) into `book`."""
    problems: list[str] = []
    codes = book.by_id()
    if not code.name.strip():
        problems.append("the name must not be empty")
    if code.color and not RGB.match(code.color):
        problems.append(f"bad colour {code.color!r}: use #rrggbb hex")
    if code.parent is not None:
        if code.parent not in codes or code.parent == code.id:
            problems.append(
                f"unknown parent {code.parent!r}" if code.parent != code.id else "a code cannot be its own parent"
            )
        elif code.id in book.ancestors(code.parent):
            problems.append(f"cannot move it under {code.parent!r}, one of its own sub-codes (a cycle)")
    clash = sibling_clash(book, code)
    if clash:
        problems.append(f"the name {code.name!r} is taken by {clash!r} at the same level")
    if not problems:  # the codebook's own checks: examples, keywords, token patterns and their regexes
        changed = [code if c.id == code.id else c for c in book.codes]
        if code.id not in codes:
            changed.append(code)
        trial = dataclasses.replace(book, codes=changed)
        prefix = f"codes[{[c.id for c in changed].index(code.id)}]."
        problems += [_without_location(p, prefix) for p in validate(trial, "<edit>") if prefix in p]
    return problems


def sibling_clash(book: Codebook, code: Code) -> str | None:
    """The id of another code under the same parent with the same name (ignoring case and spaces), if any."""
    wanted = _name_key(code.name)
    for other in book.codes:
        if other.id != code.id and other.parent == code.parent and _name_key(other.name) == wanted:
            return other.id
    return None


def sibling_problems(book: Codebook) -> list[str]:
    """Every pair of codes with one name under one parent (a hand-edited file is held to the same rule)."""
    seen: dict[tuple[str | None, str], str] = {}
    problems = []
    for code in book.codes:
        key = (code.parent, _name_key(code.name))
        if key in seen:
            problems.append(f"codes: {code.id!r} has the name {code.name!r} of {seen[key]!r} at the same level")
        else:
            seen[key] = code.id
    return problems


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _without_location(problem: str, prefix: str) -> str:
    """'<edit>: codes[3].match.keywords[0]: must not be empty' -> 'match.keywords[0]: must not be empty'."""
    return problem.split(prefix, 1)[1]


def _normalised(key: str, value: Any) -> Any:
    """A field value as the Code dataclass holds it; a wrong type is a UsageError naming the field."""
    if key == "parent":
        if value is not None and not isinstance(value, str):
            raise UsageError("parent: expected a code id or None (top level)")
        return value or None
    if key == "examples":
        if isinstance(value, str) or not all(isinstance(item, str) for item in value or []):
            raise UsageError("examples: expected a list of text")
        return [item.strip() for item in value or [] if item.strip()]
    if key == "rules":
        return _rules(value)
    if not isinstance(value, str):
        raise UsageError(f"{key}: expected text")
    return value.strip()


def _rules(value: Any) -> MatchRules:
    if isinstance(value, MatchRules):
        return value
    if not isinstance(value, Mapping):
        raise UsageError("rules: expected keywords, lemmas and patterns")
    unknown = sorted(set(value) - {"keywords", "lemmas", "patterns"})
    if unknown:
        raise UsageError(f"rules: unknown {', '.join(unknown)}; expected keywords, lemmas, patterns")
    lists = {key: value.get(key) or [] for key in ("keywords", "lemmas", "patterns")}
    if any(isinstance(items, str) or not isinstance(items, list) for items in lists.values()):
        raise UsageError("rules: keywords, lemmas and patterns are lists")
    return MatchRules(**lists)


# ---------------------------------------------------------------------------------------------------
# What changed between two codebooks (a hand-edited file against the database)


@dataclass
class CodebookChanges:
    added: list[Code] = field(default_factory=list)
    changed: list[Code] = field(default_factory=list)  # the new form of codes whose fields changed
    removed: list[Code] = field(default_factory=list)
    reordered: bool = False
    header: dict[str, str] = field(default_factory=dict)  # name, version, description that changed

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed or self.reordered or self.header)

    def summary(self) -> str:
        parts = [
            f"{len(items)} {label}"
            for items, label in ((self.added, "added"), (self.changed, "changed"), (self.removed, "removed"))
            if items
        ]
        if self.reordered:
            parts.append("order")
        parts += sorted(self.header)
        return ", ".join(parts) or "nothing"


def changes(old: Codebook, new: Codebook) -> CodebookChanges:
    """What turns `old` into `new`: codes by id, the order of codes, and the codebook's name, version, text."""
    before, after = old.by_id(), new.by_id()
    found = CodebookChanges()
    found.added = [code for code in new.codes if code.id not in before]
    found.removed = [code for code in old.codes if code.id not in after]
    found.changed = [code for code in new.codes if code.id in before and _fields(code) != _fields(before[code.id])]
    kept_old = [c.id for c in old.tree_order() if c.id in after]
    kept_new = [c.id for c in new.tree_order() if c.id in before]
    found.reordered = kept_old != kept_new
    for key in ("name", "version", "description"):
        if getattr(old, key) != getattr(new, key):
            found.header[key] = getattr(new, key)
    return found


def _fields(code: Code) -> dict[str, Any]:
    return dataclasses.asdict(code)
