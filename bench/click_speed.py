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

On a shared machine wall times mostly show the load, so each action's work is also counted in CPU time, once
the page is quiet again (no message from the server for QUIET s): the server's (every process of `qcode app`,
from /proc) and the browser page's main thread (Chromium's TaskDuration metric). On an idle machine an action
answers in about the sum of the two.
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

# A click on the stripe of the newest span (a click in the page: the branch point's coder redrew its stripes
# in a loop on some layouts, so that a stripe never held still for Playwright's own click).
CHOOSE_NEWEST = """() => [...document.querySelectorAll('.qcw-stripe[data-mark^="s"]')]
  .filter((stripe) => /^s[0-9]+$/.test(stripe.dataset.mark))
  .sort((a, b) => Number(b.dataset.mark.slice(1)) - Number(a.dataset.mark.slice(1)))[0].click()"""
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


QUIET = 0.4  # seconds without a message from the server: the action's rerun is over


def server_cpu(port: int) -> float:
    """CPU seconds used so far by the processes serving `port` (`qcode app` and its Streamlit child)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            if b"coding" not in command and b"streamlit" not in command or str(port).encode() not in command:
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # a process that ended meanwhile
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


class Meter:
    """CPU time of one action: the server's and the browser page's, counted once the page is quiet."""

    def __init__(self, page: Any, port: int) -> None:
        self.page, self.port = page, port
        self.last_message = time.perf_counter()
        page.on("websocket", lambda socket: socket.on("framereceived", self._heard))
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Performance.enable")

    def _heard(self, _: Any) -> None:
        self.last_message = time.perf_counter()

    def browser_cpu(self) -> float:
        metrics = self.cdp.send("Performance.getMetrics")["metrics"]
        return next(m["value"] for m in metrics if m["name"] == "TaskDuration")

    def quiet(self) -> None:
        while time.perf_counter() - self.last_message < QUIET:
            self.page.wait_for_timeout(50)

    def start(self) -> tuple[float, float]:
        self.quiet()
        return server_cpu(self.port), self.browser_cpu()

    def spent(self, started: tuple[float, float]) -> tuple[float, float]:
        self.page.wait_for_timeout(100)  # the first message of a rerun may still be on its way
        self.quiet()
        return server_cpu(self.port) - started[0], self.browser_cpu() - started[1]


def run(url: str, repeat: int) -> tuple[dict[str, list[float]], dict[str, list[tuple[float, float]]]]:
    from playwright.sync_api import expect, sync_playwright

    sys.path.insert(0, str(REPO / "tests"))
    from test_browser import CHROMIUM, FLAGS

    names = ("floor", "apply: drawn", "apply: saved", "remove: drawn", "remove: saved", "accept", "reject", "next")
    times: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[tuple[float, float]]] = {name: [] for name in names if "drawn" not in name}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        meter = Meter(page, int(url.rsplit(":", 1)[1]))
        page.goto(f"{url}/transcripts?coder=bench")
        expect(page.locator(".qcw-p").first).to_be_visible(timeout=120_000)
        page.wait_for_timeout(1500)
        keys = page.keyboard

        def measured(name: str, act: Callable[[], None], watch: str, saved: str = "") -> None:
            started = meter.start()
            times[name].append(timed(page, act, watch))
            if saved:
                times[saved].append(times[name][-1] + waited(page, SAVED))
            cpu[saved or name].append(meter.spent(started))

        for round_ in range(repeat):
            unit = 2 + 3 * round_  # never the segment "next" just went to, so that the panel changes
            measured("floor", functools.partial(click_unit, page, unit), QUOTE)
            measured("apply: drawn", functools.partial(keys.press, "1"), STRIPES, "apply: saved")
            # The span just applied (the newest), so that every run leaves the project as it found it; choosing a
            # stripe happens in the browser alone.
            page.evaluate(CHOOSE_NEWEST)
            measured("remove: drawn", functools.partial(keys.press, "Delete"), STRIPES, "remove: saved")
            measured("next", functools.partial(keys.press, "Alt+ArrowDown"), QUOTE)
        page.get_by_text("Suggestions waiting").first.click()
        expect(page.get_by_role("button", name="Accept", exact=True).first).to_be_visible(timeout=60_000)
        for _ in range(repeat):
            for kind in ("accept", "reject"):
                button = page.get_by_role("button", name=kind.capitalize(), exact=True).first
                if button.count():
                    measured(kind, button.click, PANEL)
        browser.close()
    return times, cpu


def report(times: dict[str, list[float]], cpu: dict[str, list[tuple[float, float]]], transcripts: int) -> str:
    floor = statistics.median(times["floor"])
    target = TARGETS.get(transcripts, 0.5)
    lines = [
        f"| action ({transcripts} transcripts) | median s | worst s | ratio to floor | server cpu s | browser cpu s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, values in times.items():
        if values:
            median = statistics.median(values)
            spent = cpu.get(name) or []
            server = f"{statistics.median(s for s, _ in spent):.3f}" if spent else ""
            page = f"{statistics.median(b for _, b in spent):.3f}" if spent else ""
            lines.append(f"| {name} | {median:.3f} | {max(values):.3f} | {median / floor:.2f} | {server} | {page} |")
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

    load_before = os.getloadavg()[0]
    with served_app.served(command, folder / "server.log") as url:
        times, cpu = run(url, args.repeat)
    print(report(times, cpu, args.transcripts) + f" Load average when it started: {load_before:.1f}.")


if __name__ == "__main__":
    main()
