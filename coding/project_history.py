"""Undo, redo and history (coding/undo.py) as the facade offers them: a person's own last action taken
back or done again, never over someone else's later change; codebook.yaml follows a codebook undo.
Part of the facade (Project inherits ProjectHistory).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .errors import PermissionDeniedError
from .project_core import ProjectCore

if TYPE_CHECKING:
    import pandas as pd


class ProjectHistory(ProjectCore):
    # ----- undo, redo, history (coding/undo.py) ---------------------------------------------------
    def undo(self, person: str) -> str | None:
        """Take back `person`'s last action not yet undone (apply or remove a code or span, search hits coded
        at once, accept, reject, memo, codebook edits); returns a one-line description of what was undone,
        None when there is nothing to undo. Refused (UsageError) when someone else has changed the same
        codings, spans, memo or code since: undo never overwrites another person's work."""
        from . import undo

        return self._taking_back(lambda: undo.undo(self.store, person, self._may_edit_codebook(person)))

    def redo(self, person: str) -> str | None:
        """Do again what `person` last undid (None when there is nothing to redo; any new action of theirs
        clears what could be redone)."""
        from . import undo

        return self._taking_back(lambda: undo.redo(self.store, person, self._may_edit_codebook(person)))

    def _may_edit_codebook(self, person: str) -> bool:
        try:
            self.accounts.require_lead(person, "edit the codebook")
        except PermissionDeniedError:
            return False
        return True

    def _taking_back(self, step: Callable[[], str | None]) -> str | None:
        # An undo or redo of a codebook edit changes the codes in the database: codebook.yaml follows (a hand
        # edit of it applied first, so the file never overwrites the undo nor the undo the file).
        self.sync_codebook_file()
        codes = self.store.codes()
        done = self.store.retrying(step)
        if done is not None and self.store.codes() != codes:
            self._write_codebook_file()
        return done

    def history(self, segment_id: int) -> pd.DataFrame:
        """Who did what when to one segment's codings and memos, oldest first: at, actor, action, code,
        description (for the history panel)."""
        from . import undo

        return undo.history(self.store, segment_id)
