"""Analysis speed (issue 13): search, words, matrices, co-occurrence and portraits on the 1,000-transcript project.

Run `python bench/analysis_speed.py [--folder DIR] [--repeat 3] [--lemma-documents 100]`. The project is the one
bench/app_speed.py builds (built here if the folder has none). Library figures time each function on frames
read once, as the dashboard holds them; the floor is one bare regular-expression scan over the same joined
text (`re.finditer` for a literal word), measured in the same run, and each search is also given as a ratio
to it. Pages run in Streamlit's AppTest on their own (first visit: the project's frames already read by an
earlier page; warm: the same view again). Each figure is the median of --repeat runs, worst in brackets.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# --checkout DIR measures another checkout (e.g. main before a change) with this script, on the same project.
if "--checkout" in sys.argv:
    REPO = Path(sys.argv[sys.argv.index("--checkout") + 1]).resolve()
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

VIEWS = REPO / "app" / "views"
WORD_FLOOR = "floor for words: one bare findall of \\w+ over the joined text"
PAGES = [
    ("Search: a word", "search.py", {"search_query": "people"}),
    ("Search: a phrase", "search.py", {"search_query": "the war"}),
    ("Words (by group, keyness)", "words.py", {}),
    ("Matrices: group x gender", "matrices.py", {}),
    ("Matrices: code x respondent", "matrices.py", {"mx_kind": "Code x respondent"}),
    ("Code relations: within 2", "relations.py", {"rel_scope": "window", "rel_window": 2}),
    ("Document portrait", "portrait.py", {}),
]


def timed(call: Callable[[], object], repeat: int) -> list[float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        runs.append(time.perf_counter() - start)
    return runs


def library(project_dir: Path, repeat: int, lemma_documents: int) -> tuple[dict[str, list[float]], dict[str, int]]:
    from coding import analysis, cooccurrence, portrait, search, words
    from coding.models import RESPONDENT
    from coding.nlp import load_pipeline
    from coding.project import open_project

    project = open_project(project_dir)
    codings = project.codings("human")
    segments, respondents, book = project.segments_frame(), project.respondents(), project.codebook
    texts = project.store.document_texts()
    corpus = search.build_corpus(segments, texts)
    pairs = analysis.rolled_up(codings, book)
    figures: dict[str, list[float]] = {}
    floor = re.compile(r"people")
    figures["floor: bare regex scan of the joined text"] = timed(
        lambda: sum(1 for _ in floor.finditer(corpus.text)), repeat
    )
    figures["read the texts and join the respondent turns (once per segmentation)"] = timed(
        lambda: search.build_corpus(segments, project.store.document_texts()), repeat
    )
    for label, query, mode in [
        ("search: a word", "people", "text"),
        ("search: a phrase", "the war", "text"),
        ("search: a wildcard", "negotiat*", "text"),
        ("search: a regular expression", r"\b(19|20)\d\d\b", "regex"),
    ]:
        figures[label] = timed(lambda q=query, m=mode: search.search(corpus, q, m), repeat)
    coded = search.coded_segments(codings, book, ["external_actors"])
    figures["search: a word inside one code's segments"] = timed(
        lambda: search.search(corpus, "people", "text", segment_ids=coded), repeat
    )
    nlp = load_pipeline(None, "lemma")
    turns = project.store.turns_frame()
    turns = turns[turns["role"] == RESPONDENT]
    some = dict(list(texts.items())[:lemma_documents])
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        search.LemmaCache(Path(folder) / "lemmas.npz").update(some, turns, nlp, "bench")
        figures[f"lemma index: {lemma_documents} transcripts, computed once and stored"] = [time.perf_counter() - start]
        figures[f"lemma index: read back ({lemma_documents} transcripts)"] = timed(
            lambda: search.LemmaCache(Path(folder) / "lemmas.npz").load(), repeat
        )
        index, _ = search.LemmaCache(Path(folder) / "lemmas.npz").load()
    # The lemma search over the whole corpus: the sample index repeated to the corpus's size.
    scale = max(1, round(len(texts) / max(1, len(some))))
    big = index.iloc[list(range(len(index))) * scale].reset_index(drop=True) if scale > 1 else index
    figures[f"search: a lemma ({len(big):,} index tokens)"] = timed(
        lambda: search.search(corpus, "talk", "lemma", lemmas=big, lemmatize=lambda q: [q]), repeat
    )
    tokens = re.compile(r"\w+")
    figures["floor for words: one bare findall of \\w+ over the joined text"] = timed(
        lambda: len(tokens.findall(corpus.text)), repeat
    )
    figures["word counts by group (one scan of the text: words.word_counts)"] = timed(
        lambda: words.word_counts(corpus, respondents, "group"), repeat
    )
    if hasattr(words, "load_word_index"):  # not in a checkout (--checkout) from before the word index
        with tempfile.TemporaryDirectory() as folder:
            kept = Path(folder) / "words.npz"
            figures["word index: built and stored (once per segmentation)"] = timed(
                lambda: (kept.unlink(missing_ok=True), words.load_word_index(corpus, kept)), repeat
            )
            figures["word index: read back from its file"] = timed(lambda: words.load_word_index(corpus, kept), repeat)
        index = words.word_index(corpus)
        figures["word counts by group from the index"] = timed(
            lambda: words.counts_from_index(index, respondents, "group"), repeat
        )
    counts = words.word_counts(corpus, respondents, "group")
    group = str(counts.columns[0])
    figures["keyness: one group against the rest"] = timed(lambda: words.keyness(counts, group), repeat)
    by = ["group", "gender"]
    figures["crosstab: group x gender"] = timed(
        lambda: analysis.crosstab_by(pairs, segments, respondents, book, by, "respondents", rolled=True), repeat
    )
    figures["code x respondent"] = timed(
        lambda: analysis.case_matrix(pairs, segments, respondents, book, "group", rolled=True), repeat
    )
    for scope, window in [("unit", 0), ("turn", 0), ("window", 2)]:
        figures[f"co-occurrence: {cooccurrence.describe(scope, window)}"] = timed(
            lambda s=scope, w=window: cooccurrence.cooccurrence_matrix(pairs, segments, book, s, w, rolled=True), repeat
        )
    figures["co-occurrence profile by group (within 2)"] = timed(
        lambda: cooccurrence.profile(
            pairs, segments, respondents, book, "external_actors", "group", "window", 2, rolled=True
        ),
        repeat,
    )
    document = str(segments["document"].iloc[0])
    figures["document portrait"] = timed(
        lambda: portrait.portrait(pairs, segments, book, document, rolled=True), repeat
    )
    sizes = {
        "transcripts": len(texts),
        "respondent turns": len(corpus.turns),
        "characters searched": len(corpus.text),
        "segments": len(segments),
        "codings": len(codings),
    }
    return figures, sizes


def pages(project_dir: Path, repeat: int) -> dict[str, dict[str, list[float]]]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["QCODE_PROJECT"] = str(project_dir)
    figures: dict[str, dict[str, list[float]]] = {}
    cpu_seconds: list[float] = []  # of every run, in order (the script runs in a thread of this process)

    def session(page: str, state: dict[str, object]) -> AppTest:
        at = AppTest.from_file(str(VIEWS / page), default_timeout=300)
        at.session_state["coder"] = "bench"
        for name, value in state.items():
            at.session_state[name] = value
        return at

    def run(at: AppTest) -> float:
        start, cpu = time.perf_counter(), time.process_time()
        at.run()
        seconds = time.perf_counter() - start
        cpu_seconds.append(time.process_time() - cpu)
        if at.exception:
            raise RuntimeError(f"page failed: {at.exception[0].message}")
        return seconds

    # Server start and an earlier page: imports, the project's frames, spaCy's stop words (timed apart).
    run(session("portrait.py", {}))
    from coding import words

    start = time.perf_counter()
    words.stop_words()
    figures["(once per server process) spaCy's stop words: import spaCy, a blank English pipeline"] = {
        "first visit": [time.perf_counter() - start],
        "first visit CPU": [0.0],
        "warm": [0.0],
    }
    from qcode_app import analysis_data

    # Another checkout (--checkout, to compare with the code before a change) may keep no word index.
    kept_index = getattr(analysis_data, "_word_index", None)
    # Words on a project never counted before: the word index is built and stored (then kept per segmentation).
    (project_dir / ".qcode" / "words.npz").unlink(missing_ok=True)
    st.cache_data.clear()
    if kept_index is not None:
        kept_index.clear()
    at = session("words.py", {})
    first = run(at)
    figures["Words, first visit ever (word index built and stored)"] = {
        "first visit": [first],
        "first visit CPU": [cpu_seconds[-1]],
        "warm": [run(at)],
    }
    for _ in range(repeat):
        for label, page, state in PAGES:
            st.cache_data.clear()  # this page's own tables, not the frames (held in cache_resource)
            # The word index too, as in a new server process: read back from its file.
            if kept_index is not None:
                kept_index.clear()
            at = session(page, state)
            first = run(at)
            first_cpu = cpu_seconds[-1]
            warm = run(at)  # the same view again in the same session, as after any click
            found = figures.setdefault(label, {"first visit": [], "first visit CPU": [], "warm": []})
            found["first visit"].append(first)
            found["first visit CPU"].append(first_cpu)
            found["warm"].append(warm)
    return figures


def cell(runs: list[float]) -> str:
    return f"{statistics.median(runs):.2f} ({max(runs):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transcripts", type=int, default=1000)
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "qcode-bench-app")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lemma-documents", type=int, default=100)
    parser.add_argument("--no-pages", action="store_true")
    parser.add_argument("--pages-only", action="store_true")
    parser.add_argument("--checkout", type=Path, default=None, help="measure this checkout's code instead")
    args = parser.parse_args()
    import app_speed

    project_dir = app_speed.build_project(args.folder, args.transcripts)
    if not args.pages_only:
        figures, sizes = library(project_dir, args.repeat, args.lemma_documents)
        floor = statistics.median(figures["floor: bare regex scan of the joined text"])
        print(", ".join(f"{v:,} {k}" for k, v in sizes.items()))
        print()
        print("| library call | seconds | x floor |")
        print("|---|---:|---:|")
        for label, runs in figures.items():
            base = statistics.median(figures[WORD_FLOOR]) if label.startswith("word counts") else floor
            ratio = (
                statistics.median(runs) / base
                if label.startswith(("search", "word counts by group (one scan"))
                else None
            )
            print(f"| {label} | {cell(runs)} | {'' if ratio is None else f'{ratio:.1f}'} |")
    if not args.no_pages:
        print()
        print("| page | first visit (s) | first visit, CPU (s) | warm (s) |")
        print("|---|---:|---:|---:|")
        for label, runs in pages(project_dir, args.repeat).items():
            print(f"| {label} | {cell(runs['first visit'])} | {cell(runs['first visit CPU'])} | {cell(runs['warm'])} |")


if __name__ == "__main__":
    main()
