"""Codebook edits: add, update, rename, move, merge, delete and restore codes (a lead's work). Part of the
facade (Project inherits ProjectCodebook); each edit runs through ProjectCore._codebook_change, so that
codebook.yaml and the database change together or not at all.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from .errors import UsageError
from .models import Code, Codebook
from .project_core import ProjectCore, retried
from .store import Action
from .store import codebook as stored_codebook
from .store.changes import Recorder
from .store.log import write_log

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class ProjectCodebook(ProjectCore):
    # ----- codebook edits ---------------------------------------------------------------------
    # Each edit is one transaction (codebook_file): a hand edit of codebook.yaml is applied first (or the
    # edit is refused with the file's problems), then the change, a new codebook version, the file
    # rewritten. Every entry logs `before`, the code's whole row before the change (None for a new code),
    # so that an undo can put it back.
    @retried
    def add_code(self, code: Code, actor: str) -> None:
        self.accounts.require_lead(actor, "edit the codebook")
        from .codebook import CODE_ID
        from .codebook_edit import check_code

        def add(session: Session, book: Codebook) -> None:
            if code.id in book.by_id():
                raise UsageError(f"a code with id {code.id!r} exists already")
            if not CODE_ID.match(code.id):
                raise UsageError(f"bad code id {code.id!r}: use lower-case letters, digits, _ and . between levels")
            before = stored_codebook.code_row(session, code.id)
            if before is not None and before["merged_into"] == stored_codebook.DELETED:
                raise UsageError(f"{code.id!r} is a deleted code: restore it instead of adding it again")
            check_code(book, code)
            rec = Recorder(session)
            stored_codebook.add_code(session, code)
            rec.created("codes", [code.id])
            details: dict[str, Any] = {"name": code.name, "parent": code.parent, "before": before}
            write_log(session, actor, Action.ADD_CODE, code_id=code.id, changes=rec.changes(), **details)

        self._codebook_change(add)

    @retried
    def update_code(self, code_id: str, actor: str, **fields: Any) -> Code:
        """Change any of a code's name, definition, include, exclude, examples, color (#rrggbb), parent and
        rules (keywords, lemmas, patterns); its id stays. Checked as a whole before anything is stored."""
        self.accounts.require_lead(actor, "edit the codebook")
        from .codebook_edit import EDITABLE, edited

        def update(session: Session, book: Codebook) -> Code:
            code = edited(book, code_id, fields)
            old = book.by_id()[code_id]
            changed = {key: getattr(code, key) for key in EDITABLE if getattr(code, key) != getattr(old, key)}
            if not changed:
                return code
            before = stored_codebook.code_row(session, code_id)
            rec = Recorder(session)
            rec.watch("codes", [code_id])
            stored_codebook.replace_code(session, code)
            shown = {key: asdict(value) if key == "rules" else value for key, value in changed.items()}
            write_log(
                session, actor, Action.UPDATE_CODE, code_id=code_id, before=before, changed=shown, changes=rec.changes()
            )
            return code

        return self._codebook_change(update)

    def rename_code(self, code_id: str, new_name: str, actor: str) -> None:
        """Names change, ids stay: codings and exports keep pointing at the same code."""
        self._field_edit(code_id, "name", new_name.strip(), actor, Action.RENAME_CODE)

    def move_code(self, code_id: str, new_parent: str | None, actor: str) -> None:
        self._field_edit(code_id, "parent", new_parent or None, actor, Action.MOVE_CODE)

    @retried
    def _field_edit(self, code_id: str, field_name: str, value: str | None, actor: str, action: Action) -> None:
        self.accounts.require_lead(actor, "edit the codebook")
        from .codebook_edit import edited

        def edit(session: Session, book: Codebook) -> None:
            code = edited(book, code_id, {field_name: value})
            old = book.by_id()[code_id]
            before = stored_codebook.code_row(session, code_id)
            rec = Recorder(session)
            rec.watch("codes", [code_id])
            stored_codebook.replace_code(session, code)
            details: dict[str, Any] = {"previous": getattr(old, field_name), field_name: value, "before": before}
            write_log(session, actor, action, code_id=code_id, changes=rec.changes(), **details)

        self._codebook_change(edit)

    @retried
    def merge_codes(self, source_id: str, target_id: str, actor: str) -> int:
        """Move every coding of `source_id` to `target_id`; the source code is retired, not deleted. Its
        sub-codes move under the target. Returns the codings moved (a coder's coding of the source where
        that coder has the target already is dropped, and kept whole in the log for an undo)."""
        self.accounts.require_lead(actor, "merge codes")

        def merge(session: Session, book: Codebook) -> int:
            codes = book.by_id()
            for code_id in (source_id, target_id):
                if code_id not in codes:
                    raise UsageError(f"unknown code {code_id!r}")
            if source_id == target_id:
                raise UsageError("a code cannot be merged into itself")
            if source_id in book.ancestors(target_id):
                raise UsageError(f"cannot merge {source_id!r} into {target_id!r}, one of its own sub-codes")
            from . import span_coding

            before = stored_codebook.code_row(session, source_id)
            children = [c.id for c in book.codes if c.parent == source_id]
            rec = Recorder(session)  # undo moves every coding and span back and un-retires the code
            rec.watch("codes", [source_id, *children])
            span_coding.watch_code(session, rec, source_id)
            span_coding.watch_code(session, rec, target_id)  # a target row may take a source's decision
            moved, dropped = stored_codebook.move_codings_ids(session, source_id, target_id)
            span_coding.move_spans(session, source_id, target_id)
            for child in children:
                stored_codebook.update_code(session, child, parent_id=target_id)
            stored_codebook.update_code(session, source_id, merged_into=target_id)
            write_log(
                session,
                actor,
                Action.MERGE_CODES,
                code_id=source_id,
                into=target_id,
                before=before,
                codings=moved,
                dropped=dropped,
                children=children,
                changes=rec.changes(),
            )
            return len(moved) + len(dropped)

        return self._codebook_change(merge)

    @retried
    def delete_code(self, code_id: str, actor: str) -> int:
        """Delete a code that has no sub-codes (move or delete those first: nothing happens to them behind a
        person's back). Its codings are kept, hidden from every count, view and export, and come back with
        restore_code (or an undo). Returns how many codings were hidden."""
        self.accounts.require_lead(actor, "edit the codebook")

        def delete(session: Session, book: Codebook) -> int:
            if code_id not in book.by_id():
                raise UsageError(f"unknown code {code_id!r}")
            children = [c.name for c in book.codes if c.parent == code_id]
            if children:
                raise UsageError(f"code {code_id!r} has sub-codes ({', '.join(children)}): move or delete them first")
            before = stored_codebook.code_row(session, code_id)
            rec = Recorder(session)
            rec.watch("codes", [code_id])
            hidden = stored_codebook.delete_code(session, code_id)
            write_log(
                session,
                actor,
                Action.DELETE_CODE,
                code_id=code_id,
                before=before,
                codings=hidden,
                changes=rec.changes(),
            )
            return len(hidden)

        return self._codebook_change(delete)

    @retried
    def restore_code(self, code_id: str, actor: str) -> int:
        """Bring back a deleted code with its codings; returns how many codings count again."""
        self.accounts.require_lead(actor, "edit the codebook")
        from .codebook_edit import check_code

        def restore(session: Session, book: Codebook) -> int:
            before = stored_codebook.code_row(session, code_id)
            if before is None or before["merged_into"] != stored_codebook.DELETED:
                raise UsageError(f"{code_id!r} is not a deleted code")
            code = next(c for c in stored_codebook.deleted_codes(session) if c.id == code_id)
            check_code(book, code)  # its parent must still be there, its name still free
            rec = Recorder(session)
            rec.watch("codes", [code_id])
            stored_codebook.update_code(session, code_id, merged_into=None)
            write_log(
                session,
                actor,
                Action.ADD_CODE,
                code_id=code_id,
                name=code.name,
                before=before,
                restored=True,
                changes=rec.changes(),
            )
            return len(stored_codebook.coding_ids(session, code_id))

        return self._codebook_change(restore)

    def deleted_codes(self) -> list[Code]:
        """Codes deleted with their codings kept (restore_code brings one back)."""
        with self.store.transaction() as session:
            return stored_codebook.deleted_codes(session)

    def code_codings(self, code_id: str) -> int:
        """How many codings (every coder, source and status) a code has: what a delete or merge affects."""
        with self.store.transaction() as session:
            return len(stored_codebook.coding_ids(session, code_id))
