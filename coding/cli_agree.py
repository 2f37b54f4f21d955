"""`qcode agree`: intercoder agreement per code and overall, on screen or written as a table."""

from __future__ import annotations

from pathlib import Path

import click

from .cli_output import handles_errors
from .cli_project import open_from, project_options


@click.command()
@click.argument("coders", nargs=-1, required=True)
@click.option(
    "--units",
    type=click.Choice(["documents", "touched"]),
    default="documents",
    show_default=True,
    help="documents: all segments of documents every coder coded; touched: segments any coder coded.",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the table (.csv or .xlsx).")
@project_options
@click.pass_context
@handles_errors
def agree(
    ctx: click.Context,
    coders: tuple[str, ...],
    units: str,
    out: Path | None,
    project_dir: Path | None,
    db: str | None,
) -> None:
    """Intercoder agreement per code and overall (CODER_A CODER_B [CODER_C ...])."""
    import pandas as pd
    from rich.console import Console
    from rich.table import Table

    from .intercoder import publication_table

    project = open_from(ctx, project_dir, db)
    table = publication_table(project.agree(list(coders), units))
    if out:
        from .tables import write_table

        write_table(table, out, header={"project": project.name, "coders": ", ".join(coders), "units": units})
        click.echo(f"wrote {out}")
        return
    view = Table(title=f"Agreement between {', '.join(coders)} ({units})")
    for column in table.columns:
        view.add_column(str(column), justify="left" if column in ("Code", "Note") else "right")
    for _, row in table.iterrows():
        view.add_row(*["" if pd.isna(v) else str(v) for v in row])
    Console(width=200).print(view)
