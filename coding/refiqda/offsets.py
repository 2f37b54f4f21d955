"""Source texts as other tools store them, and their selection positions, mapped onto qcode's text.

qcode's text is the file's text without a leading BOM and with CRLF / CR line ends turned into LF; its
offsets are code points. A file's positions are counted over the text *without* the BOM but *with* its
original line ends, in code points or, for tools built on UTF-16 strings (NVivo, ATLAS.ti, MAXQDA), in
UTF-16 code units. Checked on NVivo 12's oltas0517.qdpx: counting the BOM shifts every selection by one
character, ignoring CRLF drifts them by one per line, and counting code points drifts them by one per
emoji; without the BOM, with CRLF and in UTF-16 units, 274 of its 303 selections start and end exactly at
line boundaries and the rest at word boundaries.
"""

from __future__ import annotations

from bisect import bisect_left

from coding.refiqda.schema import UTF16

BOM = "\ufeff"


class SourceText:
    """A source text normalised for qcode, able to translate the file's positions onto it."""

    def __init__(self, raw: str, unit: str) -> None:
        raw = raw.removeprefix(BOM)
        self.text = raw.replace("\r\n", "\n").replace("\r", "\n")
        # Code-point index of every '\r' dropped from a CRLF pair.
        self._dropped = [i for i, ch in enumerate(raw) if ch == "\r" and raw[i + 1 : i + 2] == "\n"]
        # UTF-16 position of every character that takes two code units (a surrogate pair).
        self._wide: list[int] = []
        if unit == UTF16:
            astral = [i for i, ch in enumerate(raw) if ord(ch) > 0xFFFF]
            self._wide = [index + before for before, index in enumerate(astral)]
        self.length = len(raw) + len(self._wide)  # in the file's units

    def index(self, position: int) -> int | None:
        """The index into self.text for a position in the file's units; None if out of range or inside
        a surrogate pair."""
        if not 0 <= position <= self.length:
            return None
        wide_before = bisect_left(self._wide, position)
        if wide_before and self._wide[wide_before - 1] == position - 1:
            return None  # between the two halves of one character
        codepoint = position - wide_before
        # A position between '\r' and '\n' lands just before the '\n', which is where the line ends.
        return codepoint - bisect_left(self._dropped, codepoint)
