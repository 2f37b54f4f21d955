"""qcode: qualitative coding of interview corpora.

import coding
project = coding.open_project("demo/project")
project.crosstab(by="group", count="respondents")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import QcodeError

if TYPE_CHECKING:
    from .project import Project, create_project, open_project

__all__ = ["Project", "QcodeError", "create_project", "open_project"]


def __getattr__(name: str) -> Any:
    # The facade pulls in SQLAlchemy (and the steps pandas, spaCy): load it on first use so `qcode --help` stays fast.
    if name in ("Project", "create_project", "open_project"):
        from . import project

        return getattr(project, name)
    raise AttributeError(f"module 'coding' has no attribute {name!r}")
