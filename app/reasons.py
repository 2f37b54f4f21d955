"""Why each suggestion was made (the matched words, the model's weightiest words), worked out in one background
thread per project: loaded there when the page opens, and for the segments after the current one while the
person reads it, so that stepping on finds them ready. Every call into the explainers goes through that one
thread (the spaCy pipeline is not shared between threads); a result is kept for later runs and sessions.

The person's own request comes first: look-ahead work not yet started gives way to it, and the page waits for
it at most WAIT seconds (then the suggestions show without their reasons, found on a later run)."""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as WaitedTooLong

import streamlit as st

from coding.errors import QcodeError

from . import state

Key = tuple[state.ProjectKey, str, str, tuple[str, ...]]  # project, what explains, text, codes
KEEP = 1024
WAIT = 3.0  # seconds the page waits for the reasons of the segment shown


class Explainer:
    def __init__(self, key: state.ProjectKey) -> None:
        self.key = key
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qcode-reasons")
        self.lock = threading.Lock()
        self.done: OrderedDict[Key, dict] = OrderedDict()
        self.running: dict[Key, Future[dict]] = {}
        self.background: set[Key] = set()  # keys asked for by ahead() alone: they give way to the person's
        self.worker.submit(self._warm)

    def _warm(self) -> None:
        # A model that cannot be read: the page says so when it asks for reasons itself.
        with contextlib.suppress(QcodeError):
            state.cached_project(self.key).suggestion_reasons("", [])

    def _work(self, key: Key) -> dict:
        try:
            found = state.cached_project(self.key).suggestion_reasons(key[2], list(key[3]))
            with self.lock:
                self.done[key] = found
                while len(self.done) > KEEP:
                    self.done.popitem(last=False)
            return found
        finally:
            with self.lock:
                self.running.pop(key, None)
                self.background.discard(key)

    def _future(self, key: Key) -> Future[dict] | None:
        """The work for key, started if it is neither done nor under way; None when it is done."""
        with self.lock:
            if key in self.done:
                return None
            if key not in self.running:
                self.running[key] = self.worker.submit(self._work, key)
            return self.running[key]

    def reasons(self, explainers: str, text: str, codes: tuple[str, ...], wait: float | None = None) -> dict | None:
        """The reasons for a segment the person is looking at; None when they are not ready within `wait`
        seconds (WAIT by default)."""
        key = (self.key, explainers, text, codes)
        self._give_way(key)
        future = self._future(key)
        if future is None:
            with self.lock:
                return self.done[key]
        try:
            return future.result(timeout=WAIT if wait is None else wait)  # a library refusal comes through as raised
        except WaitedTooLong:
            return None

    def _give_way(self, key: Key) -> None:
        """Cancel look-ahead work not yet started (but this key's own), so that the person's request runs next;
        the next ahead() asks for it again."""
        with self.lock:
            self.background.discard(key)
            for other in list(self.background):
                future = self.running.get(other)
                if future is not None and future.cancel():
                    del self.running[other]
                    self.background.discard(other)

    def ahead(self, explainers: str, items: Iterable[tuple[str, tuple[str, ...]]]) -> None:
        """Work these out in the background, in this order (texts with the codes suggested for them)."""
        for text, codes in items:
            if not codes:
                continue
            key = (self.key, explainers, text, codes)
            with self.lock:
                asked = key in self.running
            if self._future(key) is not None and not asked:
                with self.lock:
                    if key in self.running:  # not already finished
                        self.background.add(key)


@st.cache_resource(show_spinner=False, max_entries=4)
def explainer(key: state.ProjectKey) -> Explainer:
    """One per project and server process; created (and its pipeline loading) when the page first opens."""
    return Explainer(key)
