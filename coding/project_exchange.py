"""Codings and codebooks in and out of files: the codings CSV import, the long export and the 0/1 matrix
(coding/codings_io.py), codebook files and REFI-QDA projects (coding/exchange.py). Part of the facade
(Project inherits ProjectExchange); the tables it writes carry the read side's provenance.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import codings_io
from .errors import UsageError
from .project_analysis import ProjectAnalysis
from .tables import write_csv_pieces, write_table

if TYPE_CHECKING:
    import pandas as pd

    from .exchange import ExchangeReport
    from .models import Document, Segment
    from .project_core import Progress


class ProjectExchange(ProjectAnalysis):
    if TYPE_CHECKING:  # Project's own (coding/project.py): a REFI-QDA project's sources are segmented

        def _segment(
            self, documents: Sequence[Document], unit: str, progress: Progress | None = None
        ) -> list[Segment]: ...

    def import_codings(self, path: str | Path, coder: str) -> dict[str, int]:
        """Codings from a CSV (the contract's format): every row is checked before anything is written."""
        if self.counts()["documents"] == 0:
            raise UsageError("the project has no documents yet: run 'qcode ingest FOLDER' first")
        path = Path(path)
        texts = codings_io.DocumentTexts(self.store.document_lengths(), self.store.document_texts)
        rows = codings_io.read_codings_csv(path, texts, set(self.codebook.by_id()), coder)
        self._require_segments()  # only once the file is known to be good: a refused import changes nothing
        return codings_io.import_codings(self.store, path, rows, self.unit, coder)

    def long_codings(self) -> pd.DataFrame:
        """One row per coding (all sources and statuses) with segment text and respondent attributes."""
        return codings_io.long_codings(self.store, self.unit, self.codebook, self.respondents())

    def coding_matrix(self, source: str = "human", coders: Sequence[str] | None = None) -> pd.DataFrame:
        """One row per segment, one 0/1 column per code (direct codings by any of the chosen coders)."""
        return codings_io.coding_matrix(self.segments_frame(), self.codings(source, coders), self.codebook)

    def export_codings(self, path: str | Path, bom: bool = False) -> int:
        """The long export (every coding, all sources and statuses), with a provenance sidecar. A CSV is
        written a few hundred documents at a time (memory stays flat); an XLSX is built whole."""
        if Path(path).suffix.lower() == ".csv":
            pieces = codings_io.long_coding_pieces(self.store, self.unit, self.codebook, self.respondents())
            return write_csv_pieces(pieces, Path(path), bom=bom, header=self.provenance("all", None))
        frame = self.long_codings()
        write_table(frame, Path(path), bom=bom, header=self.provenance("all", None))
        return len(frame)

    def export_matrix(
        self, path: str | Path, source: str = "human", coders: Sequence[str] | None = None, bom: bool = False
    ) -> int:
        """The 0/1 matrix of `source` codings by `coders`, with a provenance sidecar."""
        frame = self.coding_matrix(source, coders)
        write_table(frame, Path(path), bom=bom, header=self.provenance(source, coders))
        return len(frame)

    # ----- exchange and publication -----------------------------------------------------------
    def export_codebook(self, path: str | Path) -> int:
        """.qdc (REFI-QDA), .yaml/.yml (qcode) or .csv/.xlsx (a table for an appendix)."""
        from . import exchange

        path = Path(path)
        codebook = self.codebook
        if path.suffix.lower() in exchange.CODEBOOK_FILES:
            return exchange.export_codebook(codebook, path)
        write_table(self.codebook_table(), path, header={"project": self.name, "codebook": codebook.name})
        return len(codebook.codes)

    def export_qdpx(self, path: str | Path) -> Path:
        """What people decided, as a REFI-QDA project (pending and rejected suggestions stay behind)."""
        from . import exchange

        qda = exchange.project_to_qda(
            self.store,
            self.name,
            self.codebook,
            self.segments_frame(),
            self.codings("human"),
            self.memos(),
            self.respondents(),
            self.store.spans_frame(),
        )
        return exchange.export_qdpx(qda, Path(path))

    def import_qdpx(self, path: str | Path, actor: str = "qcode") -> ExchangeReport:
        self.accounts.require_lead(actor, "import a project")
        from . import exchange

        report = exchange.import_qdpx(
            self.store, Path(path), self.codebook, self.unit, self.transcript_options(), self._segment, actor
        )
        if report.codes_added:
            self._write_codebook_file()  # new codes: a new codebook version, in the file too
        return report

    def import_qdc(self, path: str | Path, actor: str = "qcode") -> int:
        self.accounts.require_lead(actor, "import codes into the codebook")
        from . import exchange

        added = exchange.import_qdc(self.store, Path(path), self.codebook, actor)
        if added:
            self._write_codebook_file()
        return added
