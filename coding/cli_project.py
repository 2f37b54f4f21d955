"""What every command that works on a project shares: the --project and --db options, --wait, and opening
the project they name (or the group's own --project/--db, or the current folder). A module of its own so
that commands kept in other modules (cli_users, cli_agree) use the same ones without importing cli.py, which
loads them by name."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click


def project_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--db", "db", default=None, help="SQLAlchemy database URL (default: the project's).")(func)
    func = click.option(
        "--project",
        "project_dir",
        default=None,
        type=click.Path(file_okay=False, path_type=Path),
        help="Project folder (default: the current folder).",
    )(func)
    return func


def wait_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--wait",
        type=click.FloatRange(0),
        default=0.0,
        metavar="SECONDS",
        help="If another run of this step is in progress on the project, wait up to SECONDS for it "
        "(default: refuse at once, exit status 2).",
    )(func)


def open_from(ctx: click.Context, project_dir: Path | None, db: str | None):  # type: ignore[no-untyped-def]
    from .project import open_project

    root = ctx.find_root().params
    project = open_project(project_dir or root.get("project_dir") or Path("."), db or root.get("db"))
    logging.getLogger("coding.cli").info("project %r in %s", project.name, project.folder.resolve())
    return project
