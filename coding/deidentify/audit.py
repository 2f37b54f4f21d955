"""The audit: what was replaced and by which detector, and what nothing claimed (residual risk).

The audit quotes originals, so it is as sensitive as the key: it is written beside the key with
owner-only permissions, never into the de-identified folder.
"""

from __future__ import annotations

import bisect
import csv
import io
import re
from pathlib import Path

from ..transcripts import LABEL_RE
from .detectors import STOP_WORDS, WORD_RE, is_unknown, starts_sentence
from .keep_list import HONORIFICS, PUBLIC_INSTITUTION_WORDS, KeepList
from .model import DeidReport, Residual
from .pseudonyms import write_private
from .words import is_contraction

NUMBER_RE = re.compile(r"(?<![\w\[])\d[\d.,:/\-]*")
YEAR_RE = re.compile(r"(?:19|20)\d\d(?:s)?")
COLUMNS = (
    "file",
    "action",
    "part",
    "start",
    "end",
    "out_start",
    "out_end",
    "original",
    "replacement",
    "kind",
    "detector",
    "confidence",
    "note",
)


def residuals(
    file: str, text: str, protected: list[tuple[int, int]], keep: KeepList, lex: frozenset[str]
) -> list[Residual]:
    """Capitalised words and numbers left in an output text that no detector replaced.

    Skipped: pseudonyms (protected spans), public names, stop words, and ordinary English words at the
    start of a sentence. Years (1990, 2000s) are not listed: dates are kept unless they are private.
    """
    found: list[Residual] = []
    labels = [(m.start("label"), m.end("label")) for m in LABEL_RE.finditer(text)]
    spans = sorted(protected + labels)
    words = list(WORD_RE.finditer(text))
    for index, match in enumerate(words):
        word = re.sub(r"['\u2019]s$", "", match.group())
        if not word[:1].isupper() or _inside(match.start(), spans) or len(word) < 2:
            continue
        folded = word.casefold()
        if folded in STOP_WORDS or folded in HONORIFICS or folded in PUBLIC_INSTITUTION_WORDS or is_contraction(word):
            continue
        if keep.is_public(word) or keep.is_common_word(word) or _in_public_phrase(words, index, keep):
            continue
        known = not is_unknown(word, lex)
        if known and starts_sentence(text, match.start()):
            continue
        reason = "capitalised word, unknown to the pipeline" if not known else "capitalised word"
        found.append(Residual(file, match.start(), match.start() + len(word), word, reason))
    for match in NUMBER_RE.finditer(text):
        number = match.group().rstrip(".,:/-")
        if _inside(match.start(), spans) or YEAR_RE.fullmatch(number):
            continue
        found.append(Residual(file, match.start(), match.start() + len(number), number, "number"))
    found.sort(key=lambda r: r.start)
    return found


def _in_public_phrase(words: list[re.Match[str]], index: int, keep: KeepList) -> bool:
    """'Inter-Tajik' in 'Inter-Tajik Dialogue', 'Aga' in 'Aga Khan Foundation'."""
    for start in range(max(0, index - 3), index + 1):
        for stop in range(index + 1, min(len(words), start + 4) + 1):
            if stop - start > 1 and keep.is_public(" ".join(w.group() for w in words[start:stop])):
                return True
    return False


def _inside(offset: int, spans: list[tuple[int, int]]) -> bool:
    """Whether offset falls in one of the sorted, non-overlapping spans."""
    index = bisect.bisect_right(spans, (offset, float("inf"))) - 1
    return index >= 0 and spans[index][0] <= offset < spans[index][1]


def audit_rows(report: DeidReport) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for file_report in report.files:
        for rep in file_report.replacements:
            rows.append(
                {
                    "file": rep.file,
                    "action": "replaced",
                    "part": rep.part,
                    "start": rep.start,
                    "end": rep.end,
                    "out_start": rep.out_start,
                    "out_end": rep.out_end,
                    "original": rep.original,
                    "replacement": rep.pseudonym,
                    "kind": rep.kind,
                    "detector": rep.detector,
                    "confidence": f"{rep.confidence:.2f}",
                    "note": "" if rep.confidence >= 0.9 else "review",
                }
            )
        for kept in file_report.kept:
            rows.append(
                {
                    "file": kept.file,
                    "action": "kept",
                    "part": "body",
                    "start": kept.start,
                    "end": kept.end,
                    "out_start": "",
                    "out_end": "",
                    "original": kept.text,
                    "replacement": "",
                    "kind": "",
                    "detector": kept.rule,
                    "confidence": "",
                    "note": "kept as public" if kept.rule in PUBLIC_RULES else "not a name",
                }
            )
        for quasi in file_report.quasi:
            rows.append(
                {
                    "file": quasi.file,
                    "action": "flagged",
                    "part": "body",
                    "start": quasi.start,
                    "end": quasi.end,
                    "out_start": "",
                    "out_end": "",
                    "original": quasi.text,
                    "replacement": quasi.proposal,
                    "kind": quasi.kind,
                    "detector": quasi.rule,
                    "confidence": "",
                    "note": "quasi-identifier: review",
                }
            )
        for res in file_report.residuals:
            rows.append(
                {
                    "file": res.file,
                    "action": "unclaimed",
                    "part": "body",
                    "start": "",
                    "end": "",
                    "out_start": res.start,
                    "out_end": res.end,
                    "original": res.text,
                    "replacement": "",
                    "kind": "",
                    "detector": "",
                    "confidence": "",
                    "note": res.reason,
                }
            )
    return rows


def write_audit(path: Path, report: DeidReport) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(audit_rows(report))
    write_private(path, buffer.getvalue())


# Rules that keep a name because it is public (the others keep a word because it is not a name).
PUBLIC_RULES = frozenset({"public-office", "keep-file", "keep-list", "gazetteer", "international-or-political"})


def review_lines(report: DeidReport, limit: int = 400) -> list[str]:
    """One line per uncertain case, grouped by text: guesses, quasi-identifiers, names kept as public
    (people with a public office first), then unclaimed words. The review file holds them all."""
    # the console may be logged: files are named as in OUT (de-identified), never as in IN
    shown_as = {f.source.name: f.output.name for f in report.files}
    lines: list[str] = []
    guesses: dict[tuple[str, str, str], int] = {}
    unclaimed: dict[tuple[str, str], list[str]] = {}
    for file_report in report.files:
        for rep in file_report.replacements:
            if rep.confidence < 0.9:
                key = (rep.original, rep.pseudonym, rep.detector)
                guesses[key] = guesses.get(key, 0) + 1
        for res in file_report.residuals:
            if res.reason != "number":
                unclaimed.setdefault((res.text, res.reason), []).append(shown_as.get(res.file, res.file))
    for (original, pseudonym, detector), count in sorted(guesses.items()):
        lines.append(f"replaced (guess, {detector}): {original!r} -> {pseudonym} x{count}")
    for quasi in report.quasi():
        where = shown_as.get(quasi.file, quasi.file)
        lines.append(f"quasi-identifier ({quasi.kind}, {quasi.rule}): {quasi.text!r} in {where} -> {quasi.proposal}")
    public: dict[tuple[str, str], int] = {}
    for item in report.kept():
        if item.rule in PUBLIC_RULES:
            public[(item.text, item.rule)] = public.get((item.text, item.rule), 0) + 1
    order = ("public-office", "international-or-political", "gazetteer", "keep-file", "keep-list")
    for (text, rule), count in sorted(public.items(), key=lambda kv: (order.index(kv[0][1]), kv[0])):
        lines.append(f"kept as public ({rule}): {text!r} x{count}")
    for (text, reason), files in sorted(unclaimed.items()):
        shown = ", ".join(sorted(set(files))[:5])
        lines.append(f"left in place ({reason}): {text!r} in {shown}")
    if len(lines) > limit:
        return [*lines[: limit - 1], f"... and {len(lines) - limit + 1} more: see the review file"]
    return lines
