"""Tables for publication: columns named for readers, provenance stated, ready for a paper's appendix."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from . import analysis
from .store import SEGMENT_COLUMNS
from .tables import write_table

if TYPE_CHECKING:
    from .project import Project


def provenance(project: Project, source: str, coders: Sequence[str] | None) -> dict[str, str]:
    codebook = project.codebook
    return {
        "project": project.name,
        "codebook": f"{codebook.name} version {codebook.version} ({project.codebook_version()})",
        "coding unit": project.unit,
        "coders": ", ".join(coders) if coders else "all coders",
        "codings counted": {
            "human": "human codings and accepted suggestions",
            "auto": "rule and model suggestions",
            "all": "all codings except rejected suggestions",
        }[source],
    }


def crosstab_table(project: Project, by: str, count: str, source: str, coders: Sequence[str] | None) -> pd.DataFrame:
    """Counts with column percentages side by side, and n per column as the last row."""
    counts = project.crosstab(by=by, count=count, percent="none", source=source, coders=coders)
    percents = project.crosstab(by=by, count=count, percent="column", source=source, coders=coders)
    values = [c for c in counts.columns if c not in ("name", "level")]
    table = pd.DataFrame(
        {"Code": ["  " * int(level) + name for name, level in zip(counts["name"], counts["level"], strict=True)]}
    )
    for value in values:
        table[f"{value} (n)"] = counts[value].to_numpy()
        table[f"{value} (%)"] = percents[value].to_numpy()
    bases = project.column_bases(by, count)
    footer = {"Code": f"n ({count})"} | {f"{v} (n)": int(bases.get(v, 0)) for v in values}
    return pd.concat([table, pd.DataFrame([footer])], ignore_index=True)


def frequency_table(project: Project, by: str, source: str, coders: Sequence[str] | None) -> pd.DataFrame:
    """Per code: segments, respondents, % of all respondents, and % of respondents in each group."""
    freq = project.frequencies(source=source, coders=coders)
    per_group = project.crosstab(by=by, count="respondents", percent="column", source=source, coders=coders)
    table = pd.DataFrame(
        {
            "Code": ["  " * int(level) + name for name, level in zip(freq["name"], freq["level"], strict=True)],
            "Segments": freq["segments"].to_numpy(),
            "Respondents": freq["respondents"].to_numpy(),
            "% of respondents": freq["% of respondents"].to_numpy(),
        }
    )
    for value in [c for c in per_group.columns if c not in ("name", "level", analysis.TOTAL)]:
        table[f"% of {value} respondents"] = per_group[value].to_numpy()
    return table


def codebook_table(project: Project) -> pd.DataFrame:
    codebook = project.codebook
    freq = project.frequencies()
    return pd.DataFrame(
        [
            {
                "ID": code.id,
                "Code": code.name,
                "Parent": codebook.by_id()[code.parent].name if code.parent in codebook.by_id() else "",
                "Definition": code.definition,
                "Include when": code.include,
                "Exclude when": code.exclude,
                "Example": code.examples[0] if code.examples else "",
                "Segments coded": int(freq.loc[code.id, "segments"]) if code.id in freq.index else 0,
            }
            for code in codebook.tree_order()
        ]
    )


def quotes_by_code(project: Project, source: str, coders: Sequence[str] | None) -> dict[str, pd.DataFrame]:
    """For each code, its quotes with respondent pseudonym and attributes, by document and position."""
    codings = analysis.rolled_up(project.codings(source, coders), project.codebook)
    quotes = project.quotes(codings["segment_id"].unique().tolist())
    attributes = [c for c in quotes.columns if c not in (*SEGMENT_COLUMNS, "text")]
    result = {}
    for code in project.codebook.tree_order():
        ids = set(codings.loc[codings["code"] == code.id, "segment_id"])
        rows = quotes[quotes["segment_id"].isin(ids)].sort_values(["document", "start"])
        table = rows[["respondent_id", *attributes, "document", "start", "end", "text"]].rename(
            columns={
                "respondent_id": "Respondent",
                "document": "Transcript",
                "start": "Start",
                "end": "End",
                "text": "Quote",
            }
        )
        result[code.id] = table.reset_index(drop=True)
    return result


def write_quotes(project: Project, out: Path, source: str, coders: Sequence[str] | None) -> int:
    """One CSV per code in folder `out`, or one sheet per code when `out` ends in .xlsx."""
    tables = quotes_by_code(project, source, coders)
    about = provenance(project, source, coders)
    if out.suffix.lower() == ".xlsx":
        with pd.ExcelWriter(out) as writer:
            from .tables import safe_frame

            pd.DataFrame(list(about.items()), columns=["", ""]).to_excel(writer, sheet_name="About", index=False)
            for code_id, table in tables.items():
                safe_frame(table).to_excel(writer, sheet_name=code_id[-31:], index=False)
        return sum(len(t) for t in tables.values())
    out.mkdir(parents=True, exist_ok=True)
    for code_id, table in tables.items():
        write_table(table, out / f"{code_id}.csv", header={**about, "code": code_id})
    return sum(len(t) for t in tables.values())
