"""User-facing errors. The CLI and the app turn these into one line; anything else is a bug."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def offset_in_file(data: bytes, error: UnicodeDecodeError) -> int:
    """Where a bad byte is in the file: "utf-8-sig" strips a byte-order mark before decoding, so the error's
    own offset counts from after it. A codec that decodes a part of its own (idna: one label) keeps its offset."""
    stripped = len(data) - len(error.object)
    return error.start + stripped if data.endswith(error.object) else error.start


class QcodeError(Exception):
    """Base class for every error a researcher can cause and fix."""


class UsageError(QcodeError):
    """A command was called in a way that cannot work (bad option value, missing project)."""


class IngestError(QcodeError):
    """A transcript or metadata file cannot be read as the contract says."""

    def __init__(self, path: str | Path, message: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class CodebookError(QcodeError):
    """A codebook has problems; all of them are reported at once."""

    def __init__(self, path: str | Path, problems: Sequence[str]) -> None:
        self.path = str(path)
        self.problems = list(problems)
        summary = "; ".join(self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        # Problems usually name the file and line already ("x.yaml:7: codes[0].parent: ...").
        named = all(problem.startswith(self.path) for problem in self.problems[:5])
        super().__init__(f"{summary}{more}" if named and self.problems else f"{self.path}: {summary}{more}")


class CodebookFileError(CodebookError):
    """The project's codebook.yaml was edited by hand and cannot be applied; nothing was changed.

    Its text is a summary line and then every problem on a line of its own ("- " markdown items)."""

    def __init__(self, path: str | Path, problems: Sequence[str]) -> None:
        super().__init__(path, problems)
        self.summary = (
            f"{path} was edited by hand and cannot be applied ({len(self.problems)} "
            f"problem{'s' if len(self.problems) != 1 else ''}); nothing was changed: fix the file and try again"
        )
        self.args = ("\n".join([self.summary, *(f"- {problem}" for problem in self.problems)]),)

    def __str__(self) -> str:
        return str(self.args[0])


class ProjectError(QcodeError):
    """The project folder or database is missing or not usable."""


class ImportFormatError(IngestError):
    """A file from another tool (codings CSV, REFI-QDA) is malformed or refers to unknown things."""


class BusyError(ProjectError):
    """Another run holds the project for this step, or the database stayed locked through every retry."""


class ReplacedDocumentError(UsageError):
    """A change was aimed at a segment of a document version that is no longer current (replaced or removed)."""


class PermissionDeniedError(UsageError):
    """The person acting has no right to this change (only a lead edits the codebook, merges or resolves)."""
