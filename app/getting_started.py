"""What an empty project shows instead of tables: the commands that fill it."""

from __future__ import annotations

import streamlit as st

from coding.project import Project


def getting_started(project: Project, counts: dict[str, int]) -> None:
    st.title("Getting started")
    folder = project.folder.resolve()
    if not counts["documents"]:
        st.info(f"**{project.name}** has no transcripts yet. Bring them in from a terminal:", icon=":material/info:")
        steps = f"""cd {folder}
qcode ingest path/to/transcripts --metadata path/to/respondents.csv   # .txt, .md or .docx, one per interview
qcode segment                                                         # cut them into coding units
qcode autocode --rules                                                # optional: let the codebook's rules suggest codes
qcode import-codings codings.csv --coder NAME                         # optional: codings made elsewhere"""
    else:
        st.info(
            f"**{project.name}** has {counts['documents']} transcripts but no coding units yet. Cut them up:",
            icon=":material/info:",
        )
        steps = f"cd {folder}\nqcode segment"
    st.code(steps, language="bash")
    st.markdown(
        "Then reload this page. The **Codebook** page works already: add or rename codes before you start.\n\n"
        "To try qcode on the demo interviews instead, run `make demo` in the qcode repository."
    )
