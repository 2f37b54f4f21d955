"""What the `qcode` commands print: one-line errors, notes, progress bars, logging and the crosstab table.

Shared by the command modules (cli, cli_deidentify) so that none of them imports another: the main command
loads the others lazily, by name.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from .errors import CodebookFileError, QcodeError

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

# Set by the -q flag: progress bars stay off as well as messages below errors.
_quiet = False


@functools.cache
def err_console() -> Console:
    from rich.console import Console

    return Console(stderr=True)


@functools.cache
def out_console() -> Console:
    from rich.console import Console

    # Wide tables stay readable when printed to a file or a pipe (rich assumes 80 columns there).
    return Console(width=None if sys.stdout.isatty() else 160)


def fail(message: str) -> None:
    """One line on stderr, exit status 2: the contract for every error a person can fix."""
    click.echo(f"qcode: error: {message}", err=True)
    sys.exit(2)


def handles_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CodebookFileError as exc:  # a hand-edited codebook.yaml: every problem on a line of its own
            for line in [exc.summary, *exc.problems]:
                click.echo(f"qcode: error: {line}", err=True)
            sys.exit(2)
        except QcodeError as exc:
            fail(str(exc))
        except OSError as exc:  # unreadable files, full disks: still the person's to fix
            fail(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "))

    return wrapper


def configure_logging(verbose: int, quiet: bool) -> None:
    """-v: what each step does (INFO), -vv: DEBUG; -q: errors only. Library modules log to coding.*."""
    global _quiet
    _quiet = quiet
    level = logging.ERROR if quiet else {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter(
            "qcode: %(levelname)s: %(message)s" if verbose < 2 else "qcode: %(levelname)s: %(name)s: %(message)s"
        )
    )
    library = logging.getLogger("coding")
    library.handlers[:] = [handler]
    library.setLevel(level)
    library.propagate = False  # one line per message, not again through a root handler


def note(message: str) -> None:
    """A remark beside a command's result, on stderr; -q silences it."""
    if not _quiet:
        click.echo(f"note: {message}", err=True)


def is_quiet() -> bool:
    return _quiet


def shows_progress() -> bool:
    """Bars and spinners only for a person watching a terminal; pipes, files and -q stay quiet."""
    if _quiet:
        return False
    if not sys.stderr.isatty() and not any(os.environ.get(name) is not None for name in _RICH_TERMINAL_SETTINGS):
        return False  # decided without importing rich (most of a tenth of a second per command)
    return err_console().is_terminal


# Settings with which rich treats a pipe as a terminal (or a terminal as not one): rich decides when one is set.
_RICH_TERMINAL_SETTINGS = ("FORCE_TERMINAL", "TTY_COMPATIBLE", "FORCE_COLOR")


def _no_progress(n: int = 1) -> None:
    pass


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr (a spinner when total is unknown); yields a callable that advances it."""
    if not shows_progress():
        yield _no_progress
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console(), transient=True) as progress:
        task = progress.add_task(description, total=total)

        def advance(n: int = 1) -> None:
            progress.advance(task, n)

        yield advance


def print_crosstab(table: pd.DataFrame, bases: pd.Series, by: str, count: str, percent: str, source: str) -> None:
    from rich.table import Table

    unit = "%" if percent != "none" else ""
    title = f"{count} per code by {by} ({source} codings{', ' + percent + ' %' if unit else ''})"
    view = Table(title=title, show_lines=False)
    view.add_column("code")

    def key(column: Any) -> str:  # ("name", "") when two attributes are crossed
        return str(column[0]) if isinstance(column, tuple) and not all(map(str, column[1:])) else str(column)

    named = {key(c): c for c in table.columns}
    value_columns = [c for c in table.columns if key(c) not in ("name", "level")]
    for column in value_columns:  # two attributes crossed: ("afghan", "male") -> "afghan / male"
        header = " / ".join(p for p in map(str, column) if p) if isinstance(column, tuple) else str(column)
        view.add_column(header, justify="right")
    for _, row in table.iterrows():
        cells = [_cell(row[c], percent) for c in value_columns]
        view.add_row("  " * int(row[named["level"]]) + str(row[named["name"]]), *cells)
    view.add_row("n (" + count + ")", *[str(int(bases.get(c, 0))) for c in value_columns], style="dim")
    out_console().print(view)


def print_hits(hits: pd.DataFrame, width: int = 50) -> None:
    """Keyword in context: respondent, document, turn, then the left context, [match] and right context,
    the matches lined up; a count last (on stderr, so piped lines stay only hits)."""
    if not len(hits):
        note("no hits")
        return
    for row in hits.itertuples(index=False):
        left = str(row.left)[-width:].rjust(width)
        right = str(row.right)[:width]
        click.echo(f"{row.respondent_id}\t{row.document}\tturn index {row.turn_index}\t{left}[{row.match}]{right}")
    documents, respondents = hits["document"].nunique(), hits["respondent_id"].nunique()
    note(f"{len(hits)} hits in {documents} documents ({respondents} respondents)")


def _cell(value: Any, percent: str) -> str:
    import pandas as pd

    if pd.isna(value):
        return "-"
    return f"{value:.1f}" if percent != "none" else str(int(value))
