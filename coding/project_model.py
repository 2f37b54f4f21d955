"""The learned model as the facade offers it (coding/training.py): train, rank what to code next, and say
why a code was suggested. Part of the facade (Project inherits ProjectModel).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .errors import QcodeError
from .models import RESPONDENT
from .project_core import ProjectCore

if TYPE_CHECKING:
    import pandas as pd

    from .coders.model import CodeModel
    from .coders.rules import RuleCoder


class ProjectModel(ProjectCore):
    # the coders that explain suggestions (set up by Project.__init__), rebuilt when the codebook or the
    # model file changes
    _explainer_key: tuple[str, int] | None
    _explainers: tuple[RuleCoder, CodeModel | None] | None

    # ----- learned model ----------------------------------------------------------------------
    def has_model(self) -> bool:
        from . import training

        return training.model_path(self.folder).exists()

    def can_train(self) -> bool:
        return not self.codings("human").empty

    def train(self, coders: Sequence[str] | None = None, wait: float = 0.0) -> pd.DataFrame:
        """Train on human codings (all coders, or `coders`); returns cross-validated figures per code.
        One run at a time writes the model (another is waited for up to `wait` seconds, then a BusyError)."""
        with self.store.step_lock("train", wait):
            return self._train(coders)

    def _train(self, coders: Sequence[str] | None) -> pd.DataFrame:
        from . import training

        self._require_segments()
        codings = self.codings("human", coders)
        segments = [s for s in self.segments() if s.role == RESPONDENT] if not codings.empty else []
        return training.train(
            self.store,
            training.model_path(self.folder),
            codings,
            segments,
            self.codebook,
            self.codebook_version(),
            self._pipeline(),
            coders,
            self.config.embedding_folder(self.folder),
        )

    def code_next(self, k: int = 10) -> pd.DataFrame:
        """Uncoded segments ordered by how much a person's decision would teach the model."""
        from . import training

        fitted = self._model()
        segments = [s for s in self.segments() if s.role == RESPONDENT]
        return training.code_next(
            self.store, fitted, segments, self._human_segments(), self.codebook, self._pipeline(), k
        )

    def suggestion_reasons(self, text: str, codes: Sequence[str]) -> dict[tuple[str, str], str]:
        """Why each of `codes` was suggested for `text`, in a few words, keyed by (source, code): the phrase
        the keyword rules matched, and the words that weighed most in the model (with its calibrated
        confidence). A source that does not suggest a code is left out."""
        from .models import MODEL, RULE

        rule_coder, fitted = self._explaining_coders()
        reasons: dict[tuple[str, str], str] = {}
        matched: dict[str, list[str]] = {}
        for start, end, code in rule_coder.match_spans(text):
            matched.setdefault(code, []).append(text[start:end])
        book = self.codebook
        for code in codes:  # a parent code's rule hit is any hit of a code below it
            below = [c for c in matched if c == code or code in book.ancestors(c)]
            phrases = sorted({p.lower() for c in below for p in matched[c]})
            if phrases:
                reasons[(RULE, code)] = "matched " + ", ".join(f"“{p}”" for p in phrases[:3])
        if fitted is not None:
            hits = {c for c in codes if (RULE, c) in reasons}
            for code in codes:
                found = fitted.explain(text, code, rule_hit=code in hits)
                if found is not None:
                    reasons[(MODEL, code)] = f"{found.confidence:.0%} sure; {found.reason}"
        return reasons

    def model_status(self) -> dict[str, tuple[str, str]]:
        """For every code, what stands behind the model's suggestions ("model", "rules only" or nothing)
        and why, e.g. (rules only, "2 coded examples, 3 needed"); empty without a trained model."""
        _, fitted = self._explaining_coders()
        return dict(fitted.status) if fitted is not None else {}

    def _explaining_coders(self) -> tuple[RuleCoder, CodeModel | None]:
        from . import training
        from .coders.rules import RuleCoder

        path = training.model_path(self.folder)
        key = (self.codebook_version(), path.stat().st_mtime_ns if path.exists() else 0)
        if self._explainers is None or self._explainer_key != key:
            try:
                fitted: CodeModel | None = self._model() if path.exists() else None
            except QcodeError:  # a model trained on an older codebook: its suggestions go unexplained
                fitted = None
            self._explainers = (RuleCoder(self.codebook, self._pipeline()), fitted)
            self._explainer_key = key
        return self._explainers

    def _model(self) -> CodeModel:
        from . import training

        return training.load(training.model_path(self.folder), self.codebook, self.codebook_version())

    def _human_segments(self) -> set[int]:
        """Segments a person has coded (their codes or suggestions they accepted)."""
        return set(self.codings("human")["segment_id"].astype(int))

    def _pipeline(self) -> str | None:
        return self.config.pipeline or None
