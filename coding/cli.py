"""The `qcode` command: a thin adapter over coding.project. Library errors become one line and exit 2.

Only click is imported up front: each command imports what it uses, so `qcode --help` and `qcode init` start
without spaCy, pandas or scikit-learn (tests/test_cli_imports.py holds this).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .cli_output import (
    configure_logging,
    err_console,
    fail,
    handles_errors,
    is_quiet,
    note,
    out_console,
    print_crosstab,
    progress_bar,
    shows_progress,
)
from .cli_project import open_from, project_options, wait_option
from .models import UNITS

if TYPE_CHECKING:
    from .project import Project


class OneLineErrors(click.Group):
    """Click prints usage errors as a usage block; the contract wants one line and exit status 2."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, standalone_mode=False, **extra)
        _stop_on_sigterm()
        try:
            result = super().main(args, prog_name, standalone_mode=False, **extra)
        except click.ClickException as exc:
            fail(" ".join(exc.format_message().split()))
        except click.exceptions.Abort:
            click.echo("qcode: aborted", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


def _stop_on_sigterm() -> None:
    """`kill` (SIGTERM) ends a command as Ctrl+C does: its transaction rolled back, its worker processes shut
    down. Python's default would end the process at once and leave the workers running, orphaned."""
    import signal

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


class Commands(OneLineErrors):
    """Commands kept in their own modules load only when run (or when their help is asked for)."""

    LAZY = {
        "deidentify": ("coding.cli_deidentify", "deidentify_command"),
        "users": ("coding.cli_users", "users_command"),
        "agree": ("coding.cli_agree", "agree"),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.LAZY])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.LAZY and cmd_name not in self.commands:
            import importlib

            module, attribute = self.LAZY[cmd_name]
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--project", "project_dir", default=None, type=click.Path(file_okay=False, path_type=Path))
@click.option("--db", "db", default=None)
@click.option("-v", "--verbose", count=True, help="Say what each step does (-vv: debugging detail).")
@click.option("-q", "--quiet", is_flag=True, help="Errors only: no notes, no progress bars.")
@click.option(
    "--no-count-ahead",
    is_flag=True,
    help="After ingest, segment, import-codings, autocode or import: do not count the dashboard's first tables "
    "(they are counted when first shown instead; saves 10-15 s per command at 10,000 transcripts).",
)
@click.version_option(package_name="qcode")
@click.pass_context
def main(
    ctx: click.Context, project_dir: Path | None, db: str | None, verbose: int, quiet: bool, no_count_ahead: bool
) -> None:
    """qcode: qualitative coding of interview corpora."""
    configure_logging(verbose, quiet)
    ctx.meta[COUNT_AHEAD] = not no_count_ahead


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--codebook",
    type=click.Path(dir_okay=False, path_type=Path),
    help="YAML or .qdc codebook (default: the reference codebook, peace_process.yaml, shipped with qcode).",
)
@click.option("--db", default=None, help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/qcode.")
@click.option("--name", default=None, help="Project name (default: the folder's name).")
@handles_errors
def init(folder: Path, codebook: Path | None, db: str | None, name: str | None) -> None:
    """Create a project in FOLDER."""
    from .project import create_project
    from .resources import default_codebook

    project = create_project(folder, codebook or default_codebook(), db, name)
    click.echo(f"created project {project.name!r} in {folder} with {len(project.codebook.codes)} codes")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--metadata", type=click.Path(dir_okay=False, path_type=Path), help="respondents.csv")
@click.option("--replace", is_flag=True, help="Replace documents whose file has changed.")
@click.option("--encoding", default=None, help="Text encoding of the files (default UTF-8).")
@wait_option
@project_options
@click.pass_context
@handles_errors
def ingest(
    ctx: click.Context,
    paths: tuple[Path, ...],
    metadata: Path | None,
    replace: bool,
    encoding: str | None,
    wait: float,
    project_dir: Path | None,
    db: str | None,
) -> None:
    """Add transcripts (files or folders of .txt, .md, .docx) and respondent attributes."""
    if not paths and not metadata:
        raise click.UsageError("give transcript files or folders, or --metadata")
    project = open_from(ctx, project_dir, db)
    with progress_bar("reading transcripts", None) as advance:
        report = project.ingest(
            list(paths), metadata=metadata, replace=replace, encoding=encoding, progress=advance, wait=wait
        )
    click.echo(report.summary())
    keep_counts(project)


COUNT_AHEAD = "qcode.count_ahead"


def keep_counts(project: Project) -> None:
    """At the end of a bulk change: count the tables the dashboard opens with now (Project.keep_counts), so
    that it opens at once instead of counting millions of codings while a person waits. Nothing to count
    without codings (and no pandas loaded for it). The change is stored already: whatever stops the count
    (Ctrl+C, a lost connection) is one line, not a failure of the command."""
    if not click.get_current_context().meta.get(COUNT_AHEAD, True) or not project.store.has_codings():
        return
    try:
        with progress_bar("counting tables for the dashboard", None):
            project.keep_counts()
    except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001
        note(f"stored; the dashboard's tables were not counted ahead ({str(exc) or type(exc).__name__})")


@main.command()
@click.argument("documents", metavar="DOCUMENT...", nargs=-1, required=True)
@click.option("--undo", is_flag=True, help="Bring removed documents back (the same as 'qcode restore').")
@project_options
@click.pass_context
@handles_errors
def remove(
    ctx: click.Context, documents: tuple[str, ...], undo: bool, project_dir: Path | None, db: str | None
) -> None:
    """Take documents (names: file names without extension) out of every count, table and export; their
    codings and memos stay with them, and 'qcode restore DOCUMENT' brings them back."""
    _remove_or_restore(ctx, documents, not undo, project_dir, db)


@main.command()
@click.argument("documents", metavar="DOCUMENT...", nargs=-1, required=True)
@project_options
@click.pass_context
@handles_errors
def restore(ctx: click.Context, documents: tuple[str, ...], project_dir: Path | None, db: str | None) -> None:
    """Bring back documents taken out by 'qcode remove', with every coding and memo they had."""
    _remove_or_restore(ctx, documents, False, project_dir, db)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _remove_or_restore(
    ctx: click.Context, documents: tuple[str, ...], remove: bool, project_dir: Path | None, db: str | None
) -> None:
    project = open_from(ctx, project_dir, db)
    for name in documents:
        kept = project.remove_document(name) if remove else project.restore_document(name)
        what = f"{_count(kept['codings'], 'coding')} and {_count(kept['memos'], 'memo')}"
        if remove:
            click.echo(f"removed {name} ({what} kept with it; 'qcode restore {name}' brings it back)")
        else:
            click.echo(f"restored {name} ({what})")


JOBS_HELP = "Processes for spaCy (default: the CPUs available; one for small corpora)."


@main.command()
@click.option("--unit", type=click.Choice(UNITS), default=None, help="Coding unit (default: the project's).")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help=JOBS_HELP)
@wait_option
@project_options
@click.pass_context
@handles_errors
def segment(
    ctx: click.Context, unit: str | None, jobs: int | None, wait: float, project_dir: Path | None, db: str | None
) -> None:
    """Split respondent turns into coding units with spaCy."""
    project = open_from(ctx, project_dir, db)
    todo = len(project.store.unsegmented_documents(unit or project.unit))
    with progress_bar("segmenting", todo) as advance:
        result = project.segment(unit, progress=advance, wait=wait, jobs=jobs)
    click.echo(f"{result['segments']} {project.unit} segments in {result['documents']} new documents")
    for key, value in result.items():
        if key.startswith("codings_on_"):
            note(f"{value} codings are on {key[11:]} segments; 'qcode segment --unit {key[11:]}' shows them")
    keep_counts(project)


@main.command()
@click.option("--rules", "use_rules", is_flag=True, help="Suggest codes with the codebook's match rules.")
@click.option("--model", "use_model", is_flag=True, help="Suggest codes with the trained model.")
@click.option("--min-confidence", type=click.FloatRange(0, 1), default=0.0, show_default=True)
@click.option("--jobs", type=click.IntRange(min=1), default=None, help=JOBS_HELP)
@wait_option
@project_options
@click.pass_context
@handles_errors
def autocode(
    ctx: click.Context,
    use_rules: bool,
    use_model: bool,
    min_confidence: float,
    jobs: int | None,
    wait: float,
    project_dir: Path | None,
    db: str | None,
) -> None:
    """Suggest codes (rules and model; both when neither flag is given)."""
    project = open_from(ctx, project_dir, db)
    both = not use_rules and not use_model
    model = use_model or (both and project.has_model())
    if both and not model:
        note("no trained model yet ('qcode train'); suggesting with rules only")
    kinds = " and ".join(k for k, on in (("rules", use_rules or both), ("model", model)) if on)
    with progress_bar(f"suggesting codes ({kinds})", None) as advance:
        results = project.autocode(
            rules=use_rules or both,
            model=model,
            min_confidence=min_confidence,
            progress=advance,
            wait=wait,
            jobs=jobs,
        )
    for name, stats in results.items():
        click.echo(
            f"{name}: {stats['proposed']} suggestions ({stats['added']} new, {stats['refreshed']} updated, "
            f"{stats['withdrawn']} withdrawn); people's decisions on earlier suggestions stay as they are"
        )
    keep_counts(project)


@main.command("import-codings")
@click.argument("csv_path", metavar="CSV", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--coder", required=True, help="Who made these codings (a 'coder' column overrides it).")
@project_options
@click.pass_context
@handles_errors
def import_codings(ctx: click.Context, csv_path: Path, coder: str, project_dir: Path | None, db: str | None) -> None:
    """Import codings made elsewhere (document, code, start/end or text[, coder, memo])."""
    project = open_from(ctx, project_dir, db)
    result = project.import_codings(csv_path, coder)
    click.echo(
        f"{result['rows']} rows: {result['added']} codings added, {result['already_present']} already present"
        + (f", {result['rows_without_segment']} rows on no coding unit" if result["rows_without_segment"] else "")
    )
    keep_counts(project)


@main.command()
@click.option(
    "--by",
    required=True,
    multiple=True,
    help="Respondent attribute for the columns (group, gender, ...); twice crosses two (--by group --by gender).",
)
@click.option("--count", type=click.Choice(["segments", "respondents"]), default="segments", show_default=True)
@click.option("--percent", type=click.Choice(["none", "row", "column"]), default="none", show_default=True)
@click.option("--source", type=click.Choice(["human", "auto", "all"]), default="human", show_default=True)
@click.option("--coder", "coders", multiple=True, help="Only these coders (repeatable).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the table as CSV.")
@click.option(
    "--min-respondents",
    type=click.IntRange(min=0),
    default=None,
    help="Leave blank every cell resting on fewer than this many respondents (disclosure control; 0: off; "
    "default: the project's setting, as the dashboard applies it).",
)
@project_options
@click.pass_context
@handles_errors
def crosstab(
    ctx: click.Context,
    by: tuple[str, ...],
    count: str,
    percent: str,
    source: str,
    coders: tuple[str, ...],
    out: Path | None,
    min_respondents: int | None,
    project_dir: Path | None,
    db: str | None,
) -> None:
    """Codes by the values of a respondent attribute (or of two or more, crossed)."""
    project = open_from(ctx, project_dir, db)
    min_respondents = project.min_respondents if min_respondents is None else min_respondents
    columns: str | list[str] = by[0] if len(by) == 1 else list(by)  # one attribute: the table as it always was
    table = project.crosstab(by=columns, count=count, percent=percent, source=source, coders=list(coders) or None)
    bases = project.column_bases(columns, count)
    if min_respondents >= 2:
        table = project.suppress_small_cells(table, columns, min_respondents, source, list(coders) or None)
        note(f"cells resting on fewer than {min_respondents} respondents are suppressed (shown as -, blank in CSV)")
    if out:
        from .publication_form import flat_name
        from .tables import write_table

        if len(by) > 1:  # one header row: "afghan / male"
            table = table.set_axis([flat_name(c) for c in table.columns], axis=1).rename_axis(index="code")
        write_table(table.reset_index(), out, bom=False)
        click.echo(f"wrote {out}")
    else:
        print_crosstab(table, bases, " x ".join(by), count, percent, source)


@main.command()
@click.argument("query")
@click.option(
    "--mode",
    type=click.Choice(["text", "regex", "lemma"]),
    default="text",
    show_default=True,
    help="text: words or a phrase (whole words, * for any ending); regex: a Python regular expression; "
    "lemma: every inflection (spaCy's lemmas, computed once per project).",
)
@click.option(
    "--where",
    "where",
    multiple=True,
    metavar="ATTR=VALUE[,VALUE]",
    help="Only respondents with these attribute values (repeatable: every --where must hold).",
)
@click.option("--code", "codes", multiple=True, help="Only inside segments coded with this code or one below it.")
@click.option("--source", type=click.Choice(["human", "auto", "all"]), default="human", show_default=True)
@click.option("--coder", "coders", multiple=True, help="Whose codings --code looks at (repeatable).")
@click.option("--context", type=click.IntRange(0, 1000), default=60, show_default=True, help="Characters each side.")
@click.option("--case-sensitive", is_flag=True, help="Match upper and lower case exactly (text and regex).")
@click.option(
    "--csv",
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the hits (document offsets, left, match, right) as CSV.",
)
@click.option(
    "--apply-code",
    "apply_code",
    metavar="CODE",
    help="Code every hit (its exact words) with CODE, as the person named by --as: one step for 'qcode undo'.",
)
@click.option("--as", "apply_as", metavar="NAME", help="Who codes the hits (with --apply-code).")
@project_options
@click.pass_context
@handles_errors
def search(
    ctx: click.Context,
    query: str,
    mode: str,
    where: tuple[str, ...],
    codes: tuple[str, ...],
    source: str,
    coders: tuple[str, ...],
    context: int,
    case_sensitive: bool,
    out: Path | None,
    apply_code: str | None,
    apply_as: str | None,
    project_dir: Path | None,
    db: str | None,
) -> None:
    """Find words, phrases, patterns or lemmas in what respondents said, as keyword-in-context lines."""
    from .cli_output import print_hits
    from .errors import UsageError

    if bool(apply_code) != bool(apply_as):
        raise UsageError("--apply-code CODE and --as NAME go together: the code to apply and who applies it")

    attributes = where_filters(where)
    project = open_from(ctx, project_dir, db)
    hits = project.search(
        query,
        mode,
        attributes=attributes or None,
        codes=list(codes) or None,
        source=source,
        coders=list(coders) or None,
        context=context,
        case_sensitive=case_sensitive,
    )
    if out:
        from .tables import write_table

        write_table(hits, out, bom=False)
        click.echo(f"wrote {len(hits)} hits to {out}")
    else:
        print_hits(hits)
    if apply_code and apply_as:
        coded = project.code_hits(hits.assign(code_id=apply_code, coder=apply_as))
        click.echo(
            f"coded {len(coded)} hits with {apply_code} as {apply_as} ('qcode undo --coder {apply_as}' undoes it)"
        )


def taking_back_command(step: str, summary: str, coder_help: str) -> click.Command:
    """`qcode undo` and `qcode redo`: the same command over Project.undo or Project.redo."""

    @main.command(step, help=summary)
    @click.option("--coder", required=True, help=coder_help)
    @project_options
    @click.pass_context
    @handles_errors
    def command(ctx: click.Context, coder: str, project_dir: Path | None, db: str | None) -> None:
        project = open_from(ctx, project_dir, db)
        done = project.undo(coder) if step == "undo" else project.redo(coder)
        click.echo(done or f"nothing of {coder}'s to {step}")

    return command


undo = taking_back_command(
    "undo",
    "Undo your last coding or codebook action (apply, remove, accept, reject, memo, code edits).",
    "Whose last action to undo (never anyone else's).",
)
redo = taking_back_command(
    "redo", "Do again what you last undid (a new action since clears it).", "Whose last undone action to do again."
)


def where_filters(where: Sequence[str]) -> dict[str, list[str]]:
    """--where group=a,b --where gender=female -> {"group": ["a", "b"], "gender": ["female"]}."""
    from .errors import UsageError

    chosen: dict[str, list[str]] = {}
    for item in where:
        attribute, equals, values = item.partition("=")
        found = [v.strip() for v in values.split(",") if v.strip()]
        if not equals or not attribute.strip() or not found:
            raise UsageError(f"--where takes ATTRIBUTE=VALUE[,VALUE], not {item!r}")
        chosen.setdefault(attribute.strip(), []).extend(found)
    return chosen


EXPORTS = ["codings", "matrix", "codebook", "qdpx", "crosstab", "frequencies", "quotes"]


@main.command()
@click.argument("what", type=click.Choice(EXPORTS))
@click.argument("out_path", metavar="OUT", type=click.Path(path_type=Path))
@click.option(
    "--source",
    type=click.Choice(["human", "auto", "all"]),
    default="human",
    show_default=True,
    help="Which codings count (matrix, crosstab, frequencies, quotes).",
)
@click.option("--coder", "coders", multiple=True, help="Only these coders (repeatable).")
@click.option(
    "--by",
    default=("group",),
    multiple=True,
    show_default="group",
    help="Respondent attribute (crosstab, frequencies); crosstab takes it twice to cross two (--by group --by gender).",
)
@click.option(
    "--count",
    type=click.Choice(["segments", "respondents"]),
    default="respondents",
    show_default=True,
    help="What the crosstab counts.",
)
@click.option(
    "--percent",
    type=click.Choice(["row", "column", "none"]),
    default=None,
    help='crosstab in publication form: each cell a count with its row or column percentage, "12 (67%)", and '
    "an n row (none: counts only). Without it: counts and column percentages in columns side by side.",
)
@click.option(
    "--layout",
    type=click.Choice(["cell", "side"]),
    default="cell",
    show_default=True,
    help='With --percent: "12 (67%)" in one cell, or count and % in columns side by side.',
)
@click.option(
    "--min-respondents",
    type=click.IntRange(min=0),
    default=None,
    help="crosstab: leave blank every cell resting on fewer than this many respondents (0: off; default: the "
    "project's setting).",
)
@click.option(
    "--bom/--no-bom",
    default=None,
    help="UTF-8 byte-order mark for spreadsheets (default: on for publication tables, off for codings and matrix).",
)
@project_options
@click.pass_context
@handles_errors
def export(
    ctx: click.Context,
    what: str,
    out_path: Path,
    source: str,
    coders: tuple[str, ...],
    by: tuple[str, ...],
    count: str,
    percent: str | None,
    layout: str,
    min_respondents: int | None,
    bom: bool | None,
    project_dir: Path | None,
    db: str | None,
) -> None:
    """Export codings (long CSV), matrix (wide 0/1 CSV), codebook (.csv/.xlsx/.qdc/.yaml), a REFI-QDA
    project (.qdpx), or publication tables: crosstab, frequencies (.csv/.xlsx), quotes (folder or .xlsx)."""
    from .errors import UsageError
    from .tables import write_table

    project = open_from(ctx, project_dir, db)
    min_respondents = project.min_respondents if min_respondents is None else min_respondents
    who = list(coders) or None
    about = project.provenance(source, who)
    if what == "codings":
        project.export_codings(out_path, bom=bool(bom))
    elif what == "matrix":
        project.export_matrix(out_path, source, who, bom=bool(bom))
    elif what == "codebook":
        project.export_codebook(out_path)
    elif what == "qdpx":
        project.export_qdpx(out_path)
    elif what == "crosstab" and percent is None and len(by) == 1 and min_respondents < 2:  # as it always was
        table = project.crosstab_table(by[0], count, source, who)
        write_table(table, out_path, bom=bom is not False, header={**about, "columns": by[0], "counting": count})
    elif what == "crosstab":  # publication form: "12 (67%)" (or side by side), an n row, each note once
        columns = by[0] if len(by) == 1 else list(by)
        # Several --by without --percent: counts and column % side by side, as one --by has always given.
        shares, form = (percent, layout) if percent is not None else ("column", "side")
        table, notes = project.publication_crosstab(columns, count, shares, form, source, who, min_respondents)
        write_table(table, out_path, bom=bom is not False, header=notes)
    elif what == "frequencies":
        if len(by) > 1:
            raise UsageError("export frequencies takes one --by")
        table = project.frequency_table(by[0], source, who)
        write_table(table, out_path, bom=bom is not False, header={**about, "groups": by[0]})
    else:
        rows = project.write_quotes(out_path, source, who)
        click.echo(f"wrote {rows} quotes to {out_path}")
        return
    click.echo(f"wrote {out_path}")


@main.command("import")
@click.argument("kind", type=click.Choice(["qdpx", "qdc"]))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@project_options
@click.pass_context
@handles_errors
def import_command(ctx: click.Context, kind: str, file: Path, project_dir: Path | None, db: str | None) -> None:
    """Import a REFI-QDA project (.qdpx) or codebook (.qdc)."""
    project = open_from(ctx, project_dir, db)
    if kind == "qdc":
        click.echo(f"{project.import_qdc(file)} codes added")
        return
    report = project.import_qdpx(file)
    click.echo(report.summary())
    for line in report.problems[:50]:
        click.echo(f"  not imported: {line}", err=True)
    if len(report.problems) > 50:
        click.echo(f"  ... and {len(report.problems) - 50} more", err=True)
    keep_counts(project)


@main.command()
@click.option("--coder", "coders", multiple=True, help="Learn from these coders only (default: every person).")
@wait_option
@project_options
@click.pass_context
@handles_errors
def train(ctx: click.Context, coders: tuple[str, ...], wait: float, project_dir: Path | None, db: str | None) -> None:
    """Train the code classifier on human codings; print cross-validated figures per code."""
    from rich.console import Console
    from rich.table import Table

    project = open_from(ctx, project_dir, db)
    with progress_bar("training (cross-validated by respondent)", None):
        report = project.train(list(coders) or None, wait=wait)
    report = report.reset_index().rename(columns={"index": "code"})
    view = Table(title="Cross-validated by respondent (segments of one respondent never on both sides)")
    for column in report.columns:
        view.add_column(str(column), justify="left" if column in ("code", "note") else "right")
    for _, row in report.iterrows():
        view.add_row(*[_fmt(v) for v in row])
    Console(width=200).print(view)


def _fmt(value: Any) -> str:
    import pandas as pd

    if isinstance(value, float):
        return "" if pd.isna(value) else f"{value:.3f}"
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8501, show_default=True, type=int)
@project_options
@click.pass_context
@handles_errors
def app(ctx: click.Context, host: str, port: int, project_dir: Path | None, db: str | None) -> None:
    """Open the Streamlit dashboard on this project."""
    from .launch import require_safe_host, run_dashboard

    project = open_from(ctx, project_dir, db)
    require_safe_host(host, project.accounts.exist())
    database = db or ctx.find_root().params.get("db")
    click.echo(f"qcode dashboard for {project.name!r}: http://{host}:{port}", err=True)
    raise SystemExit(run_dashboard(project.folder, database, host, port))


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), default="demo", required=False)
@click.option(
    "--corpus",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="A corpus folder laid out like the shipped one (transcripts/, respondents.csv, gold.jsonl).",
)
@handles_errors
def demo(folder: Path, corpus: Path | None) -> None:
    """Build the demo project in FOLDER (default: demo) from the shipped corpus and print its cross-tab."""
    from .demo import agreement_summary, build_demo

    if not shows_progress():
        project = build_demo(folder, corpus, echo=lambda line: None if is_quiet() else click.echo(line))
    else:
        # On a terminal, a spinner names the step under way (de-identifying and training take a while).
        with err_console().status("building the demo") as status:

            def show(line: str) -> None:
                err_console().print(line, markup=False, highlight=False)
                if not line.startswith(" "):
                    status.update(line.rstrip(" .") + " ...")

            project = build_demo(folder, corpus, echo=show)
    table = project.crosstab(by="group", count="respondents", source="human", coders=["gold"])
    print_crosstab(table, project.column_bases("group", "respondents"), "group", "respondents", "none", "gold")
    summary = agreement_summary(project)
    if summary:
        click.echo(summary)
    click.echo(f"demo project ready: {folder / 'project'}; open it with 'qcode app --project {folder / 'project'}'")


@main.command()
@project_options
@click.pass_context
@handles_errors
def upgrade(ctx: click.Context, project_dir: Path | None, db: str | None) -> None:
    """Migrate the project's database to this qcode's schema (an SQLite file is copied first).

    Opening a project migrates an SQLite file by itself; a PostgreSQL database waits for this command."""
    from .project import upgrade_project

    root = ctx.find_root().params
    database, copy = upgrade_project(project_dir or root.get("project_dir") or Path("."), db or root.get("db"))
    kept = f"; the database as it was is kept in {copy}" if copy else ""
    click.echo(f"{database} is at the newest schema{kept}")


@main.command()
@click.option("--risk", is_flag=True, help="Report attribute combinations shared by fewer than K respondents.")
@click.option("--k", "k", type=click.IntRange(min=2), default=3, show_default=True, help="The smallest safe group.")
@click.option(
    "--attribute",
    "attributes",
    multiple=True,
    help="An attribute that reaches outputs (repeat; default: every respondent attribute).",
)
@project_options
@click.pass_context
@handles_errors
def respondents(
    ctx: click.Context, risk: bool, k: int, attributes: tuple[str, ...], project_dir: Path | None, db: str | None
) -> None:
    """List the respondents and their attributes, or (--risk) the combinations that single people out."""
    from .disclosure import risky_combinations, smallest_group
    from .errors import UsageError

    project = open_from(ctx, project_dir, db)
    frame = project.respondents()
    known = [c for c in frame.columns if c != "respondent_id"]
    chosen = list(attributes) or known
    unknown = [a for a in chosen if a not in known]
    if unknown:
        raise UsageError(f"unknown respondent attribute {unknown[0]!r} (known: {', '.join(known)})")
    if not risk:
        out_console().print(frame.to_string(index=False))
        return
    rare = risky_combinations(frame, chosen, k=k)
    smallest = smallest_group(frame, chosen)
    click.echo(f"{len(frame)} respondents; over {', '.join(chosen)} the smallest group has {smallest} (k = {k} asked)")
    if rare.empty:
        click.echo(f"no combination of these attributes is shared by fewer than {k} respondents")
        return
    for row in rare.itertuples(index=False):
        combination = ", ".join(f"{a}={v}" for a, v in zip(row.attributes, row.values, strict=True))
        click.echo(f"{row.size} respondent(s): {combination}  ({', '.join(row.respondents)})")
