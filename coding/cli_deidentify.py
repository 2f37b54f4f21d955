"""`qcode deidentify IN OUT`: de-identified copies of a folder of transcripts, key and audit beside OUT."""

from __future__ import annotations

from pathlib import Path

import click

from .cli_output import fail, shows_progress
from .errors import QcodeError

# Shown in --help without importing coding.deidentify (spaCy); a test checks it is the library's DEFAULT_STYLE.
STYLE_SHOWN = "[{kind}_{n}]"
STYLE_HELP = f'Pseudonym style with {{kind}} and {{n}}.  [default: "{STYLE_SHOWN}"]'


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
    help="Key file (pseudonym -> original); default: OUT.key.json beside OUT, or beside the project folder "
    "when OUT is inside one (never inside a project). Reused when it exists.",
)
@click.option(
    "--audit",
    "audit_path",
    type=click.Path(path_type=Path),
    help="Audit CSV (lists originals, so it is kept beside the key); default: OUT.audit.csv.",
)
@click.option("--style", default=None, help=STYLE_HELP)
@click.option(
    "--review",
    is_flag=True,
    help="Write a review file (OUT.review.csv beside the key) of every replacement, name kept as public, "
    "quasi-identifier and word left in place, and list the uncertain cases.",
)
@click.option(
    "--apply-review",
    "apply_review_file",
    type=click.Path(path_type=Path),
    help="Apply a review file's keep / replace / generalise decisions: rewrite OUT in place, keeping the key.",
)
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
    apply_review_file: Path | None,
    pipeline: str | None,
    encoding: str | None,
) -> None:
    """Write de-identified copies of the transcripts in folder IN to the new folder OUT.

    Names, places, employers, contacts and private dates become pseudonyms such as [PERSON_3], the same
    in every file, and in the file names. OUT appears only when complete. The key and the audit go beside
    OUT, never into it nor into a project folder; keep them private.

    With --review a review file lists every decision with its context; mark each row keep, replace or
    generalise, then run again with --apply-review FILE (and the same IN, OUT, --roster, --keep, --key).
    """
    from rich.progress import Progress

    from .deidentify import DEFAULT_STYLE, apply_review, deidentify_folder
    from .deidentify.audit import PUBLIC_RULES, review_lines

    try:
        with Progress(transient=True, disable=not shows_progress()) as bar:
            task = bar.add_task("de-identifying", total=None)
            options = {
                "roster": roster,
                "keep": keep,
                "key_path": key_path,
                "audit_path": audit_path,
                "style": style or DEFAULT_STYLE,
                "pipeline": pipeline,
                "encoding": encoding,
                "review_path": True if review else None,
                "progress": lambda done, total: bar.update(task, completed=done, total=total),
            }
            if apply_review_file is not None:
                report = apply_review(in_dir, out_dir, apply_review_file, **options)
            else:
                report = deidentify_folder(in_dir, out_dir, **options)  # type: ignore[arg-type]
    except QcodeError as exc:
        fail(str(exc))
        return
    counts = ", ".join(f"{count} {kind.lower()}" for kind, count in sorted(report.summary().items())) or "nothing"
    verb = "rewrote" if apply_review_file is not None else "de-identified"
    click.echo(f"{verb} {len(report.files)} files into {out_dir}: replaced {counts}")
    public = sum(1 for item in report.kept() if item.rule in PUBLIC_RULES)
    click.echo(f"kept as public: {public} mentions; quasi-identifiers flagged for review: {len(report.quasi())}")
    click.echo(f"key (keep it private): {report.key_path}")
    if report.audit_path:
        click.echo(f"audit: {report.audit_path} ({report.residual_count} words and numbers left for review)")
    if report.review_path:
        click.echo(f"review file (keep it private; mark keep / replace / generalise): {report.review_path}")
    if review:
        lines = review_lines(report)
        click.echo(f"uncertain cases ({len(lines)}):" if lines else "no uncertain cases")
        for line in lines:
            click.echo(f"  {line}")
