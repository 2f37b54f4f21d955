"""Intercoder agreement on a project: which segments count, per-code tables, review and consensus.

Each coder's codings are their own: a person's codes plus the suggestions that person accepted. Nothing
here mixes coders unless asked (blind coding); statistics come from coding.agreement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from . import agreement
from .errors import UsageError
from .models import ACCEPTED, HUMAN, REJECTED

if TYPE_CHECKING:
    from .project import Project

CONSENSUS = "consensus"
UNIT_CHOICES = ("documents", "touched")


def decisions(project: Project) -> pd.DataFrame:
    """segment_id, code, coder of every accepted coding, with accepted suggestions under who accepted them."""
    return accepted(project.decisions()).drop_duplicates().reset_index(drop=True)


def accepted(decided: pd.DataFrame) -> pd.DataFrame:
    """segment_id, code, coder of the accepted rows of a Project.decisions() frame, each under its person
    (a person's own code and a suggestion they accepted can both be there: agreement counts them once)."""
    rows = decided.loc[decided["status"] == ACCEPTED, ["segment_id", "code", "person"]]
    return rows.rename(columns={"person": "coder"})


def coder_codings(project: Project, coders: Sequence[str], every: pd.DataFrame | None = None) -> pd.DataFrame:
    """The decisions of the chosen coders only (blind: nobody else's codes come along)."""
    every = decisions(project) if every is None else every
    return every[every["coder"].isin(list(coders))].reset_index(drop=True)


def counted_segments(
    project: Project,
    codings: pd.DataFrame,
    coders: Sequence[str],
    units: str,
    segments: pd.DataFrame | None = None,
) -> list[int]:
    """documents: every segment of documents that all coders coded; touched: segments any coder coded."""
    if units not in UNIT_CHOICES:
        raise UsageError(f"units must be one of {', '.join(UNIT_CHOICES)}")
    if units == "touched":
        return sorted(codings["segment_id"].unique().tolist())
    segments = (project.segments_frame() if segments is None else segments)[["segment_id", "document"]]
    document_of = segments.set_index("segment_id")["document"]
    documents = document_of.reindex(codings["segment_id"])
    who = pd.Index(list(coders)).get_indexer(codings["coder"])  # integers: string compares per coder are slow
    per_coder = [set(documents[who == position].dropna().unique()) for position in range(len(coders))]
    shared = set.intersection(*per_coder) if per_coder else set()
    return sorted(segments.loc[segments["document"].isin(shared), "segment_id"].tolist())


def _check_coders(every: pd.DataFrame, coders: Sequence[str]) -> None:
    if len(coders) < 2:
        raise UsageError("agreement needs at least two coders")
    known = set(every["coder"].dropna().unique())
    unknown = [c for c in coders if c not in known]
    if unknown:
        raise UsageError(
            f"unknown coder(s): {', '.join(unknown)} (coders in this project: {', '.join(sorted(known)) or 'none'})"
        )


def agreement_table(
    project: Project,
    coders: Sequence[str],
    units: str = "documents",
    every: pd.DataFrame | None = None,
    segments: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per code and pooled: n segments, positives per coder, % agreement, kappa, alpha, and notes.

    `every` (as from decisions()) and `segments` (as from Project.segments_frame()) may be passed by a caller
    that already holds them, such as the dashboard."""
    every = decisions(project) if every is None else every
    _check_coders(every, coders)
    codings = coder_codings(project, coders, every)
    counted = counted_segments(project, codings, coders, units, segments)
    if not counted:
        raise UsageError(f"the coders {', '.join(coders)} have no coded segments in common to compare")
    codes = [code.id for code in project.codebook.tree_order()]
    table = agreement.agreement_by_code(codings, counted, list(coders), codes)
    names = {code.id: code.name for code in project.codebook.codes}
    table.insert(1, "code_name", table["code"].map(names).fillna(table["code"]))
    return table


def publication_table(table: pd.DataFrame) -> pd.DataFrame:
    """Reader-facing columns, statistics rounded to three decimals, undefined values left blank."""
    renamed = {
        "code_name": "Code",
        "n_segments": "Segments (n)",
        "percent_agreement": "Agreement (%)",
        "cohen_kappa": "Cohen's kappa",
        "fleiss_kappa": "Fleiss' kappa",
        "krippendorff_alpha": "Krippendorff's alpha",
        "note": "Note",
    }
    view = table.drop(columns=["code"]).rename(columns=renamed)
    view = view.rename(columns={c: f"Positives ({c[10:]})" for c in view.columns if c.startswith("positives_")})
    if "Agreement (%)" in view:
        view["Agreement (%)"] = (view["Agreement (%)"].astype("Float64") * 100).round(1)
    for column in ("Cohen's kappa", "Fleiss' kappa", "Krippendorff's alpha"):
        if column in view:
            view[column] = view[column].astype("Float64").round(3)
    return view


def disagreement_list(
    project: Project,
    coder_a: str,
    coder_b: str,
    units: str = "documents",
    every: pd.DataFrame | None = None,
    segments: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Segments where two coders differ on a code, with both decisions, memos, text and any consensus.

    `every` and `segments` as in agreement_table."""
    every = decisions(project) if every is None else every
    _check_coders(every, [coder_a, coder_b])
    codings = coder_codings(project, [coder_a, coder_b], every)
    counted = counted_segments(project, codings, [coder_a, coder_b], units, segments)
    codes = [code.id for code in project.codebook.tree_order()]
    table = agreement.disagreements(codings, counted, [coder_a, coder_b], codes)
    if table.empty:
        return table
    memos = project.memos()
    for coder in (coder_a, coder_b):
        mine = memos[memos["coder"] == coder].set_index("segment_id")["memo"]
        table[f"memo_{coder}"] = table["segment_id"].map(mine).astype(object).fillna("")
    decided = _consensus_decisions(project)
    table["consensus"] = [decided.get((int(s), c), "") for s, c in zip(table["segment_id"], table["code"], strict=True)]
    quotes = project.quotes(table["segment_id"].unique().tolist())[["segment_id", "document", "respondent_id", "text"]]
    return table.merge(quotes, on="segment_id", how="left").sort_values(["document", "segment_id", "code"])


def _consensus_decisions(project: Project) -> dict[tuple[int, str], str]:
    frame = project.decisions()
    frame = frame[(frame["source"] == HUMAN) & (frame["person"] == CONSENSUS)]
    return {
        (int(s), c): ("applied" if status == ACCEPTED else "not applied")
        for s, c, status in zip(frame["segment_id"], frame["code"], frame["status"], strict=True)
    }


def resolve(project: Project, segment_id: int, code_id: str, applies: bool, actor: str) -> None:
    """Record the agreed decision for one segment and code as coder 'consensus'."""
    project._known_code(code_id)
    status = ACCEPTED if applies else REJECTED
    with project.store.transaction() as session:
        row = project.store.find_coding(session, segment_id, code_id, CONSENSUS)
        if row is None:
            project.store.add_human_codings(session, [(segment_id, code_id)], CONSENSUS, status=status)
        else:
            project.store.decide(session, row, status, CONSENSUS)
        project.store.log(session, actor, "consensus", f"segment {segment_id}", code=code_id, applies=applies)


def seed_consensus(project: Project, coder_a: str, coder_b: str, actor: str) -> int:
    """Copy what both coders agree is present into the consensus coder (disagreements stay open)."""
    codings = coder_codings(project, [coder_a, coder_b])
    both = codings.groupby(["segment_id", "code"])["coder"].nunique()
    agreed = [(int(s), str(c)) for (s, c), n in both.items() if n == 2]
    with project.store.transaction() as session:
        added = project.store.add_human_codings(session, agreed, CONSENSUS)
        project.store.log(session, actor, "seed_consensus", f"{coder_a} + {coder_b}", added=added)
    return added
