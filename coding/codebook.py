"""YAML codebooks: load (with line numbers), validate (every problem at once), write, version.

A problem reads ``file:line: path: message``, e.g.
``codebooks/x.yaml:14: codes[3].parent: unknown parent 'foo'``, so a researcher can jump to it.
Whole-file problems use the path ``codebook`` (shape) or ``yaml`` (syntax).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from coding.errors import CodebookError, QcodeError, offset_in_file
from coding.models import Code, Codebook, MatchRules

if TYPE_CHECKING:
    from spacy.matcher import Matcher

from .safe_yaml import YamlBudgetError, load_yaml

CODE_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
TOP_FIELDS = ("name", "version", "description", "codes")
CODE_FIELDS = ("id", "name", "parent", "definition", "include", "exclude", "examples", "color", "match")
TEXT_FIELDS = ("definition", "include", "exclude")
MATCH_FIELDS = ("keywords", "lemmas", "patterns")
# Valid for spaCy, but the rule coder's pipeline (tagger + lemmatizer only) cannot serve them.
UNUSABLE_PATTERN_KEYS = frozenset({"DEP", "ENT_TYPE", "ENT_IOB", "ENT_ID", "ENT_KB_ID", "_"})

# ---------------------------------------------------------------------------------------------------
# Loading YAML while remembering where things are


class _Mapping(dict):
    """A YAML mapping that remembers its own line and the line of each key (1-based)."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}
        self.duplicates: list[tuple[Any, int]] = []


class _Sequence(list):
    """A YAML sequence that remembers its own line and the line of each item (1-based)."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []


class _LineLoader(yaml.SafeLoader):
    """SafeLoader whose mappings and sequences carry line numbers, so problems can name the line."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> Iterator[_Mapping]:
    data = _Mapping(node.start_mark.line + 1)
    yield data  # yield first, as PyYAML does, so recursive structures resolve
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be plain text", key_node.start_mark
            ) from None
        line = key_node.start_mark.line + 1
        if key in data:
            data.duplicates.append((key, line))
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[key] = line


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> Iterator[_Sequence]:
    data = _Sequence(node.start_mark.line + 1)
    yield data
    for item in node.value:
        data.append(loader.construct_object(item, deep=True))
        data.item_lines.append(item.start_mark.line + 1)


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)

# The same loader over libyaml's parser (five times faster), when PyYAML was built with it. It reads a valid
# codebook first; anything wrong is read again by _LineLoader, whose messages the problems quote.
_FastLineLoader: type | None = None
if getattr(yaml, "__with_libyaml__", False):

    class _CLineLoader(yaml.CSafeLoader):
        """CSafeLoader whose mappings and sequences carry line numbers, as _LineLoader's."""

    _CLineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    _CLineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
    _FastLineLoader = _CLineLoader


def _line_of(container: Any, key: Any = None) -> int | None:
    """Line of `key` (a mapping key or a list index) in `container`, else of the container itself."""
    if isinstance(container, _Mapping):
        return container.key_lines.get(key, container.line)
    if isinstance(container, _Sequence):
        if isinstance(key, int) and 0 <= key < len(container.item_lines):
            return container.item_lines[key]
        return container.line
    return None


def _plain(value: Any) -> Any:
    """Drop the line-tracking subclasses: spaCy and the YAML dumper want plain dicts and lists."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _kind(value: Any) -> str:
    """A researcher-friendly name for a YAML value's type."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


# ---------------------------------------------------------------------------------------------------
# Validation


class _Validator:
    """Collects every problem of one codebook structure, each with file, line and path."""

    def __init__(self, path: str, check_patterns: bool = True) -> None:
        self.path = path
        self.check_patterns = check_patterns
        self._found: list[tuple[int, str]] = []

    @cached_property
    def matcher(self) -> Matcher:
        """spaCy checks token patterns; it is loaded only for a codebook that has some."""
        from spacy.matcher import Matcher

        from coding.nlp import blank_pipeline

        return Matcher(blank_pipeline().vocab, validate=True)

    def add(self, line: int | None, where: str, message: str) -> None:
        location = f"{self.path}:{line}" if line is not None else self.path
        self._found.append((line or 0, f"{location}: {where}: {message}"))

    @property
    def problems(self) -> list[str]:
        """Problems in file order (stable for problems on the same line)."""
        return [text for _, text in sorted(self._found, key=lambda found: found[0])]

    def check(self, data: Any) -> None:
        if data is None:
            self.add(1, "codebook", "empty file (expected a mapping with name, version and codes)")
            return
        if not isinstance(data, dict):
            self.add(
                _line_of(data) or 1,
                "codebook",
                f"expected a mapping with name, version and codes, got {_kind(data)}",
            )
            return
        self.mapping_keys(data, "", TOP_FIELDS)
        self.text(data, "name", "", required=True)
        self.version(data)
        self.text(data, "description", "")
        self.codes(data)

    def mapping_keys(self, mapping: dict, prefix: str, allowed: tuple[str, ...]) -> None:
        for key, line in getattr(mapping, "duplicates", []):
            self.add(line, f"{prefix}{key}", "duplicate key (the later value would silently win)")
        for key in mapping:
            if key not in allowed:
                self.add(
                    _line_of(mapping, key),
                    f"{prefix}{key}",
                    f"unknown field; expected one of {', '.join(allowed)}",
                )

    def text(self, mapping: dict, key: str, prefix: str, required: bool = False) -> None:
        value = mapping.get(key)
        where = f"{prefix}{key}"
        if value is None:
            if required:
                self.add(_line_of(mapping, key), where, "missing")
        elif not isinstance(value, str):
            self.add(_line_of(mapping, key), where, f"expected text, got {_kind(value)}")
        elif required and not value.strip():
            self.add(_line_of(mapping, key), where, "must not be empty")

    def version(self, data: dict) -> None:
        value = data.get("version")
        if isinstance(value, int | float) and not isinstance(value, bool):
            self.add(_line_of(data, "version"), "version", f'expected text; quote it, e.g. version: "{value}"')
        else:
            self.text(data, "version", "", required=True)

    def codes(self, data: dict) -> None:
        codes = data.get("codes")
        if codes is None:
            self.add(_line_of(data, "codes"), "codes", "missing (a list of codes)")
            return
        if not isinstance(codes, list):
            self.add(_line_of(data, "codes"), "codes", f"expected a list of codes, got {_kind(codes)}")
            return
        if not codes:
            self.add(_line_of(data, "codes"), "codes", "the codebook has no codes")
        for index, code in enumerate(codes):
            self.code(codes, index, code)
        self.ids_and_parents(codes)

    def code(self, codes: list, index: int, code: Any) -> None:
        prefix = f"codes[{index}]"
        if not isinstance(code, dict):
            self.add(_line_of(codes, index), prefix, f"expected a mapping (id, name, ...), got {_kind(code)}")
            return
        self.mapping_keys(code, prefix + ".", CODE_FIELDS)
        self.code_id(code, prefix)
        self.text(code, "name", prefix + ".", required=True)
        self.text(code, "parent", prefix + ".")
        for key in TEXT_FIELDS:
            self.text(code, key, prefix + ".")
        self.string_list(code, "examples", prefix + ".")
        self.color(code, prefix)
        self.match(code, prefix)

    def code_id(self, code: dict, prefix: str) -> None:
        self.text(code, "id", prefix + ".", required=True)
        value = code.get("id")
        if isinstance(value, str) and value.strip() and not CODE_ID.match(value):
            self.add(
                _line_of(code, "id"),
                f"{prefix}.id",
                f"bad id {value!r}: use lower-case letters, digits and _, with . between levels "
                "(e.g. external_actors.russia)",
            )

    def color(self, code: dict, prefix: str) -> None:
        value = code.get("color")
        if value is None:
            return
        if not isinstance(value, str) or not COLOR.match(value):
            shown = value if isinstance(value, str) else _kind(value)
            self.add(_line_of(code, "color"), f"{prefix}.color", f"bad colour {shown!r}: use #rrggbb hex")

    def string_list(self, mapping: dict, key: str, prefix: str) -> list[str]:
        """Check a list of non-empty strings; return the good ones."""
        value = mapping.get(key)
        where = f"{prefix}{key}"
        if value is None:
            return []
        if not isinstance(value, list):
            self.add(_line_of(mapping, key), where, f"expected a list of text, got {_kind(value)}")
            return []
        good = []
        for i, item in enumerate(value):
            if not isinstance(item, str):
                self.add(_line_of(value, i), f"{where}[{i}]", f"expected text, got {_kind(item)}")
            elif not item.strip():
                self.add(_line_of(value, i), f"{where}[{i}]", "must not be empty")
            else:
                good.append(item)
        return good

    def match(self, code: dict, prefix: str) -> None:
        rules = code.get("match")
        where = f"{prefix}.match"
        if rules is None:
            return
        if not isinstance(rules, dict):
            self.add(
                _line_of(code, "match"),
                where,
                f"expected a mapping of keywords, lemmas, patterns, got {_kind(rules)}",
            )
            return
        self.mapping_keys(rules, where + ".", MATCH_FIELDS)
        self.string_list(rules, "keywords", where + ".")
        self.string_list(rules, "lemmas", where + ".")
        patterns = rules.get("patterns")
        if patterns is None:
            return
        if not isinstance(patterns, list):
            self.add(
                _line_of(rules, "patterns"),
                f"{where}.patterns",
                f"expected a list of token patterns, got {_kind(patterns)}",
            )
            return
        for i, pattern in enumerate(patterns):
            self.pattern(pattern, _line_of(patterns, i), f"{where}.patterns[{i}]")

    def pattern(self, pattern: Any, line: int | None, where: str) -> None:
        if not isinstance(pattern, list) or not pattern:
            self.add(line, where, "expected a non-empty list of token mappings, e.g. [{LOWER: un}]")
            return
        if not all(isinstance(token, dict) for token in pattern):
            self.add(line, where, "every token of a pattern must be a mapping, e.g. {LEMMA: sell}")
            return
        try:
            _check_regexes(pattern)
            if self.check_patterns:
                self.matcher.add("check", [_plain(pattern)])
        except re.error as error:  # a REGEX value that is no regular expression
            self.add(line, where, f"invalid regular expression in a token pattern: {error}")
            return
        except (ValueError, TypeError, KeyError) as error:
            self.add(line, where, f"invalid spaCy token pattern: {_matcher_message(error)}")
            return
        finally:
            if self.check_patterns and "check" in self.matcher:
                self.matcher.remove("check")
        unusable = sorted({key for token in pattern for key in token if str(key).upper() in UNUSABLE_PATTERN_KEYS})
        if unusable:
            self.add(
                line,
                where,
                f"{', '.join(map(str, unusable))} cannot be used: rule coding runs no parser, no entity "
                "recogniser and no extensions (use LOWER, ORTH, LEMMA, POS, TAG, MORPH, SHAPE, IS_...)",
            )

    def ids_and_parents(self, codes: list) -> None:
        first_line: dict[str, int | None] = {}
        parents: dict[str, tuple[str, int]] = {}  # id -> (parent, index) for codes with a text parent
        for index, code in enumerate(codes):
            if not isinstance(code, dict) or not isinstance(code.get("id"), str):
                continue
            code_id = code["id"]
            if code_id in first_line:
                self.add(
                    _line_of(code, "id"),
                    f"codes[{index}].id",
                    f"duplicate id {code_id!r} (first at line {first_line[code_id]})",
                )
                continue
            first_line[code_id] = _line_of(code, "id")
            if isinstance(code.get("parent"), str):
                parents[code_id] = (code["parent"], index)
        for parent, index in parents.values():
            if parent not in first_line:
                self.add(_line_of(codes[index], "parent"), f"codes[{index}].parent", f"unknown parent {parent!r}")
        self.cycles(codes, parents)

    def cycles(self, codes: list, parents: dict[str, tuple[str, int]]) -> None:
        reported: set[frozenset[str]] = set()
        for start in parents:
            chain = [start]
            current = parents[start][0]
            while current in parents and current not in chain:
                chain.append(current)
                current = parents[current][0]
            if current != start or frozenset(chain) in reported:
                continue
            reported.add(frozenset(chain))
            index = parents[start][1]
            loop = " -> ".join([*chain, start])
            self.add(_line_of(codes[index], "parent"), f"codes[{index}].parent", f"cycle in parents: {loop}")


def _matcher_message(error: Exception) -> str:
    """spaCy's pattern errors span many lines; keep the specific ones."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    details = [line[2:] for line in lines if line.startswith("- ")]
    return "; ".join(details) if details else (lines[0] if lines else type(error).__name__)


def validate(data: Any, path: str | Path = "<codebook>", check_patterns: bool = True) -> list[str]:
    """Every problem of a codebook (parsed YAML data or a Codebook), as 'file:line: path: message'.

    check_patterns=False leaves out the one check that needs spaCy: whether its Matcher accepts each token
    pattern (the shape of a pattern and the keys rule coding cannot use are checked either way)."""
    if isinstance(data, Codebook):
        data = codebook_to_dict(data)
    validator = _Validator(str(path), check_patterns)
    validator.check(data)
    return validator.problems


# ---------------------------------------------------------------------------------------------------
# Building, reading and writing


def codebook_from_dict(data: Any, path: str | Path = "<codebook>", check_patterns: bool = True) -> Codebook:
    """Validate parsed YAML data and build a Codebook; raise CodebookError listing every problem."""
    problems = validate(data, path, check_patterns)
    if problems:
        raise CodebookError(path, problems)
    data = _plain(data)
    return Codebook(
        name=data["name"],
        version=data["version"],
        description=data.get("description") or "",
        codes=[_code_from_dict(code) for code in data["codes"]],
        source_path=str(path) if not str(path).startswith("<") else "",
    )


def _code_from_dict(data: dict[str, Any]) -> Code:
    rules = data.get("match") or {}
    return Code(
        id=data["id"],
        name=data["name"],
        parent=data.get("parent") or None,
        definition=data.get("definition") or "",
        include=data.get("include") or "",
        exclude=data.get("exclude") or "",
        examples=list(data.get("examples") or []),
        color=data.get("color") or "",
        rules=MatchRules(
            keywords=list(rules.get("keywords") or []),
            lemmas=list(rules.get("lemmas") or []),
            patterns=list(rules.get("patterns") or []),
        ),
    )


def _check_regexes(value: Any) -> None:
    """Compile every REGEX value of a token pattern (re.error for a bad one), without loading spaCy."""
    if isinstance(value, dict):
        for key, item in value.items():
            if str(key).upper() == "REGEX" and isinstance(item, str):
                re.compile(item)
            else:
                _check_regexes(item)
    elif isinstance(value, list):
        for item in value:
            _check_regexes(item)


def load_codebook(path: str | Path, check_patterns: bool | None = None) -> Codebook:
    """Read and validate a YAML codebook; raise CodebookError naming the file, line and path of each problem.

    By default every codebook's token patterns are checked with spaCy except the reference codebook shipped
    with qcode, whose patterns its tests check: so `qcode init` with the reference codebook loads no spaCy."""
    if check_patterns is None:
        check_patterns = not _is_reference(path)
    where = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise CodebookError(path, [f"{where}: file not found"]) from None
    except OSError as error:
        raise CodebookError(path, [f"{where}: cannot read: {error.strerror}"]) from None
    return codebook_from_bytes(raw, path, check_patterns)


def codebook_from_bytes(raw: bytes, path: str | Path, check_patterns: bool = True) -> Codebook:
    """A codebook file's content, validated as load_codebook does; problems are named after `path`."""
    where = str(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        problem = f"{where}: not UTF-8 text ({error.reason} at byte {offset_in_file(raw, error)})"
        raise CodebookError(path, [problem]) from None
    fast = _fast_codebook(text, path, check_patterns)
    if fast is not None:
        return fast
    try:
        data = load_yaml(text, _LineLoader)
    except YamlBudgetError as error:
        raise CodebookError(path, [f"{where}:1: yaml: {error}"]) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        message = " ".join(part for part in (error.context, error.problem) if part)
        raise CodebookError(path, [f"{where}:{line}: yaml: syntax error: {message}"]) from None
    except yaml.YAMLError as error:
        raise CodebookError(path, [f"{where}:1: yaml: {error}"]) from None
    return codebook_from_dict(data, path, check_patterns)


def _fast_codebook(text: str, path: str | Path, check_patterns: bool) -> Codebook | None:
    """The codebook read with libyaml's parser; None when it is not available or anything is wrong (a syntax
    error, a budget, a problem): then the pure-Python loader reads it again for the messages."""
    if _FastLineLoader is None or "\t" in text or yaml.reader.Reader.NON_PRINTABLE.search(text):
        return None  # PyYAML's reader refuses characters (and tabs where libyaml allows them) libyaml lets through
    try:
        data = load_yaml(text, _FastLineLoader)
    except (YamlBudgetError, yaml.YAMLError, RecursionError):
        return None
    if validate(data, path, check_patterns):
        return None
    return codebook_from_dict(data, path, check_patterns=False)  # validated just above


def _is_reference(path: str | Path) -> bool:
    from .resources import default_codebook

    try:
        return Path(path).resolve() == default_codebook().resolve()
    except (OSError, QcodeError):
        return False


def codebook_to_dict(codebook: Codebook) -> dict[str, Any]:
    """The YAML structure of a codebook; empty optional fields are left out."""
    data: dict[str, Any] = {"name": codebook.name, "version": codebook.version}
    if codebook.description:
        data["description"] = codebook.description
    data["codes"] = [_code_to_dict(code) for code in codebook.codes]
    return data


def _code_to_dict(code: Code) -> dict[str, Any]:
    data: dict[str, Any] = {"id": code.id, "name": code.name}
    if code.parent:
        data["parent"] = code.parent
    for key in TEXT_FIELDS:
        if getattr(code, key):
            data[key] = getattr(code, key)
    if code.examples:
        data["examples"] = list(code.examples)
    if code.color:
        data["color"] = code.color
    rules = {
        "keywords": list(code.rules.keywords),
        "lemmas": list(code.rules.lemmas),
        "patterns": [_FlowList(pattern) for pattern in code.rules.patterns],
    }
    rules = {key: value for key, value in rules.items() if value}
    if rules:
        data["match"] = rules
    return data


class _FlowList(list):
    """A token pattern: written on one line, [{LOWER: un}, {LEMMA: observer}], as people write them."""


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # never write &id001 anchors: a codebook is edited by hand


def _represent_flow(dumper: yaml.SafeDumper, data: _FlowList) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None  # long definitions stay readable as blocks
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(_FlowList, _represent_flow)
_Dumper.add_representer(str, _represent_str)


def dump_codebook(codebook: Codebook) -> str:
    """The codebook as YAML text that load_codebook reads back to an equal Codebook."""
    return yaml.dump(codebook_to_dict(codebook), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def write_codebook(codebook: Codebook, path: str | Path) -> None:
    """Write the codebook as YAML, atomically (a crash never leaves half a codebook)."""
    write_text(dump_codebook(codebook), path)


def write_text(text: str | bytes, path: str | Path) -> None:
    """Replace a file's content atomically: readers see the old file or the new one, never half of one."""
    target = Path(path)
    data = text.encode("utf-8") if isinstance(text, str) else text
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def codebook_version(codebook: Codebook) -> str:
    """A short stable hash of what changes coding results: declared version, ids, parents and rules.

    Names, definitions, examples and colours do not count; neither does the order of codes.
    """
    codes = sorted(
        (
            {
                "id": code.id,
                "parent": code.parent,
                "keywords": code.rules.keywords,
                "lemmas": code.rules.lemmas,
                "patterns": code.rules.patterns,
            }
            for code in codebook.codes
        ),
        key=lambda item: str(item["id"]),
    )
    payload = json.dumps({"version": codebook.version, "codes": codes}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]
