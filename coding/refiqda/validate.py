"""Check a QdaProject before writing it, so a written file always validates against the REFI schema."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from coding.refiqda.guids import GUID
from coding.refiqda.schema import VARIABLE_TYPES, QdaCode, QdaProject

COLOR = re.compile(r"^#([A-Fa-f0-9]{6}|[A-Fa-f0-9]{3})$")
# Lexical forms of the XML Schema types behind each REFI variable type.
VALUE_FORMS = {
    "Boolean": re.compile(r"^(true|false|1|0)$"),
    "Integer": re.compile(r"^[+-]?\d+$"),
    "Float": re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$"),
    "Date": re.compile(r"^-?\d{4,}-\d\d-\d\d(Z|[+-]\d\d:\d\d)?$"),
    "DateTime": re.compile(r"^-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$"),
}


def project_problems(project: QdaProject) -> list[str]:
    problems = _guid_problems(project)
    problems += code_problems(project.codes)
    users = {user.guid for user in project.users}
    codes = {code.guid for code in project.codes}
    texts = {source.guid: source.text for source in project.sources}
    problems += [
        f"source {s.name!r} has '\\r' line ends; qcode texts use '\\n'" for s in project.sources if "\r" in s.text
    ]
    for selection in project.selections:
        problems += _selection_problems(selection.guid, selection.source, selection.start, selection.end, texts)
        named_users = [selection.user] + [coding.user for coding in selection.codings]
        problems += [f"selection {selection.guid}: unknown user {u}" for u in named_users if u and u not in users]
        problems += [
            f"selection {selection.guid}: unknown code {coding.code}"
            for coding in selection.codings
            if coding.code not in codes
        ]
    targets = codes | set(texts) | {s.guid for s in project.selections}
    for note in project.notes:
        if note.target is not None and note.target not in targets:
            problems.append(f"note {note.name!r}: target {note.target} is not a code, source or selection")
        if note.user and note.user not in users:
            problems.append(f"note {note.name!r}: unknown user {note.user}")
    return problems + _case_problems(project, set(texts))


def code_problems(codes: list[QdaCode]) -> list[str]:
    problems = []
    by_guid = {code.guid: code for code in codes}
    for code in codes:
        if code.color and not COLOR.match(code.color):
            problems.append(f"code {code.name!r}: colour {code.color!r} is not #RRGGBB")
        if code.parent is not None and code.parent not in by_guid:
            problems.append(f"code {code.name!r}: unknown parent {code.parent}")
        elif _in_cycle(code, by_guid):
            problems.append(f"code {code.name!r}: its ancestors form a cycle")
    return problems


def _guid_problems(project: QdaProject) -> list[str]:
    guids = list(_all_guids(project))
    problems = [f"{guid!r} is not a GUID" for guid in guids if not GUID.match(guid)]
    counts = Counter(guid.lower() for guid in guids)
    return problems + [f"GUID {guid} is used {n} times" for guid, n in counts.items() if n > 1]


def _all_guids(project: QdaProject) -> Iterable[str]:
    for items in (project.users, project.codes, project.variables, project.cases, project.sources):
        yield from (item.guid for item in items)
    yield from (item.guid for item in project.selections)
    yield from (item.guid for item in project.notes)


def _selection_problems(guid: str, source: str, start: int, end: int, texts: dict[str, str]) -> list[str]:
    if source not in texts:
        return [f"selection {guid}: unknown source {source}"]
    if not 0 <= start <= end <= len(texts[source]):
        return [f"selection {guid}: offsets {start}-{end} outside its text (length {len(texts[source])})"]
    return []


def _case_problems(project: QdaProject, sources: set[str]) -> list[str]:
    problems = []
    types = {variable.guid: variable.type for variable in project.variables}
    problems += [
        f"variable {v.name!r}: type {v.type!r} is not one of {VARIABLE_TYPES}"
        for v in project.variables
        if v.type not in VARIABLE_TYPES
    ]
    for case in project.cases:
        for variable, value in case.values.items():
            if variable not in types:
                problems.append(f"case {case.name!r}: unknown variable {variable}")
            elif value and types[variable] in VALUE_FORMS and not VALUE_FORMS[types[variable]].match(value):
                problems.append(f"case {case.name!r}: {value!r} is not a valid {types[variable]} value")
        problems += [f"case {case.name!r}: unknown source {s}" for s in case.sources if s not in sources]
    return problems


def _in_cycle(code: QdaCode, by_guid: dict[str, QdaCode]) -> bool:
    seen = {code.guid}
    parent = by_guid.get(code.parent or "")
    while parent is not None:
        if parent.guid in seen:
            return True
        seen.add(parent.guid)
        parent = by_guid.get(parent.parent or "")
    return False
