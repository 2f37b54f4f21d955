"""`qcode deidentify IN OUT`: de-identified copies of a folder of transcripts, key and audit beside OUT."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .errors import QcodeError

# Shown in --help without importing coding.deidentify (spaCy); a test checks it is the library's DEFAULT_STYLE.
STYLE_SHOWN = "[{kind}_{n}]"


def _shows_progress() -> bool:
    """A bar for a person at a terminal, unless `qcode -q` (read from the command line, not from coding.cli,
    which imports this module)."""
    context = click.get_current_context(silent=True)
    quiet = bool(context and context.find_root().params.get("quiet"))
    return not quiet and sys.stderr.isatty()


def _fail(message: str) -> None:
    click.echo(f"qcode: error: {message}", err=True)
    sys.exit(2)


@click.command("deidentify")
@click.argument("in_dir", metavar="IN", type=click.Path(path_type=Path))
@click.argument("out_dir", metavar="OUT", type=click.Path(path_type=Path))
@click.option(
    "--roster", type=click.Path(path_type=Path), help="CSV of private names to hide (column 'name', optional 'kind')."
)
@click.option("--keep", type=click.Path(path_type=Path), help="Public names to leave in place, one per line.")
@click.option(
    "--key",
    "key_path",
    type=click.Path(path_type=Path),
    help="Key file (pseudonym -> original); default: OUT.key.json beside OUT. Reused when it exists.",
)
@click.option(
    "--audit",
    "audit_path",
    type=click.Path(path_type=Path),
    help="Audit CSV (lists originals, so it is kept beside the key); default: OUT.audit.csv.",
)
@click.option("--style", default=None, show_default=STYLE_SHOWN, help="Pseudonym style with {kind} and {n}.")
@click.option("--review", is_flag=True, help="List the uncertain cases: guesses and capitalised words left in place.")
@click.option("--pipeline", default=None, help="spaCy pipeline name (default: the best installed).")
@click.option("--encoding", default=None, help="Encoding of the transcripts (default UTF-8).")
def deidentify_command(
    in_dir: Path,
    out_dir: Path,
    roster: Path | None,
    keep: Path | None,
    key_path: Path | None,
    audit_path: Path | None,
    style: str | None,
    review: bool,
    pipeline: str | None,
    encoding: str | None,
) -> None:
    """Write de-identified copies of the transcripts in folder IN to the new folder OUT.

    Names, places, employers, contacts and private dates become pseudonyms such as [PERSON_3], the same
    in every file. The key and the audit go beside OUT, never into it; keep them private.
    """
    from rich.progress import Progress

    from .deidentify import DEFAULT_STYLE, deidentify_folder
    from .deidentify.audit import review_lines

    try:
        with Progress(transient=True, disable=not _shows_progress()) as bar:
            task = bar.add_task("de-identifying", total=None)
            report = deidentify_folder(
                in_dir,
                out_dir,
                roster=roster,
                keep=keep,
                key_path=key_path,
                audit_path=audit_path,
                style=style or DEFAULT_STYLE,
                pipeline=pipeline,
                encoding=encoding,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except QcodeError as exc:
        _fail(str(exc))
        return
    counts = ", ".join(f"{count} {kind.lower()}" for kind, count in sorted(report.summary().items())) or "nothing"
    click.echo(f"de-identified {len(report.files)} files into {out_dir}: replaced {counts}")
    click.echo(f"key (keep it private): {report.key_path}")
    if report.audit_path:
        click.echo(f"audit: {report.audit_path} ({report.residual_count} words and numbers left for review)")
    if review:
        lines = review_lines(report)
        click.echo(f"uncertain cases ({len(lines)}):" if lines else "no uncertain cases")
        for line in lines:
            click.echo(f"  {line}")
