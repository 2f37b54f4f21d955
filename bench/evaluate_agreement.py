"""Intercoder agreement of the demo corpus: coder `gold` vs coder `second`, at turn level.

Both coders coded whole respondent turns, so the turn is the honest unit: counting sentences would
repeat every turn decision once per sentence. Usage: python bench/evaluate_agreement.py [--markdown]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from coding.demo import CODERS, turn_codings_to_csv  # noqa: E402
from coding.resources import demo_corpus  # noqa: E402

CORPUS = demo_corpus()
from coding.intercoder import publication_table  # noqa: E402
from coding.project import create_project  # noqa: E402


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        project = create_project(Path(tmp) / "project")
        project.ingest([CORPUS / "transcripts"], metadata=CORPUS / "respondents.csv")
        project.segment("turn")
        for coder, name in CODERS.items():
            csv_path = Path(tmp) / f"{coder}.csv"
            turn_codings_to_csv(CORPUS / name, CORPUS / "transcripts", csv_path)
            project.import_codings(csv_path, coder)
        table = publication_table(project.agree(list(CODERS), units="documents"))
    if "--markdown" in sys.argv:
        cells = table.astype(object).where(table.notna(), "")
        print("| " + " | ".join(map(str, cells.columns)) + " |")
        print("|" + "---|" * len(cells.columns))
        for row in cells.itertuples(index=False):
            print("| " + " | ".join(map(str, row)) + " |")
    else:
        print(table.to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
