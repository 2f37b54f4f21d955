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

The dashboard (`render`): `qcode app` served, headless Chromium opens it, and the time until Themes shows its
heading and heatmap with Streamlit done is taken for the first visit after the server started and for later
visits in fresh tabs; the demo project (`qcode demo`, 36 transcripts) is served and opened the same way in the
same run as the floor, so that a size's figure reads as a ratio against the demo's on the same machine.

PostgreSQL: `--backend postgres --db postgresql+psycopg://user@host/postgres` (a role that may CREATE
DATABASE): each size gets a fresh database named after the size and the --work folder, dropped afterwards
with --drop or when no --work folder is given.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SHARED = Path(os.environ.get("QCODE_SHARED", REPO.parent / "shared"))
TARGET_RSS_MB = 1024
TARGET_LATENCY_S = 1.0
TARGET_RATIO = 1.5
TARGET_RENDER_S = 3.0

# The floor: one process, the segmentation pipeline over the respondent paragraphs, nothing else.
BARE_PROCESS = """
import json, sys
from coding.nlp import load_pipeline
texts = json.loads(open(sys.argv[1], encoding="utf-8").read())
nlp = load_pipeline(None, "segment")
for _ in nlp.pipe(texts, batch_size=256):
    pass
"""

# The warm library: imported, project opened, each call made once (its time kept as the first call's) before timing.
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
    started = time.perf_counter()
    call()
    first = time.perf_counter() - started
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    result[name] = [statistics.median(times), max(times), first]
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
        table = csv.DictWriter(handle, fieldnames=list(attributes[0]))
        table.writeheader()
        table.writerows(attributes)
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


def run(command: list[str], cwd: Path, capture: bool = False, label: str = "") -> tuple[Run, str]:
    """One process: its wall time, CPU time and peak RSS (from wait4, so only this process's); printed as
    soon as it ends, so that a long run shows where it stands."""
    measured, output = _run(command, cwd, capture)
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


STEPS = ("floor", "init", "ingest", "segment", "import", "autocode", "export", "agreement", "latency", "render")
DEFAULT_STEPS = tuple(step for step in STEPS if step != "autocode")


def prepared_corpus(size: int, work: Path, corpus: Path, leaf_codes: list[str]) -> Path:
    """work/corpus-N: the transcripts, respondents.csv, one codings CSV per coder and the floor's paragraphs,
    built once (in a process of its own, so that this one stays small) and reused by later runs."""
    folder = work / f"corpus-{size}"
    if not (folder / "ready.json").is_file():
        shutil.rmtree(folder, ignore_errors=True)
        script = (
            "import sys; sys.path.insert(0, sys.argv[1]); import scale; from pathlib import Path; "
            "scale.build_corpus_files(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]), sys.argv[5].split(','))"
        )
        command = [sys.executable, "-c", script, str(REPO / "bench"), str(corpus), str(folder), str(size)]
        _run([*command, ",".join(leaf_codes)], work, capture=False)
    return folder


def build_corpus_files(corpus: Path, folder: Path, n: int, leaf_codes: list[str]) -> None:
    transcripts, _, csvs = build_corpus(corpus, folder, n, leaf_codes)
    paragraphs = respondent_paragraphs(transcripts)
    (folder / "paragraphs.json").write_text(json.dumps(paragraphs), encoding="utf-8")
    words = sum(len(text.split()) for text in paragraphs)
    (folder / "ready.json").write_text(json.dumps({"size": n, "words": words, "coders": sorted(csvs)}))


def postgres_url(server: str, size: int, work: Path) -> str:
    """The database of one size's project in one --work folder: named after both, so that a run with --drop in
    one folder never drops the database of a project kept in another."""
    import hashlib

    from sqlalchemy import make_url

    folder = hashlib.sha1(str(work.resolve()).encode("utf-8")).hexdigest()[:8]
    return make_url(server).set(database=f"qcode_scale_{size}_{folder}").render_as_string(hide_password=False)


def recreate_postgres(server: str, size: int, work: Path, create: bool = True) -> None:
    """Drop the size's bench database and (unless create is False) make it again, empty."""
    from sqlalchemy import create_engine, make_url, text

    name = make_url(postgres_url(server, size, work)).database
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if create:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def measure(size: int, args: argparse.Namespace, corpus: Path, leaf_codes: list[str]) -> dict[str, object]:
    """The chosen steps at one size. The project (work/project-N-backend) is made again when `init` is among
    them and reused otherwise, so that later steps can be measured again on a kept project."""
    work = Path(args.work)
    folder = prepared_corpus(size, work, corpus, leaf_codes)
    ready = json.loads((folder / "ready.json").read_text())
    transcripts, metadata = folder / "transcripts", folder / "respondents.csv"
    csvs = {coder: folder / f"{coder}.csv" for coder in ready["coders"]}
    chosen = set(args.steps)
    project = work / f"project-{size}-{args.backend}"
    db = postgres_url(args.db, size, work) if args.backend == "postgres" else ""
    if "init" in chosen:
        shutil.rmtree(project, ignore_errors=True)
        if db:
            recreate_postgres(args.db, size, work)
    qcode = [sys.executable, "-m", "coding"]
    on_db = ["--db", db] if db else []
    at = [*qcode, "--project", str(project), *on_db]
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    steps: dict[str, Run] = {}
    loads: dict[str, float] = {}
    url = db or f"sqlite:///{project / 'qcode.sqlite'}"
    so_far = {"size": size, "backend": args.backend, "words": ready["words"], "counts": {}, "steps": steps}
    so_far |= {"loads": loads, "latency": {}, "latency_rss_mb": 0.0, "render": {}}

    def step(name: str, command: list[str], capture: bool = False) -> str:
        loads[name] = os.getloadavg()[0]
        steps[name], output = run(command, work, capture, name)
        keep(work, so_far)  # stored at once: a run stopped later keeps what it measured
        return output

    if "floor" in chosen:
        step("floor: bare spaCy sentences", [sys.executable, "-c", BARE_PROCESS, str(folder / "paragraphs.json")])
    if "init" in chosen:
        step("init", [*qcode, "init", str(project), *on_db])
    if "ingest" in chosen:
        step("ingest", [*at, "ingest", str(transcripts), "--metadata", str(metadata)])
    if "segment" in chosen:
        step("segment", [*at, "segment", *jobs])
    if "import" in chosen:
        for coder, path in csvs.items():
            step(f"import-codings {coder}", [*at, "import-codings", str(path), "--coder", coder])
    if "autocode" in chosen:
        step("autocode --rules", [*at, "autocode", "--rules", *jobs])
    if "export" in chosen:
        step("export codings", [*at, "export", "codings", str(work / f"long-{size}.csv")])
    if "agreement" in chosen:
        step("agreement table (own process)", [sys.executable, "-c", AGREEMENT_PROCESS, str(project), db])
    latency: dict[str, list[float]] = {}
    latency_rss = 0.0
    if "latency" in chosen:
        loads["latency"] = os.getloadavg()[0]
        latency_run, output = run(
            [sys.executable, "-c", LATENCY_PROCESS, str(project), db, str(args.repeat)], work, True, "warm library"
        )
        latency, latency_rss = json.loads(output.strip().splitlines()[-1]), latency_run.rss_mb
    render: dict[str, float] = {}
    if "render" in chosen:
        loads["render"] = os.getloadavg()[0]
        # The floor in the same run: the demo project (36 transcripts) served and opened the same way.
        floor = first_render(demo_project(work), "", work, args.repeat)
        render = {f"floor (demo): {name}": seconds for name, seconds in floor.items()}
        # and Streamlit's own page with one chart: what any Streamlit page costs on this machine
        from render_floor import bare_page

        bare = bare_page(work, args.repeat)
        render |= {f"floor (bare Streamlit page): {name}": seconds for name, seconds in bare.items()}
        render |= first_render(project, db, work, args.repeat)
    return so_far | {"counts": table_counts(url), "latency": latency, "latency_rss_mb": latency_rss, "render": render}


# The dashboard's first page is on screen: its heading, the heatmap drawn (the heat grid's cells; a Vega chart
# on Streamlit's bare page), and Streamlit no longer running.
RENDERED = """() => {
  const heading = [...document.querySelectorAll('h1, h2')].some(e => e.innerText.trim().startsWith('Themes'));
  const chart = document.querySelector(
    "table.qcg button.qcg-cell, [data-testid='stVegaLiteChart'] svg, [data-testid='stVegaLiteChart'] canvas"
  );
  const running = document.querySelector("[data-testid='stStatusWidget']");
  return heading && chart !== null && running === null;
}"""


def demo_project(work: Path) -> Path:
    """The project `qcode demo` builds in work/render-floor-demo (the 36 demo transcripts, segmented, coded by
    two coders, with suggestions), made once."""
    folder = work / "render-floor-demo"
    if not (folder / "project" / "qcode.toml").is_file():
        shutil.rmtree(folder, ignore_errors=True)
        _run([sys.executable, "-m", "coding", "demo", str(folder)], work, capture=True)
    return folder / "project"


def first_render(project: Path, db: str, work: Path, repeat: int) -> dict[str, float]:
    """`qcode app` served; seconds until its health endpoint answers, then from opening the dashboard in
    headless Chromium until the first page is fully rendered: the first visit after the server started (the
    library and the project's data read for the first time), and later visits in fresh tabs (median)."""
    sys.path.insert(0, str(REPO / "tests"))
    from playwright.sync_api import sync_playwright
    from served_app import served
    from test_browser import CHROMIUM, FLAGS

    def command(port: int) -> list[str]:
        on_db = ["--db", db] if db else []
        return [sys.executable, "-m", "coding", "app", "--project", str(project), *on_db, "--port", str(port)]

    started = time.perf_counter()
    with served(command, work / "server.log") as url:
        result = {"server start (health answers)": time.perf_counter() - started}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
            visits = []
            for _ in range(1 + repeat):
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                began = time.perf_counter()
                page.goto(url)
                page.wait_for_function(RENDERED, polling=20, timeout=180_000)
                visits.append(time.perf_counter() - began)
                page.close()
            browser.close()
    result["first render, first visit"] = visits[0]
    if len(visits) > 1:
        result["first render, later visit (median)"] = statistics.median(visits[1:])
    print("    ... render: " + ", ".join(f"{name} {value:.2f} s" for name, value in result.items()), flush=True)
    return result


def table_counts(url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("documents", "segments", "codings")
            }
    finally:
        engine.dispose()


def stored(work: Path, size: int, backend: str) -> dict[str, object] | None:
    path = work / f"results-{size}-{backend}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def keep(work: Path, result: dict[str, object]) -> dict[str, object]:
    """Merge this run's figures into the size's stored ones (a later run of some steps replaces only those)."""
    size, backend = int(result["size"]), str(result["backend"])  # type: ignore[call-overload]
    merged = stored(work, size, backend) or {}
    for key in ("steps", "loads", "latency", "render"):
        figures = result[key]
        if isinstance(figures, dict):
            figures = {name: vars(v) if isinstance(v, Run) else v for name, v in figures.items()}
        merged[key] = {**merged.get(key, {}), **figures}  # type: ignore[dict-item]
    for key in ("size", "backend", "words", "counts"):
        if result[key] or key not in merged:
            merged[key] = result[key]
    if result["latency_rss_mb"]:
        merged["latency_rss_mb"] = result["latency_rss_mb"]
    (work / f"results-{size}-{backend}.json").write_text(json.dumps(merged, indent=1))
    return merged


def previous_size(work: Path, size: int, backend: str) -> dict[str, object] | None:
    """The stored figures of the largest smaller size on the same backend (for the growth column)."""
    sizes = []
    for path in work.glob(f"results-*-{backend}.json"):
        other = int(path.name.split("-")[1])
        if other < size:
            sizes.append(other)
    return stored(work, max(sizes), backend) if sizes else None


def report(result: dict[str, Any], previous: dict[str, Any] | None) -> None:
    """The size's figures (all stored steps), with the CPU growth from the previous size: CPU seconds, since
    wall times on a shared machine show the load more than the work."""
    steps, latency, loads, counts = result["steps"], result["latency"], result["loads"], result["counts"]
    print(
        f"\n{result['size']:,} transcripts ({result['backend']}): {result['words']:,} respondent words, "
        f"{counts['documents']:,} documents, {counts['segments']:,} segments, {counts['codings']:,} codings"
    )
    against = f" vs {previous['size']:,}" if previous else ""
    print(f"  {'step':<32} {'wall s':>8} {'cpu s':>8} {'peak MB':>8} {'load':>5} {'cpu growth' + against:>18}")
    for name, step in steps.items():
        growth = ""
        if previous is not None and name in previous["steps"]:
            growth = f"x{step['cpu'] / max(previous['steps'][name]['cpu'], 1e-9):.2f}"
        flag = "  (over 1 GB)" if step["rss_mb"] > TARGET_RSS_MB else ""
        load = loads.get(name, float("nan"))
        print(
            f"  {name:<32} {step['wall']:8.2f} {step['cpu']:8.2f} {step['rss_mb']:8.0f} {load:5.1f} {growth:>18}{flag}"
        )
    if {"floor: bare spaCy sentences", "ingest", "segment"} <= set(steps):
        floor = steps["floor: bare spaCy sentences"]
        ours = steps["ingest"]["wall"] + steps["segment"]["wall"]
        ours_cpu = steps["ingest"]["cpu"] + steps["segment"]["cpu"]
        print(
            f"  ingest + segment / floor: wall {ours / floor['wall']:.2f}, cpu {ours_cpu / floor['cpu']:.2f} "
            f"(target <= {TARGET_RATIO})"
        )
    if latency:
        rss = result.get("latency_rss_mb", 0)
        print(f"  warm library (median of calls, worst in brackets; process peak {rss:.0f} MB):")
        for name, figures in latency.items():
            median, worst = figures[0], figures[1]
            growth = ""
            if previous is not None and name in previous.get("latency", {}):
                growth = f"  x{median / max(previous['latency'][name][0], 1e-9):.2f}"
            first = f", first call {figures[2]:.2f} s" if len(figures) > 2 else ""
            flag = "" if median < TARGET_LATENCY_S else "  (over 1 s)"
            print(f"    {name:<24} {median:7.3f} s ({worst:.3f}){first}{growth}{flag}")
    render = result.get("render", {})
    for name, seconds in render.items():
        flag = "  (over 3 s)" if name.startswith("first render") and seconds > TARGET_RENDER_S else ""
        floor, bare = render.get(f"floor (demo): {name}"), render.get(f"floor (bare Streamlit page): {name}")
        against = f"  x{seconds / floor:.2f} the demo's" if floor else ""
        against += f", x{seconds / bare:.2f} the bare page's" if bare else ""
        print(f"  dashboard: {name:<52} {seconds:6.2f} s{against}{flag}")


def markdown(results: list[dict[str, Any]]) -> str:
    """The stored figures of several sizes (one backend) as a Markdown table, CPU growth against the size
    before it: what bench/README.md records."""
    sizes = [f"{r['size']:,}" for r in results]
    head = "| step | " + " | ".join(f"{n}: cpu s | {n}: peak MB | {n}: load" for n in sizes) + " | cpu growth |"
    lines = [head, "|---|" + "---:|---:|---:|" * len(results) + "---:|"]
    names = list(dict.fromkeys(name for r in results for name in r["steps"]))
    for name in names:
        cells = []
        for r in results:
            step = r["steps"].get(name)
            load = r["loads"].get(name)
            cells.append(f"{step['cpu']:.1f} | {step['rss_mb']:.0f} | {load:.1f}" if step else " | | ")
        known = [r["steps"][name]["cpu"] for r in results if name in r["steps"]]
        growth = " ".join(f"x{b / a:.2f}" for a, b in zip(known, known[1:], strict=False) if a)
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {growth} |")
    for call in dict.fromkeys(name for r in results for name in r.get("latency", {})):
        cells = []
        for r in results:
            found = r.get("latency", {}).get(call)
            cells.append(f"{found[0]:.3f} (first {found[2]:.2f}) | | " if found else " | | ")
        lines.append(f"| warm: {call} (median s) | " + " | ".join(cells) + " | |")
    for name in dict.fromkeys(name for r in results for name in r.get("render", {})):
        cells = [f"{r['render'][name]:.2f} s | | " if name in r.get("render", {}) else " | | " for r in results]
        lines.append(f"| dashboard: {name} (wall) | " + " | ".join(cells) + " | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000", help="transcript counts, comma separated (default 1000)")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--db", default=os.environ.get("QCODE_TEST_POSTGRES", ""), help="PostgreSQL server URL")
    parser.add_argument("--corpus", type=Path, help="folder with transcripts, respondents.csv, gold.jsonl")
    parser.add_argument("--steps", default=",".join(DEFAULT_STEPS), help=f"some of {','.join(STEPS)}")
    parser.add_argument("--autocode", action="store_true", help="also time `autocode --rules` (slow: spaCy)")
    parser.add_argument("--jobs", type=int, default=0, help="pass --jobs N to segment and autocode")
    parser.add_argument("--repeat", type=int, default=3, help="timed calls of each warm-library query")
    parser.add_argument("--work", help="folder for corpora, projects and figures, kept and reused (default: temporary)")
    parser.add_argument("--drop", action="store_true", help="PostgreSQL: drop each size's database at the end")
    parser.add_argument("--table", action="store_true", help="print the stored figures of --sizes as Markdown")
    args = parser.parse_args(argv)
    if args.table:
        if not args.work:
            raise SystemExit("--table reads the figures stored in --work")
        found = [stored(Path(args.work), int(n), args.backend) for n in args.sizes.split(",")]
        print(markdown([result for result in found if result is not None]))
        return 0
    args.steps = [step.strip() for step in args.steps.split(",") if step.strip()]
    if args.autocode and "autocode" not in args.steps:
        args.steps.append("autocode")
    unknown = set(args.steps) - set(STEPS)
    if unknown:
        raise SystemExit(f"unknown steps: {', '.join(sorted(unknown))} (choose from {', '.join(STEPS)})")
    if args.backend == "postgres" and not args.db:
        raise SystemExit("--backend postgres needs --db (or QCODE_TEST_POSTGRES): a server URL")
    temporary = not args.work
    if temporary:
        args.work = tempfile.mkdtemp(prefix="qcode-scale-")
    corpus = source_corpus(args.corpus)
    from coding.codebook import load_codebook
    from coding.resources import default_codebook

    codebook = load_codebook(default_codebook())
    parents = {code.parent for code in codebook.codes}
    leaves = [code.id for code in codebook.codes if code.id not in parents]
    print(f"corpus {corpus}, backend {args.backend}, CPUs {os.cpu_count()}, load {os.getloadavg()[0]:.1f}")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)  # a --work folder that does not exist yet is made
    try:
        for size in [int(s) for s in args.sizes.split(",")]:
            result = keep(work, measure(size, args, corpus, leaves))
            report(result, previous_size(work, size, args.backend))
            sys.stdout.flush()
            if args.backend == "postgres" and (args.drop or temporary):
                recreate_postgres(args.db, size, work, create=False)
    finally:
        if temporary:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
