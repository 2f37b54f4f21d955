"""qcode.toml: the settings a project folder carries (database, codebook, unit, pipeline, labels)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import ProjectError
from .models import UNITS
from .transcripts import DEFAULT_INTERVIEWER_LABELS

CONFIG_NAME = "qcode.toml"
DEFAULT_DB_NAME = "qcode.sqlite"


@dataclass(frozen=True)
class ProjectConfig:
    name: str
    database: str = ""  # SQLAlchemy URL; empty means the SQLite file beside qcode.toml
    codebook: str = "codebook.yaml"  # relative to the project folder
    unit: str = "sentence"
    pipeline: str = ""  # empty: the best installed English pipeline
    interviewer_labels: tuple[str, ...] = field(default=DEFAULT_INTERVIEWER_LABELS)

    def database_url(self, folder: Path) -> str:
        return self.database or f"sqlite:///{(folder / DEFAULT_DB_NAME).resolve()}"

    def with_unit(self, unit: str) -> ProjectConfig:
        return replace(self, unit=unit)


def read_config(folder: Path) -> ProjectConfig:
    path = folder / CONFIG_NAME
    if not path.is_file():
        raise ProjectError(f"{folder}: not a qcode project (no {CONFIG_NAME}); create one with 'qcode init {folder}'")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8")).get("project", {})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProjectError(f"{path}: not valid TOML ({exc})") from None
    config = ProjectConfig(
        name=str(data.get("name", folder.resolve().name)),
        database=str(data.get("database", "")),
        codebook=str(data.get("codebook", "codebook.yaml")),
        unit=str(data.get("unit", "sentence")),
        pipeline=str(data.get("pipeline", "")),
        interviewer_labels=tuple(data.get("interviewer_labels", DEFAULT_INTERVIEWER_LABELS)),
    )
    if config.unit not in UNITS:
        raise ProjectError(f"{path}: unit must be one of {', '.join(UNITS)}, not {config.unit!r}")
    return config


def write_config(folder: Path, config: ProjectConfig) -> None:
    def quote(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    labels = ", ".join(quote(label) for label in config.interviewer_labels)
    lines = [
        "# qcode project settings",
        "[project]",
        f"name = {quote(config.name)}",
        "# SQLAlchemy URL; empty = qcode.sqlite in this folder. PostgreSQL: postgresql+psycopg://user@host/db",
        f"database = {quote(config.database)}",
        f"codebook = {quote(config.codebook)}",
        f"unit = {quote(config.unit)}",
        "# spaCy pipeline; empty = the best installed English pipeline",
        f"pipeline = {quote(config.pipeline)}",
        f"interviewer_labels = [{labels}]",
    ]
    (folder / CONFIG_NAME).write_text("\n".join(lines) + "\n", encoding="utf-8")
