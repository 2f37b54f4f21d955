"""Intercoder agreement: which segments count, per-code tables, review and consensus.

Each coder's codings are their own: a person's codes plus the suggestions that person accepted. Nothing
here mixes coders unless asked (blind coding); statistics come from coding.agreement. The functions take
plain frames (a Project.decisions() frame, the segments frame) and the store for consensus writes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import pandas as pd

from . import agreement
from .errors import UsageError
from .models import ACCEPTED, CONSENSUS, HUMAN, REJECTED, Codebook
from .store import Action, Store, aggregate, presence
from .store import codings as stored_codings
from .store.log import write_log

UNIT_CHOICES = ("documents", "touched")
T = TypeVar("T")


def accepted(decided: pd.DataFrame) -> pd.DataFrame:
    """segment_id, code, coder of the accepted rows of a Project.decisions() frame, each under its person
    (a person's own code and a suggestion they accepted can both be there: agreement counts them once)."""
    rows = decided.loc[decided["status"] == ACCEPTED, ["segment_id", "code", "person"]]
    return rows.rename(columns={"person": "coder"})


def decisions(decided: pd.DataFrame) -> pd.DataFrame:
    """segment_id, code, coder of every accepted coding of a Project.decisions() frame, once each."""
    return accepted(decided).drop_duplicates().reset_index(drop=True)


def coder_codings(every: pd.DataFrame, coders: Sequence[str]) -> pd.DataFrame:
    """The decisions (as from decisions()) of the chosen coders only (blind: nobody else's codes come along)."""
    return every[every["coder"].isin(list(coders))].reset_index(drop=True)


def counted_segments(codings: pd.DataFrame, coders: Sequence[str], units: str, segments: pd.DataFrame) -> list[int]:
    """documents: every segment of documents that all coders coded; touched: segments any coder coded."""
    if units not in UNIT_CHOICES:
        raise UsageError(f"units must be one of {', '.join(UNIT_CHOICES)}")
    if units == "touched":
        return sorted(codings["segment_id"].unique().tolist())
    segments = segments[["segment_id", "document"]]
    document_of = segments.set_index("segment_id")["document"]
    documents = document_of.reindex(codings["segment_id"])
    who = pd.Index(list(coders)).get_indexer(codings["coder"])  # integers: string compares per coder are slow
    per_coder = [set(documents[who == position].dropna().unique()) for position in range(len(coders))]
    shared = set.intersection(*per_coder) if per_coder else set()
    return sorted(segments.loc[segments["document"].isin(shared), "segment_id"].tolist())


def _check_coders(every: pd.DataFrame, coders: Sequence[str]) -> None:
    _check_known(set(every["coder"].dropna().unique()), coders)


def _check_known(known: set[str], coders: Sequence[str]) -> None:
    if len(coders) < 2:
        raise UsageError("agreement needs at least two coders")
    if len(set(coders)) < len(coders):
        raise UsageError(f"each coder once: {', '.join(coders)} names one twice")
    unknown = [c for c in coders if c not in known]
    if unknown:
        raise UsageError(
            f"unknown coder(s): {', '.join(unknown)} (coders in this project: {', '.join(sorted(known)) or 'none'})"
        )


def agreement_table(
    every: pd.DataFrame, segments: pd.DataFrame, codebook: Codebook, coders: Sequence[str], units: str = "documents"
) -> pd.DataFrame:
    """Per code and pooled: n segments, positives per coder, % agreement, kappa, alpha, and notes.

    every: decisions() of the project; segments: its respondent segments (Project.segments_frame())."""
    _check_coders(every, coders)
    codings = coder_codings(every, coders)
    counted = counted_segments(codings, coders, units, segments)
    if not counted:
        raise UsageError(f"the coders {', '.join(coders)} have no coded segments in common to compare")
    codes = [code.id for code in codebook.tree_order()]
    table = agreement.agreement_by_code(codings, counted, list(coders), codes)
    return _with_names(table, codebook)


def _with_names(table: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    names = {code.id: code.name for code in codebook.codes}
    table.insert(1, "code_name", table["code"].map(names).fillna(table["code"]))
    return table


def counted_agreement_table(
    store: Store,
    unit: str,
    codebook: Codebook,
    coders: Sequence[str],
    units: str = "documents",
    cache: aggregate.CountsCache | None = None,
) -> pd.DataFrame:
    """agreement_table counted in the database: no decision is read into Python, only the number of
    segments per (code, set of coders who applied it). Same table as agreement_table over
    decisions(Project.decisions()) and Project.segments_frame(). The counts are made once for every coder of
    the project (presence.CoderPresence), so another choice of coders or units reads nothing again while the
    project is unchanged. cache: counts kept while nothing changes."""
    if units not in UNIT_CHOICES:
        raise UsageError(f"units must be one of {', '.join(UNIT_CHOICES)}")
    _check_known(set(coders), coders)  # two or more, each once
    codes = [code.id for code in codebook.tree_order()]
    with store.transaction() as session:

        def kept(key: tuple[object, ...], count: Callable[[], T], codec: aggregate.Codec[T]) -> T:
            return cache.kept(session, key, count, codec) if cache is not None else count()

        everyone = kept(("people with accepted codings",), lambda: presence.people(session), aggregate.NAMES)
        # More people than bits in a word: the chosen coders alone are counted (again for another choice).
        shared = len(everyone) <= presence.MAX_AGREEMENT_CODERS
        counted = everyone if shared else sorted(set(coders))
        # Keyed on the people counted too: on PostgreSQL each statement reads its own snapshot, so a person who
        # codes while the list is read must not be left out of counts kept under the newer state.
        key = ("coder presence", unit, *counted)
        table = kept(key, lambda: presence.count_coder_presence(session, unit, counted), presence.CODER_PRESENCE)
        known = table.with_codings()
        if any(coder not in known for coder in coders):  # the project's coders are listed in the message
            _check_known(set(known if shared else presence.agreement_coders(session, unit)), coders)
        found = table.for_coders(coders, codes, units)
    if not found.n_segments:
        raise UsageError(f"the coders {', '.join(coders)} have no coded segments in common to compare")
    rows = (found.codes, found.patterns, found.segments)
    return _with_names(agreement.agreement_from_counts(found.n_segments, list(coders), codes, rows), codebook)


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
    every: pd.DataFrame,
    segments: pd.DataFrame,
    codebook: Codebook,
    decided: pd.DataFrame,
    memos: pd.DataFrame,
    coder_a: str,
    coder_b: str,
    units: str = "documents",
) -> pd.DataFrame:
    """Segments where two coders differ on a code, with both decisions, memos and any consensus.

    every and segments as in agreement_table; decided: the Project.decisions() frame; memos: Project.memos().
    The caller adds each segment's text (the facade's quotes)."""
    _check_coders(every, [coder_a, coder_b])
    codings = coder_codings(every, [coder_a, coder_b])
    counted = counted_segments(codings, [coder_a, coder_b], units, segments)
    codes = [code.id for code in codebook.tree_order()]
    table = agreement.disagreements(codings, counted, [coder_a, coder_b], codes)
    if table.empty:
        return table
    for coder in (coder_a, coder_b):
        mine = memos[memos["coder"] == coder].set_index("segment_id")["memo"]
        table[f"memo_{coder}"] = table["segment_id"].map(mine).astype(object).fillna("")
    agreed = consensus_decisions(decided)
    table["consensus"] = [agreed.get((int(s), c), "") for s, c in zip(table["segment_id"], table["code"], strict=True)]
    return table


def consensus_decisions(decided: pd.DataFrame) -> dict[tuple[int, str], str]:
    """(segment, code) -> "applied" / "not applied" as recorded by the consensus coder."""
    frame = decided[(decided["source"] == HUMAN) & (decided["person"] == CONSENSUS)]
    return {
        (int(s), c): ("applied" if status == ACCEPTED else "not applied")
        for s, c, status in zip(frame["segment_id"], frame["code"], frame["status"], strict=True)
    }


def resolve(store: Store, segment_id: int, code_id: str, applies: bool, actor: str) -> None:
    """Record the agreed decision for one segment and (known) code as coder 'consensus'."""
    resolve_all(store, segment_id, [(code_id, applies)], actor)


def resolve_all(store: Store, segment_id: int, decisions: Sequence[tuple[str, bool]], actor: str) -> None:
    """Record several agreed decisions on one segment (a review item: a parent and its children) together:
    all of them or, if one fails, none."""
    with store.transaction(write=True) as session:
        for code_id, applies in decisions:
            status = ACCEPTED if applies else REJECTED
            row = stored_codings.find_coding(session, segment_id, code_id, CONSENSUS)
            if row is None:
                stored_codings.add_human_codings(session, [(segment_id, code_id)], CONSENSUS, status=status)
            else:
                stored_codings.decide(session, row, status, CONSENSUS)
            write_log(
                session, actor, Action.CONSENSUS, segment_id=segment_id, code_id=code_id, code=code_id, applies=applies
            )


def seed_consensus(store: Store, every: pd.DataFrame, coder_a: str, coder_b: str, actor: str) -> int:
    """Copy what both coders agree is present into the consensus coder (disagreements stay open)."""
    codings = coder_codings(every, [coder_a, coder_b])
    both = codings.groupby(["segment_id", "code"])["coder"].nunique()
    agreed = [(int(s), str(c)) for (s, c), n in both.items() if n == 2]
    with store.transaction(write=True) as session:
        added = stored_codings.add_human_codings(session, agreed, CONSENSUS)
        write_log(session, actor, Action.SEED_CONSENSUS, f"{coder_a} + {coder_b}", added=added)
    return added
