"""Scale benchmark: the steps a user runs, as processes, over 1,000 to 10,000+ real-length transcripts.

    .venv/bin/python bench/scale.py [--sizes 1000,5000,10000] [--backend sqlite|postgres --db URL]
                                    [--corpus corpus] [--autocode] [--repeat 3] [--keep DIR]

For each size the demo corpus (corpus/transcripts, or ../shared/eval-dev) is replicated to N transcripts
(new file names and respondent ids, text unchanged); every respondent turn is coded by coder `gold` (its
reference codes; a turn without any gets one code chosen from its position, so that every turn is coded) and
by coder `second` (the independent second coding; the same fill-in), written as the contract's codings CSV.
Then, each as its own process as a person runs it: `qcode init`, `ingest --metadata`, `segment`,
`import-codings` (gold, then second), optionally `autocode --rules`, `export codings`, and the agreement table
of the two coders in a process of its own. For each the wall time, the CPU time and the peak RSS of that
process (os.wait4) are printed.

Then, in one more process, the library warm (imported, project opened, one call made): the median of
`--repeat` calls of crosstab (segments and respondents), frequencies, co-occurrence and the agreement table
of the two coders. The floor is one process running the bare spaCy sentence pipeline over the same
respondent paragraphs (what `segment` must do anyway); ingest + segment is reported as a ratio against it.

PostgreSQL: `--backend postgres --db postgresql+psycopg://user@host/postgres` (a role that may CREATE
DATABASE): each size gets a fresh database, dropped afterwards.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SHARED = Path(os.environ.get("QCODE_SHARED", REPO.parent / "shared"))
TARGET_RSS_MB = 1024
TARGET_LATENCY_S = 1.0
TARGET_RATIO = 1.5

# The floor: one process, the segmentation pipeline over the respondent paragraphs, nothing else.
BARE_PROCESS = """
import json, sys
from coding.nlp import load_pipeline
texts = json.loads(open(sys.argv[1], encoding="utf-8").read())
nlp = load_pipeline(None, "segment")
for _ in nlp.pipe(texts, batch_size=256):
    pass
"""

# The warm library: imported, project opened, each call made once before timing.
LATENCY_PROCESS = """
import json, statistics, sys, time, warnings
warnings.simplefilter("ignore")
import coding
project = coding.open_project(sys.argv[1], db=sys.argv[2] or None)
repeat = int(sys.argv[3])
calls = {
    "crosstab segments": lambda: project.crosstab(by="group", count="segments"),
    "crosstab respondents": lambda: project.crosstab(by="group", count="respondents"),
    "frequencies": lambda: project.frequencies(),
    "co-occurrence": lambda: project.cooccurrence(),
    "agreement (2 coders)": lambda: project.agree(["gold", "second"]),
}
result = {}
for name, call in calls.items():
    call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    result[name] = [statistics.median(times), max(times)]
print(json.dumps(result))
"""


# Agreement alone in a fresh process (opened, one call): its CPU time and peak memory, not the warm latency.
AGREEMENT_PROCESS = """
import sys, warnings
warnings.simplefilter("ignore")
import coding
coding.open_project(sys.argv[1], db=sys.argv[2] or None).agree(["gold", "second"])
"""


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float


def source_corpus(chosen: Path | None) -> Path:
    """A folder with transcripts (*.txt, directly or in transcripts/), respondents.csv and gold.jsonl."""
    for folder in [chosen] if chosen else [REPO / "corpus", SHARED / "eval-dev"]:
        if folder is not None and (folder / "gold.jsonl").is_file():
            return folder
    raise SystemExit("no corpus with gold.jsonl found (give --corpus)")


def transcripts_of(corpus: Path) -> Path:
    return corpus / "transcripts" if (corpus / "transcripts").is_dir() else corpus


def turn_codes(path: Path) -> dict[str, dict[int, list[str]]]:
    codes: dict[str, dict[int, list[str]]] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                codes.setdefault(item["doc"], {})[int(item["turn"])] = list(item["codes"])
    return codes


def build_corpus(corpus: Path, out: Path, n: int, leaf_codes: list[str]) -> tuple[Path, Path, dict[str, Path]]:
    """n transcripts cycling through the corpus's, renamed; respondents.csv; one codings CSV per coder."""
    from coding.transcripts import read_transcript

    originals = sorted(transcripts_of(corpus).glob("*.txt"))
    with (corpus / "respondents.csv").open(encoding="utf-8", newline="") as handle:
        rows = {row["respondent_id"]: row for row in csv.DictReader(handle)}
    coders = {"gold": turn_codes(corpus / "gold.jsonl"), "second": turn_codes(corpus / "second_coder.jsonl")}
    coders = {name: codes for name, codes in coders.items() if codes}
    transcripts = out / "transcripts"
    transcripts.mkdir(parents=True)
    csvs = {name: out / f"{name}.csv" for name in coders}
    handles = {name: path.open("w", encoding="utf-8", newline="") for name, path in csvs.items()}
    writers = {name: csv.writer(handle) for name, handle in handles.items()}
    for writer in writers.values():
        writer.writerow(["document", "code", "start", "end"])
    attributes: list[dict[str, str]] = []
    width = len(str(n))
    try:
        for i in range(n):
            path = originals[i % len(originals)]
            old, new = path.stem, f"S{i:0{width}d}"
            text = path.read_text(encoding="utf-8")
            text = re.sub(rf"^respondent_id: {re.escape(old)}$", f"respondent_id: {new}", text, flags=re.M)
            text = re.sub(rf"^{re.escape(old)}:", f"{new}:", text, flags=re.M)
            target = transcripts / f"{new}.txt"
            target.write_text(text, encoding="utf-8")
            attributes.append({**rows.get(old, {"respondent_id": old}), "respondent_id": new})
            document = read_transcript(target)
            for name, codes in coders.items():
                for index, turn in enumerate(document.turns):
                    if turn.role != "respondent":
                        continue
                    chosen = codes.get(old, {}).get(index) or [
                        leaf_codes[zlib.crc32(f"{name}{new}{index}".encode()) % len(leaf_codes)]
                    ]
                    for code in chosen:
                        writers[name].writerow([new, code, turn.start, turn.end])
    finally:
        for handle in handles.values():
            handle.close()
    metadata = out / "respondents.csv"
    with metadata.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(attributes[0]))
        writer.writeheader()
        writer.writerows(attributes)
    return transcripts, metadata, csvs


def respondent_paragraphs(transcripts: Path) -> list[str]:
    """The text the segmenter reads: every paragraph of every respondent turn."""
    from coding.segment import coded_turns
    from coding.transcripts import find_transcripts, read_transcript

    texts: list[str] = []
    for path in find_transcripts([transcripts]):
        document = read_transcript(path)
        for turn in coded_turns(document):
            texts.extend(document.text[start:end] for start, end in turn.paragraphs or ((turn.start, turn.end),))
    return texts


def run(command: list[str], cwd: Path, capture: bool = False) -> tuple[Run, str]:
    """One process: its wall time, CPU time and peak RSS (from wait4, so only this process's); printed as
    soon as it ends, so that a long run shows where it stands."""
    measured, output = _run(command, cwd, capture)
    label = " ".join(part for part in command[2:5] if not part.startswith("/"))[:60]
    print(
        f"    ... {label}: {measured.wall:.1f} s, cpu {measured.cpu:.1f} s, peak {measured.rss_mb:.0f} MB", flush=True
    )
    return measured, output


def _run(command: list[str], cwd: Path, capture: bool) -> tuple[Run, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE if capture else subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    output = process.stdout.read().decode() if capture and process.stdout else ""
    error = process.stderr.read().decode() if process.stderr else ""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}): {error.strip()[-2000:]}")
    return Run(elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024), output


def fresh_postgres(server: str) -> tuple[str, object]:
    from sqlalchemy import create_engine, make_url, text

    name = f"qcode_scale_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    return make_url(server).set(database=name).render_as_string(hide_password=False), (admin, name)


def drop_postgres(handle: object) -> None:
    from sqlalchemy import text

    admin, name = handle  # type: ignore[misc]
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def measure(size: int, args: argparse.Namespace, corpus: Path, leaf_codes: list[str]) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix=f"qcode-scale-{size}-", dir=args.keep))
    qcode = [sys.executable, "-m", "coding"]
    db_handle = None
    try:
        transcripts, metadata, csvs = build_corpus(corpus, work, size, leaf_codes)
        paragraphs = respondent_paragraphs(transcripts)
        (work / "paragraphs.json").write_text(json.dumps(paragraphs), encoding="utf-8")
        words = sum(len(text.split()) for text in paragraphs)
        del paragraphs
        db = ""
        if args.backend == "postgres":
            db, db_handle = fresh_postgres(args.db)
        project = str(work / "project")
        on_db = ["--db", db] if db else []
        steps: dict[str, Run] = {}
        steps["floor: bare spaCy sentences"], _ = run([sys.executable, "-c", BARE_PROCESS, "paragraphs.json"], work)
        steps["init"], _ = run([*qcode, "init", project, *on_db], work)
        steps["ingest"], _ = run(
            [*qcode, "--project", project, *on_db, "ingest", str(transcripts), "--metadata", str(metadata)], work
        )
        jobs = ["--jobs", str(args.jobs)] if args.jobs else []
        steps["segment"], _ = run([*qcode, "--project", project, *on_db, "segment", *jobs], work)
        for coder, path in csvs.items():
            steps[f"import-codings {coder}"], _ = run(
                [*qcode, "--project", project, *on_db, "import-codings", str(path), "--coder", coder], work
            )
        if args.autocode:
            steps["autocode --rules"], _ = run(
                [*qcode, "--project", project, *on_db, "autocode", "--rules", *jobs], work
            )
        steps["export codings"], _ = run(
            [*qcode, "--project", project, *on_db, "export", "codings", str(work / "long.csv")], work
        )
        steps["agreement table (own process)"], _ = run([sys.executable, "-c", AGREEMENT_PROCESS, project, db], work)
        latency_run, output = run(
            [sys.executable, "-c", LATENCY_PROCESS, project, db, str(args.repeat)], work, capture=True
        )
        latency = json.loads(output.strip().splitlines()[-1])
        from sqlalchemy import create_engine, text

        url = db or f"sqlite:///{work / 'project' / 'qcode.sqlite'}"
        engine = create_engine(url)
        with engine.connect() as connection:
            counts = {
                table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("documents", "segments", "codings")
            }
        engine.dispose()
        return {
            "size": size,
            "words": words,
            "counts": counts,
            "steps": steps,
            "latency": latency,
            "latency_rss_mb": latency_run.rss_mb,
        }
    finally:
        if db_handle is not None:
            drop_postgres(db_handle)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def report(result: dict[str, object], previous: dict[str, object] | None) -> None:
    size, steps, latency = result["size"], result["steps"], result["latency"]
    assert isinstance(steps, dict) and isinstance(latency, dict)
    counts = result["counts"]
    print(
        f"\n{size:,} transcripts: {result['words']:,} respondent words, {counts['documents']:,} documents, "  # type: ignore[index]
        f"{counts['segments']:,} segments, {counts['codings']:,} codings"  # type: ignore[index]
    )
    print(f"  {'step':<30} {'wall s':>8} {'cpu s':>8} {'peak MB':>8} {'wall growth':>12}")
    for name, step in steps.items():
        growth = ""
        if previous is not None and name in previous["steps"]:  # type: ignore[operator]
            before = previous["steps"][name]  # type: ignore[index]
            growth = f"x{step.wall / before.wall:.2f}"
        flag = "  (over 1 GB)" if step.rss_mb > TARGET_RSS_MB else ""
        print(f"  {name:<30} {step.wall:8.2f} {step.cpu:8.2f} {step.rss_mb:8.0f} {growth:>12}{flag}")
    floor = steps["floor: bare spaCy sentences"]
    ours = steps["ingest"].wall + steps["segment"].wall
    ours_cpu = steps["ingest"].cpu + steps["segment"].cpu
    print(
        f"  ingest + segment / floor: wall {ours / floor.wall:.2f}, cpu {ours_cpu / floor.cpu:.2f} "
        f"(target <= {TARGET_RATIO})"
    )
    print(f"  warm library (median of calls, worst in brackets; process peak {result['latency_rss_mb']:.0f} MB):")
    for name, (median, worst) in latency.items():
        growth = ""
        if previous is not None:
            growth = f"  x{median / previous['latency'][name][0]:.2f}"  # type: ignore[index]
        flag = "" if median < TARGET_LATENCY_S else "  (over 1 s)"
        print(f"    {name:<24} {median:7.3f} s ({worst:.3f}){growth}{flag}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000", help="transcript counts, comma separated (default 1000)")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--db", default=os.environ.get("QCODE_TEST_POSTGRES", ""), help="PostgreSQL server URL")
    parser.add_argument("--corpus", type=Path, help="folder with transcripts, respondents.csv, gold.jsonl")
    parser.add_argument("--autocode", action="store_true", help="also time `autocode --rules` (slow: spaCy)")
    parser.add_argument("--jobs", type=int, default=0, help="pass --jobs N to segment and autocode")
    parser.add_argument("--repeat", type=int, default=3, help="timed calls of each warm-library query")
    parser.add_argument("--keep", help="make the work folders here and keep them")
    args = parser.parse_args(argv)
    if args.backend == "postgres" and not args.db:
        raise SystemExit("--backend postgres needs --db (or QCODE_TEST_POSTGRES): a server URL")
    corpus = source_corpus(args.corpus)
    from coding.codebook import load_codebook
    from coding.resources import default_codebook

    codebook = load_codebook(default_codebook())
    parents = {code.parent for code in codebook.codes}
    leaves = [code.id for code in codebook.codes if code.id not in parents]
    print(f"corpus {corpus}, backend {args.backend}, CPUs {os.cpu_count()}, load {os.getloadavg()[0]:.1f}")
    previous = None
    for size in [int(s) for s in args.sizes.split(",")]:
        result = measure(size, args, corpus, leaves)
        report(result, previous)
        previous = result
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
