"""Which coding units a character span touches: shared by every import that codes spans (CSV, REFI-QDA)."""

from __future__ import annotations

import bisect
from collections.abc import Iterable


class SegmentIndex:
    """Segments per document, sorted by start, for quick overlap look-ups."""

    def __init__(self, segments: Iterable[tuple[str, int, int, int]]) -> None:
        """segments: (document, start, end, segment id) in any order."""
        self._starts: dict[str, list[int]] = {}
        self._spans: dict[str, list[tuple[int, int, int]]] = {}
        for document, start, end, segment_id in sorted(segments, key=lambda s: (s[0], s[1])):
            self._starts.setdefault(document, []).append(start)
            self._spans.setdefault(document, []).append((start, end, segment_id))

    def overlapping(self, document: str, start: int, end: int) -> list[int]:
        """Ids of the segments of `document` that share at least one character with [start, end)."""
        starts = self._starts.get(document, [])
        spans = self._spans.get(document, [])
        hits = []
        for seg_start, seg_end, segment_id in spans[max(bisect.bisect_right(starts, start) - 1, 0) :]:
            if seg_start >= end:
                break
            if seg_end > start:
                hits.append(segment_id)
        return hits
