"""qcode.toml: the settings a project folder carries (database, codebook, unit, pipeline, labels)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

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
    # a local sentence-embedding model folder ([model] embedding), relative to the project or absolute;
    # empty: the sparse features alone (nothing is ever downloaded)
    embedding: str = ""

    def embedding_folder(self, folder: Path) -> Path | None:
        if not self.embedding:
            return None
        path = Path(self.embedding).expanduser()
        return path if path.is_absolute() else folder / path

    def database_url(self, folder: Path) -> str:
        return self.database or f"sqlite:///{(folder / DEFAULT_DB_NAME).resolve()}"

    def with_unit(self, unit: str) -> ProjectConfig:
        return replace(self, unit=unit)


def read_config(folder: Path) -> ProjectConfig:
    path = folder / CONFIG_NAME
    if not path.is_file():
        raise ProjectError(f"{folder}: not a qcode project (no {CONFIG_NAME}); create one with 'qcode init {folder}'")
    try:
        whole = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProjectError(f"{path}: not valid TOML ({exc})") from None
    data, model = whole.get("project", {}), whole.get("model", {})
    config = ProjectConfig(
        name=str(data.get("name", folder.resolve().name)),
        database=str(data.get("database", "")),
        codebook=str(data.get("codebook", "codebook.yaml")),
        unit=str(data.get("unit", "sentence")),
        pipeline=str(data.get("pipeline", "")),
        interviewer_labels=tuple(data.get("interviewer_labels", DEFAULT_INTERVIEWER_LABELS)),
        embedding=str(model.get("embedding", "")),
    )
    if config.unit not in UNITS:
        raise ProjectError(f"{path}: unit must be one of {', '.join(UNITS)}, not {config.unit!r}")
    return config


def write_config(folder: Path, config: ProjectConfig) -> None:
    """qcode.toml through a TOML writer: any name (quotes, backslashes, new lines) reads back as written."""
    import tomli_w

    settings = {
        "name": config.name,
        "database": config.database,
        "codebook": config.codebook,
        "unit": config.unit,
        "pipeline": config.pipeline,
        "interviewer_labels": list(config.interviewer_labels),
    }
    header = (
        "# qcode project settings. database: a SQLAlchemy URL; empty = qcode.sqlite in this folder\n"
        "# (PostgreSQL: postgresql+psycopg://user@host/db). pipeline: a spaCy pipeline; empty = the best installed.\n"
    )
    document: dict[str, dict[str, Any]] = {"project": settings}
    if config.embedding:
        document["model"] = {"embedding": config.embedding}
    (folder / CONFIG_NAME).write_text(header + tomli_w.dumps(document), encoding="utf-8")
