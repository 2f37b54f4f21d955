"""Speed of the hand: how long a coding action takes to answer in real Chromium, on the Transcripts page.

Run `python bench/click_speed.py [--transcripts 18] [--folder DIR] [--repeat 7]`. The project is the one
bench/app_speed.py builds (the demo transcripts replicated as R0001.., sentence units, the gold coding, a
second coder, rule suggestions), built once per folder and reused; 18 transcripts is the demo itself,
1000 the bench project. `qcode app` serves it; Playwright drives Debian's Chromium (as the browser tests).

Each action is timed from the key press or click to the moment its result is on screen:
- apply: a sentence selected, the key "1" pressed, until its stripe is drawn (the browser draws it at once)
  and until the server has saved it and said so (the component's data-done equals its data-sent);
- remove: a stripe chosen, Delete pressed, until the stripe is gone, and until the server has said so;
- accept / reject: the first suggestion's button, until the suggestion list has changed;
- next: Alt+Down, until the panel shows the next segment.
The floor, measured in the same run, is the same round trip with nothing written: a click on a sentence,
until the panel shows it (one fragment rerun with no database write). Ratios are action / floor.
Targets: under 0.3 s per action on the demo, under 0.5 s on 1,000 transcripts.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TARGETS = {18: 0.3, 1000: 0.5}


def _load(path: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed(page: Any, act: Callable[[], None], watch: str) -> float:
    """Seconds from `act` until the page's `watch` expression (JavaScript) gives another value."""
    before = page.evaluate(f"() => {watch}")
    started = time.perf_counter()
    act()
    page.wait_for_function(f"(before) => ({watch}) !== before", arg=before, polling=20, timeout=30_000)
    return time.perf_counter() - started


def waited(page: Any, condition: str) -> float:
    """Seconds until the page's `condition` (JavaScript) holds."""
    started = time.perf_counter()
    page.wait_for_function(f"() => {condition}", polling=20, timeout=30_000)
    return time.perf_counter() - started


STRIPES = "document.querySelectorAll('.qcw-stripe').length"
SAVED = "(() => { const r = document.querySelector('.qcw-root'); return r.dataset.done === r.dataset.sent; })()"
QUOTE = "(document.querySelector('.qc-quote') || {}).textContent"
DECISIONS = "[...document.querySelectorAll('button')].filter(b => /^(Accept|Reject)$/.test(b.innerText.trim())).length"
PANEL = f"({QUOTE}) + '|' + ({DECISIONS})"

UNIT_SPOT = """(i) => {
  const firsts = new Map();
  for (const piece of document.querySelectorAll('.qcw-unit')) {
    if (!firsts.has(piece.dataset.unit)) firsts.set(piece.dataset.unit, piece);
  }
  const piece = [...firsts.values()][i];
  piece.scrollIntoView({block: 'center'});
  const box = piece.getClientRects()[0];
  return {x: box.left + 4, y: box.top + box.height / 2};
}"""


def click_unit(page: Any, index: int) -> None:
    """Click inside the index-th respondent sentence of the transcript (scrolled into view first)."""
    spot = page.evaluate(UNIT_SPOT, index)
    page.mouse.click(spot["x"], spot["y"])


def run(url: str, repeat: int) -> dict[str, list[float]]:
    from playwright.sync_api import expect, sync_playwright

    sys.path.insert(0, str(REPO / "tests"))
    from test_browser import CHROMIUM, FLAGS

    names = ("floor", "apply: drawn", "apply: saved", "remove: drawn", "remove: saved", "accept", "reject", "next")
    times: dict[str, list[float]] = {name: [] for name in names}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{url}/transcripts?coder=bench")
        expect(page.locator(".qcw-p").first).to_be_visible(timeout=120_000)
        page.wait_for_timeout(1500)
        keys = page.keyboard
        for round_ in range(repeat):
            unit = 2 + 3 * round_  # never the segment "next" just went to, so that the panel changes
            times["floor"].append(timed(page, functools.partial(click_unit, page, unit), QUOTE))
            times["apply: drawn"].append(timed(page, functools.partial(keys.press, "1"), STRIPES))
            times["apply: saved"].append(times["apply: drawn"][-1] + waited(page, SAVED))
            page.locator(".qcw-stripe").last.click()  # choosing a stripe happens in the browser alone
            times["remove: drawn"].append(timed(page, functools.partial(keys.press, "Delete"), STRIPES))
            times["remove: saved"].append(times["remove: drawn"][-1] + waited(page, SAVED))
            times["next"].append(timed(page, functools.partial(keys.press, "Alt+ArrowDown"), QUOTE))
        page.get_by_text("Suggestions waiting").first.click()
        expect(page.get_by_role("button", name="Accept", exact=True).first).to_be_visible(timeout=60_000)
        for _ in range(repeat):
            for kind in ("accept", "reject"):
                button = page.get_by_role("button", name=kind.capitalize(), exact=True).first
                if button.count():
                    times[kind].append(timed(page, button.click, PANEL))
        browser.close()
    return times


def report(times: dict[str, list[float]], transcripts: int) -> str:
    floor = statistics.median(times["floor"])
    target = TARGETS.get(transcripts, 0.5)
    lines = [
        f"| action ({transcripts} transcripts) | median s | worst s | ratio to floor |",
        "|---|---:|---:|---:|",
    ]
    for name, values in times.items():
        if values:
            median = statistics.median(values)
            lines.append(f"| {name} | {median:.3f} | {max(values):.3f} | {median / floor:.2f} |")
    actions = [v for k, vs in times.items() if k != "floor" and "drawn" not in k for v in vs]
    worst = statistics.median(sorted(actions)[-3:]) if actions else 0.0
    lines.append(f"\nTarget {target} s per action; median of the actions {statistics.median(actions):.3f} s, ")
    lines[-1] += f"the slowest three around {worst:.3f} s. Load average during the run: {os.getloadavg()[0]:.1f}."
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--transcripts", type=int, default=18)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    app_speed = _load(REPO / "bench" / "app_speed.py", "app_speed")
    served_app = _load(REPO / "tests" / "served_app.py", "served_app")
    folder = args.folder or Path(tempfile.gettempdir()) / f"qcode-click-{args.transcripts}"
    project = app_speed.build_project(folder, args.transcripts)

    def command(port: int) -> list[str]:
        return [sys.executable, "-m", "coding", "app", "--project", str(project), "--port", str(port)]

    with served_app.served(command, folder / "server.log") as url:
        times = run(url, args.repeat)
    print(report(times, args.transcripts))


if __name__ == "__main__":
    main()
