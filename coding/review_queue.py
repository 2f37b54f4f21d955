"""The disagreement review as a queue of decisions: one item per segment and top-level code family.

Two coders who differ on a code family usually differ on the parent and its children together (one applied
"External actors" and "Russia", the other neither). Listing each (segment, code) pair on its own makes the
reviewer decide the same question two or three times, so the queue collapses them: an item is a segment and
one top-level code with every disputed code of that family on it (`codes`, in codebook order). Each item
carries the respondent's turn and where the segment sits in it, so the sentence can be read in its place.

Deciding an item:
- applies (the item as a whole): every disputed code of the item applies (the fuller coding is right);
- does not apply: none of them applies.
Deciding one code of an item (for a mixed verdict), the codebook's hierarchy is kept consistent, since every
analysis rolls a child up into its parent:
- a child that applies makes its disputed ancestors in the item apply too;
- a parent that does not apply takes its disputed descendants in the item with it (they do not apply);
- a parent that applies leaves its children open, and a child that does not apply leaves its parent open.
An item is settled when every code in it has a consensus decision.

Pure functions over frames: the facade reads the disagreements, turns and texts; the store writes decisions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from .errors import UsageError
from .models import Codebook

ITEM_COLUMNS = [
    "item",  # "segment_id:family", stable across reruns and visits (the position is kept by it)
    "segment_id",
    "family",  # the top-level code of the family
    "codes",  # the disputed codes of the family on this segment, codebook order
    "applied_a",  # those of `codes` coder a applied
    "applied_b",
    "document",
    "respondent_id",
    "turn_index",
    "turn_text",  # the whole turn the segment is in
    "mark_start",  # the segment's place in turn_text
    "mark_end",
    "memo_a",
    "memo_b",
]

Decision = tuple[str, bool]  # (code, applies)


def family_of(codebook: Codebook, code: str) -> str:
    """The top-level code above `code` (the code itself when it has no parent)."""
    chain = codebook.ancestors(code)
    return chain[-1] if chain else code


def review_items(
    disagreements: pd.DataFrame,
    segments: pd.DataFrame,
    turns: pd.DataFrame,
    texts: Mapping[str, str],
    codebook: Codebook,
    coder_a: str,
    coder_b: str,
) -> pd.DataFrame:
    """One row per (segment, top-level code family) the two coders disagree on (ITEM_COLUMNS).

    disagreements: as from intercoder.disagreement_list (segment_id, code, one bool column per coder,
    memo_<coder>); segments: the segments frame (segment_id, document, respondent_id, turn_index, start,
    end); turns: document, turn_index, start, end of the turns those segments are in; texts: document texts.
    Items come in document order, then by the family's place in the codebook."""
    if disagreements.empty:
        return pd.DataFrame(columns=ITEM_COLUMNS)
    order = {code.id: position for position, code in enumerate(codebook.tree_order())}
    families = {code: family_of(codebook, code) for code in disagreements["code"].unique()}
    where = segments[["segment_id", "document", "respondent_id", "turn_index", "start", "end"]]
    spans = turns[["document", "turn_index", "start", "end"]].rename(columns={"start": "turn_start", "end": "turn_end"})
    where = where[where["segment_id"].isin(disagreements["segment_id"])]
    where = where.merge(spans, on=["document", "turn_index"], how="left")
    # Plain Python over columns: a few thousand rows, where pandas lookups per row cost a millisecond each.
    place = {
        int(row[0]): row[1:]
        for row in zip(
            where["segment_id"],
            where["document"],
            where["respondent_id"],
            where["turn_index"],
            where["start"],
            where["end"],
            where["turn_start"],
            where["turn_end"],
            strict=True,
        )
    }
    memo_a, memo_b = f"memo_{coder_a}", f"memo_{coder_b}"
    columns = [disagreements[c] if c in disagreements else [""] * len(disagreements) for c in (memo_a, memo_b)]
    rows: dict[tuple[int, str], dict[str, object]] = {}
    for segment, code, yes_a, yes_b, note_a, note_b in sorted(
        zip(
            disagreements["segment_id"].astype(int),
            disagreements["code"].astype(str),
            disagreements[coder_a].astype(bool),
            disagreements[coder_b].astype(bool),
            *columns,
            strict=True,
        ),
        key=lambda r: (r[0], order.get(r[1], len(order))),
    ):
        family = families[code]
        item = rows.get((segment, family))
        if item is None:
            document, respondent, turn_index, start, end, turn_start, turn_end = place[segment]
            text = texts[str(document)]
            # A segment outside any turn (should not happen) is shown alone.
            turn_start = int(turn_start) if pd.notna(turn_start) else int(start)
            turn_end = int(turn_end) if pd.notna(turn_end) else int(end)
            item = rows[(segment, family)] = {
                "item": f"{segment}:{family}",
                "segment_id": segment,
                "family": family,
                "codes": [],
                "applied_a": [],
                "applied_b": [],
                "document": str(document),
                "respondent_id": str(respondent),
                "turn_index": int(turn_index),
                "turn_text": text[turn_start:turn_end],
                "mark_start": int(start) - turn_start,
                "mark_end": int(end) - turn_start,
                "memo_a": str(note_a or ""),
                "memo_b": str(note_b or ""),
                "_start": int(start),
                "_rank": order.get(family, len(order)),
            }
        item["codes"].append(code)  # type: ignore[attr-defined]
        if yes_a:
            item["applied_a"].append(code)  # type: ignore[attr-defined]
        if yes_b:
            item["applied_b"].append(code)  # type: ignore[attr-defined]
    for item in rows.values():
        for column in ("codes", "applied_a", "applied_b"):
            item[column] = tuple(item[column])  # type: ignore[arg-type]
    items = pd.DataFrame(list(rows.values())).sort_values(["document", "_start", "_rank"], kind="stable")
    return items[ITEM_COLUMNS].reset_index(drop=True)


def settled_codes(item: Mapping[str, object], consensus: Mapping[tuple[int, str], str]) -> dict[str, str]:
    """The item's codes that have a consensus decision, with it ("applied" / "not applied")."""
    segment = int(item["segment_id"])  # type: ignore[call-overload]
    codes: Sequence[str] = item["codes"]  # type: ignore[assignment]
    return {code: consensus[(segment, code)] for code in codes if (segment, code) in consensus}


def open_mask(items: pd.DataFrame, consensus: Mapping[tuple[int, str], str]) -> pd.Series:
    """True for items with a code still without a consensus decision."""
    flags = [
        any((int(segment), code) not in consensus for code in codes)
        for segment, codes in zip(items["segment_id"], items["codes"], strict=True)
    ]
    return pd.Series(flags, index=items.index, dtype=bool)


def with_code(items: pd.DataFrame, codebook: Codebook, code: str | None) -> pd.DataFrame:
    """Items with `code` or one of its descendants among their disputed codes (all items for None)."""
    if not code:
        return items
    if code not in codebook.by_id():
        raise UsageError(f"unknown code {code!r}")
    wanted = {code} | {c.id for c in codebook.codes if code in codebook.ancestors(c.id)}
    return items[[bool(wanted.intersection(codes)) for codes in items["codes"]]]


def decide_item(codes: Sequence[str], applies: bool) -> list[Decision]:
    """The item as a whole: every disputed code applies, or none does."""
    return [(code, applies) for code in codes]


def decide_code(codes: Sequence[str], codebook: Codebook, code: str, applies: bool) -> list[Decision]:
    """One code of an item, with the item's codes the hierarchy settles with it (see the module doc)."""
    if code not in codes:
        raise UsageError(f"code {code!r} is not disputed in this item ({', '.join(codes)})")
    if applies:
        above = set(codebook.ancestors(code))
        return [(c, True) for c in codes if c == code or c in above]
    return [(c, False) for c in codes if c == code or code in codebook.ancestors(c)]


def position(keys: Sequence[str], wanted: str | None, fallback: int = 0) -> int:
    """Where to stand in `keys`: at `wanted` if it is there (a kept position), else at `fallback` clamped
    into the list (the item stood on was settled and left an open-only list: its successor took its place)."""
    if not keys:
        return 0
    if wanted is not None:
        for index, key in enumerate(keys):
            if key == wanted:
                return index
    return min(max(fallback, 0), len(keys) - 1)


def after(keys: Sequence[str], current: str) -> str | None:
    """The item to stand on once `current` is settled: the next one, or the one before at the end."""
    index = position(keys, current)
    if len(keys) <= 1:
        return None
    return keys[index + 1] if index + 1 < len(keys) else keys[index - 1]


def names(codes: Iterable[str], codebook: Codebook) -> str:
    """Codes as a reader sees them: "External actors › Russia, United States" for a family."""
    by_id = codebook.by_id()
    listed = list(codes)
    if not listed:
        return ""
    top = [c for c in listed if not any(p in listed for p in codebook.ancestors(c))]
    below = [c for c in listed if c not in top]
    head = ", ".join(by_id[c].name if c in by_id else c for c in top)
    tail = ", ".join(by_id[c].name if c in by_id else c for c in below)
    return f"{head} › {tail}" if tail else head
