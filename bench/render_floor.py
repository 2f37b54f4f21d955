"""What the dashboard's first render is made of, whatever the corpus: a project's Themes page against a bare
Streamlit page with one chart, both served and opened in headless Chromium the same way.

    .venv/bin/python bench/render_floor.py [--project demo/project] [--visits 4]

For each visit in a fresh tab: seconds until the page is rendered (bench/scale.py's condition: heading,
chart, Streamlit done), the page's own load event, and the main thread's long JavaScript tasks (over 50 ms,
the browser's PerformanceObserver) in that time. Without --project, `qcode demo` is built in a temporary
folder first. The one-chart page is the floor: what Streamlit costs before qcode draws anything.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "bench")]

BARE_PAGE = """import streamlit as st
st.title("Themes")
st.vega_lite_chart({"data": {"values": [{"a": "x", "b": "y", "n": 3}]}, "mark": "rect",
                    "encoding": {"x": {"field": "a"}, "y": {"field": "b"}, "color": {"field": "n"}}})
"""
LONG_TASKS = """window.__long = [];
new PerformanceObserver(list => list.getEntries().forEach(e => window.__long.push(e.duration)))
  .observe({entryTypes: ['longtask']});"""


def visits(command: list[str], port_flag: str, log: Path, count: int) -> list[tuple[float, float, float]]:
    """(rendered s, load event s, long tasks s) per visit, each in a fresh tab."""
    from playwright.sync_api import sync_playwright
    from scale import RENDERED
    from served_app import served
    from test_browser import CHROMIUM, FLAGS

    found = []
    with served(lambda port: [*command, port_flag, str(port)], log) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        for _ in range(count):
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.add_init_script(LONG_TASKS)
            began = time.perf_counter()
            page.goto(url)
            page.wait_for_function(RENDERED, polling=20, timeout=120_000)
            rendered = time.perf_counter() - began
            loaded = page.evaluate("() => performance.getEntriesByType('navigation')[0].loadEventEnd") / 1000
            busy = sum(page.evaluate("() => window.__long")) / 1000
            found.append((rendered, loaded, busy))
            page.close()
        browser.close()
    return found


def bare_page(work: Path, count: int) -> dict[str, float]:
    """Streamlit's page with one chart, served and opened like the dashboard: first and later visits (s)."""
    bare = work / "bare.py"
    bare.write_text(BARE_PAGE, encoding="utf-8")
    command = [sys.executable, "-m", "streamlit", "run", str(bare), "--server.headless", "true"]
    command += ["--browser.gatherUsageStats", "false"]
    found = visits(command, "--server.port", work / "bare.log", 1 + count)
    result = {"first render, first visit": found[0][0]}
    if len(found) > 1:
        result["first render, later visit (median)"] = statistics.median(f[0] for f in found[1:])
    return result


def report(name: str, figures: list[tuple[float, float, float]]) -> None:
    later = figures[1:] or figures
    rendered, loaded, busy = (statistics.median(f[i] for f in later) for i in range(3))
    print(
        f"{name:<28} first visit {figures[0][0]:5.2f} s; later visits (median): rendered {rendered:5.2f} s, "
        f"page loaded {loaded:4.2f} s, long JavaScript tasks {busy:4.2f} s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", type=Path, help="a project folder (default: `qcode demo`, built now)")
    parser.add_argument("--visits", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qcode-render-floor-") as scratch:
        work = Path(scratch)
        project = args.project
        if project is None:
            subprocess.run(
                [sys.executable, "-m", "coding", "demo", str(work / "demo")], check=True, capture_output=True
            )
            project = work / "demo" / "project"
        bare = work / "bare.py"
        bare.write_text(BARE_PAGE, encoding="utf-8")
        streamlit = [sys.executable, "-m", "streamlit", "run", str(bare), "--server.headless", "true"]
        streamlit += ["--browser.gatherUsageStats", "false"]
        qcode = [sys.executable, "-m", "coding", "app", "--project", str(project)]
        report("bare page, one chart", visits(streamlit, "--server.port", work / "bare.log", args.visits))
        report(f"Themes of {project}", visits(qcode, "--port", work / "qcode.log", args.visits))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
