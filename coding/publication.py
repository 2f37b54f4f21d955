"""Tables for publication: columns named for readers, provenance stated, ready for a paper's appendix.

Pure: every function takes the frames the facade computed (crosstabs, frequencies, quotes) and plain facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from . import analysis
from .models import Codebook
from .store import SEGMENT_COLUMNS
from .tables import safe_frame, write_table

COUNTED = {
    "human": "human codings and accepted suggestions",
    "auto": "rule and model suggestions",
    "all": "all codings except rejected suggestions",
}


def provenance(
    name: str, codebook: Codebook, codebook_hash: str, unit: str, source: str, coders: Sequence[str] | None
) -> dict[str, str]:
    """What a table was made from: project, codebook version, coding unit, coders, which codings."""
    return {
        "project": name,
        "codebook": f"{codebook.name} version {codebook.version} ({codebook_hash})",
        "coding unit": unit,
        "coders": ", ".join(coders) if coders else "all coders",
        "codings counted": COUNTED[source],
    }


def crosstab_table(counts: pd.DataFrame, percents: pd.DataFrame, bases: pd.Series, count: str) -> pd.DataFrame:
    """Counts with column percentages side by side, and n per column (`bases`) as the last row."""
    values = [c for c in counts.columns if c not in ("name", "level")]
    table = pd.DataFrame({"Code": _indented(counts)})
    for value in values:
        table[f"{value} (n)"] = counts[value].to_numpy()
        table[f"{value} (%)"] = percents[value].to_numpy()
    footer = {"Code": f"n ({count})"} | {f"{v} (n)": int(bases.get(v, 0)) for v in values}
    return pd.concat([table, pd.DataFrame([footer])], ignore_index=True)


def frequency_table(freq: pd.DataFrame, per_group: pd.DataFrame) -> pd.DataFrame:
    """Per code: segments, respondents, % of all respondents (`freq`), and % of respondents in each group
    (`per_group`, a crosstab of respondents with column percentages)."""
    table = pd.DataFrame(
        {
            "Code": _indented(freq),
            "Segments": freq["segments"].to_numpy(),
            "Respondents": freq["respondents"].to_numpy(),
            "% of respondents": freq["% of respondents"].to_numpy(),
        }
    )
    for value in [c for c in per_group.columns if c not in ("name", "level", analysis.TOTAL)]:
        table[f"% of {value} respondents"] = per_group[value].to_numpy()
    return table


def codebook_table(codebook: Codebook, freq: pd.DataFrame) -> pd.DataFrame:
    """The codebook for an appendix, with how many segments each code has (`freq`: frequencies by code id)."""
    by_id = codebook.by_id()
    return pd.DataFrame(
        [
            {
                "ID": code.id,
                "Code": code.name,
                "Parent": by_id[code.parent].name if code.parent in by_id else "",
                "Definition": code.definition,
                "Include when": code.include,
                "Exclude when": code.exclude,
                "Example": code.examples[0] if code.examples else "",
                "Segments coded": int(freq.loc[code.id, "segments"]) if code.id in freq.index else 0,
            }
            for code in codebook.tree_order()
        ]
    )


def quotes_by_code(rolled: pd.DataFrame, quotes: pd.DataFrame, codebook: Codebook) -> dict[str, pd.DataFrame]:
    """For each code, its quotes with respondent pseudonym and attributes, by document and position.

    rolled: codings rolled up the code tree (analysis.rolled_up); quotes: Project.quotes() of their segments."""
    attributes = [c for c in quotes.columns if c not in (*SEGMENT_COLUMNS, "text")]
    result = {}
    for code in codebook.tree_order():
        ids = set(rolled.loc[rolled["code"] == code.id, "segment_id"])
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


def write_quotes(tables: dict[str, pd.DataFrame], about: dict[str, str], out: Path) -> int:
    """One CSV per code in folder `out`, or one sheet per code when `out` ends in .xlsx; returns the quotes."""
    if out.suffix.lower() == ".xlsx":
        with pd.ExcelWriter(out) as writer:
            about_sheet = pd.DataFrame(list(about.items()), columns=["field", "value"])
            safe_frame(about_sheet).to_excel(writer, sheet_name="About", index=False)  # names may start "="
            for sheet, table in zip(_sheet_names(list(tables)), tables.values(), strict=True):
                safe_frame(table).to_excel(writer, sheet_name=sheet, index=False)
        return sum(len(t) for t in tables.values())
    out.mkdir(parents=True, exist_ok=True)
    for code_id, table in tables.items():
        write_table(table, out / f"{code_id}.csv", header={**about, "code": code_id})
    return sum(len(t) for t in tables.values())


def _sheet_names(code_ids: list[str]) -> list[str]:
    """One distinct sheet name per code within Excel's 31 characters (and never "About")."""
    taken: set[str] = {"about"}
    names = []
    for code_id in code_ids:
        name, n = code_id[-31:], 1
        while name.casefold() in taken:
            n += 1
            suffix = f"~{n}"
            name = code_id[-(31 - len(suffix)) :] + suffix
        taken.add(name.casefold())
        names.append(name)
    return names


def _indented(frame: pd.DataFrame) -> list[str]:
    """Code names indented by their level in the tree."""
    return ["  " * int(level) + name for name, level in zip(frame["name"], frame["level"], strict=True)]
