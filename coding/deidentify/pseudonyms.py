"""Consistent pseudonyms across a corpus, and the key file that maps them back to the originals.

The same person gets the same pseudonym in every file; a first name or surname alone links to the full
name it is part of. The key is written with owner-only permissions and is read again on a re-run so
that earlier pseudonyms are reused.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import IngestError, UsageError
from ..transcripts import LABEL_RE
from .keep_list import HONORIFICS, PUBLIC_INSTITUTION_WORDS, normalise
from .model import KINDS, ORG, PERSON, PLACE, Replacement

DEFAULT_STYLE = "[{kind}_{n}]"
KEY_FORMAT = "qcode-deidentify-key"
LINKED_KINDS = (PERSON, PLACE, ORG)  # kinds whose single words link to a longer name


def check_style(style: str) -> None:
    """A style must number its pseudonyms and still read as a speaker label."""
    try:
        sample = format_pseudonym(style, PERSON, 12)
    except (KeyError, IndexError, ValueError) as exc:
        raise UsageError(f"bad pseudonym style {style!r}: {exc}; use fields {{kind}} and {{n}}") from None
    if "12" not in sample or "\n" in sample or not sample.strip():
        raise UsageError(f"bad pseudonym style {style!r}: it must contain {{n}} and fit on one line")
    if not LABEL_RE.match(sample + ": x"):
        raise UsageError(f"bad pseudonym style {style!r}: {sample!r} cannot be used as a speaker label")


def format_pseudonym(style: str, kind: str, n: int) -> str:
    return style.format(kind=kind, n=n, Kind=kind.title(), kind_lower=kind.lower())


def name_key(text: str) -> str:
    """Linking form of a name: normalised, without honorifics such as 'Mr.' or '-aka'."""
    words = normalise(text).split(" ")
    while len(words) > 1 and words[0].rstrip(".") in HONORIFICS:
        words = words[1:]
    while len(words) > 1 and words[-1] in HONORIFICS:
        words = words[:-1]
    return " ".join(words)


@dataclass
class Entity:
    kind: str
    n: int
    pseudonym: str
    names: list[str] = field(default_factory=list)


class Pseudonyms:
    """Assigns and remembers pseudonyms; variants of one name share an entity."""

    def __init__(self, style: str = DEFAULT_STYLE) -> None:
        check_style(style)
        self.style = style
        self.entities: list[Entity] = []
        self._by_key: dict[str, Entity] = {}
        self._by_part: dict[str, Entity] = {}
        self._counters: dict[str, int] = {}

    def add_existing(self, entity: Entity) -> None:
        self.entities.append(entity)
        self._counters[entity.kind] = max(self._counters.get(entity.kind, 0), entity.n)
        for name in entity.names:
            self._register(name, entity)

    def plan(self, names: list[tuple[str, str]]) -> None:
        """Create entities for (name, kind) pairs given in order of first appearance.

        Longer names are linked first so that 'Tolib' joins 'Tolib Ashurov' wherever either appears;
        numbers follow the order of first appearance.
        """
        kind_of: dict[str, str] = {}
        for name, kind in names:
            kind_of.setdefault(name_key(name), kind)
        owner: dict[str, str] = {}
        part_owner: dict[str, str] = {}
        for key in sorted(kind_of, key=lambda k: -k.count(" ")):
            if key in self._by_key or key in self._by_part:
                continue
            if " " not in key and key in part_owner:
                owner[key] = part_owner[key]
                continue
            owner[key] = key
            for part in self._parts(key, kind_of[key]):
                part_owner.setdefault(part, key)
        created: dict[str, Entity] = {}
        for name, kind in names:
            key = name_key(name)
            entity = self._by_key.get(key) or self._by_part.get(key)
            if entity is None:
                group = owner.get(key, key)
                entity = created.get(group) or self._new(kind_of.get(group, kind))
                created[group] = entity
            self._attach(name, entity)

    def find(self, name: str) -> Entity | None:
        """The entity a name already belongs to (as a whole or as a part of a longer name), if any."""
        key = name_key(name)
        return self._by_key.get(key) or self._by_part.get(key)

    def entity_for(self, name: str, kind: str) -> Entity:
        key = name_key(name)
        entity = self._by_key.get(key) or self._by_part.get(key) or self._new(kind)
        self._attach(name, entity)
        return entity

    def _new(self, kind: str) -> Entity:
        n = self._counters.get(kind, 0) + 1
        self._counters[kind] = n
        entity = Entity(kind, n, format_pseudonym(self.style, kind, n))
        self.entities.append(entity)
        return entity

    def _attach(self, name: str, entity: Entity) -> None:
        if name not in entity.names:
            entity.names.append(name)
        self._register(name, entity)

    def _register(self, name: str, entity: Entity) -> None:
        key = name_key(name)
        self._by_key.setdefault(key, entity)
        for part in self._parts(key, entity.kind):
            self._by_part.setdefault(part, entity)

    @staticmethod
    def _parts(key: str, kind: str) -> list[str]:
        words = key.split(" ")
        if len(words) < 2 or kind not in LINKED_KINDS:
            return []
        return [
            w
            for w in words
            if len(w) >= 3 and w not in HONORIFICS and (kind == PERSON or w not in PUBLIC_INSTITUTION_WORDS)
        ]

    def pseudonym(self, name: str, kind: str) -> str:
        return self.entity_for(name, kind).pseudonym

    def known_names(self) -> list[tuple[str, str]]:
        return [(name, entity.kind) for entity in self.entities for name in entity.names]

    def mapping(self) -> dict[str, str]:
        return {entity.pseudonym: entity.names[0] for entity in self.entities if entity.names}


def read_key(path: Path) -> tuple[str | None, list[Entity], dict[str, Any]]:
    """Style, entities and per-file records of an existing key file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IngestError(path, f"not a readable key file ({exc.__class__.__name__})") from None
    if not isinstance(data, dict) or data.get("format") != KEY_FORMAT:
        raise IngestError(path, f"not a qcode de-identification key (expected format {KEY_FORMAT!r})")
    entities: list[Entity] = []
    for number, raw in enumerate(data.get("entities", []), start=1):
        try:
            kind, n, pseudonym, names = raw["kind"], int(raw["n"]), str(raw["pseudonym"]), list(raw["names"])
        except (KeyError, TypeError, ValueError):
            raise IngestError(path, f"malformed key: entity {number} lacks kind, n, pseudonym or names") from None
        if kind not in KINDS:
            raise IngestError(path, f"malformed key: entity {number} has unknown kind {kind!r}")
        entities.append(Entity(kind, n, pseudonym, [str(name) for name in names]))
    files = data.get("files", {})
    return data.get("style"), entities, files if isinstance(files, dict) else {}


def write_key(
    path: Path,
    pseudonyms: Pseudonyms,
    records: dict[str, list[Replacement]],
    old_files: dict[str, Any],
    file_names: dict[str, str] | None = None,
) -> None:
    """Write the key atomically with mode 0600: nobody but the owner may read the originals.

    `file_names` maps each input path (relative to IN) to its de-identified output path in OUT."""
    files = dict(old_files)
    for name, replacements in records.items():
        files[name] = [
            {
                "part": r.part,
                "start": r.start,
                "end": r.end,
                "out_start": r.out_start,
                "out_end": r.out_end,
                "original": r.original,
                "pseudonym": r.pseudonym,
                "kind": r.kind,
            }
            for r in replacements
        ]
    data = {
        "format": KEY_FORMAT,
        "version": 1,
        "written": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "style": pseudonyms.style,
        "entities": [
            {"pseudonym": e.pseudonym, "kind": e.kind, "n": e.n, "names": e.names} for e in pseudonyms.entities
        ],
        "files": files,
        "file_names": {**recorded_file_names(path), **(file_names or {})},
    }
    write_private(path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")


def recorded_file_names(path: Path) -> dict[str, str]:
    """File names recorded by an earlier run with this key (kept when a later run covers other files)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    names = data.get("file_names") if isinstance(data, dict) else None
    return {str(k): str(v) for k, v in names.items()} if isinstance(names, dict) else {}


def write_private(path: Path, text: str) -> None:
    """Create or replace a file readable and writable by its owner only (0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + path.name, dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        fsync_folder(path.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    os.chmod(path, 0o600)


def fsync_folder(folder: Path) -> None:
    """Make a rename or a new file in `folder` durable (where the platform allows opening a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
