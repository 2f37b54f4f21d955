"""Taking a document out of a project and bringing it back, with every coding and memo it had. Part of the
facade (Project inherits ProjectDocuments).
"""

from __future__ import annotations

from .errors import UsageError
from .project_core import ProjectCore
from .store import Action
from .store import codings as stored_codings
from .store import documents as stored_documents
from .store import memos as stored_memos
from .store.log import write_log
from .store.schema import utcnow


class ProjectDocuments(ProjectCore):
    def remove_document(self, name: str, actor: str = "qcode") -> dict[str, int]:
        """Take a document out of the project: out of every count, table and export, and of later segment,
        autocode and train runs, so that one bad file cannot block a project. Its text, segments, codings and
        memos stay with it and restore_document brings it back as it was; the log records both.

        Re-ingesting the unchanged file leaves it removed; a changed file is added as a new document.
        Returns the codings and memos kept with it."""
        with self.store.step_lock("ingest"):
            return self.store.retrying(lambda: self._set_removed(name, True, actor))

    def restore_document(self, name: str, actor: str = "qcode") -> dict[str, int]:
        """Undo remove_document: the document counts again, with every coding and memo it had."""
        with self.store.step_lock("ingest"):
            return self.store.retrying(lambda: self._set_removed(name, False, actor))

    def removed_documents(self) -> list[str]:
        with self.store.transaction() as session:
            return sorted(stored_documents.removed_documents(session))

    def _set_removed(self, name: str, remove: bool, actor: str) -> dict[str, int]:
        with self.store.transaction(write=True) as session:
            current = stored_documents.active_document(session, name)
            removed = stored_documents.removed_document(session, name)
            if remove and current is None:
                known = " (it is removed already; 'qcode restore' brings it back)" if removed else ""
                raise UsageError(f"no document named {name!r} in the project{known}")
            if not remove and removed is None:
                raise UsageError(f"no removed document named {name!r} to restore")
            if not remove and current is not None:
                raise UsageError(
                    f"document {name!r} was ingested again after it was removed: remove the current one first "
                    "to restore the earlier one"
                )
            row = current if remove else removed
            assert row is not None
            stored_documents.set_removed(session, row.id, utcnow() if remove else None)
            kept = {
                "codings": len(stored_codings.codings_on_document(session, row.id)),
                "memos": len(stored_memos.memos_on_document(session, row.id)),
            }
            action = Action.REMOVE_DOCUMENT if remove else Action.RESTORE_DOCUMENT
            write_log(session, actor, action, name, document_id=row.id, codings=kept["codings"], memos=kept["memos"])
        return kept
