"""qcode: qualitative coding of interview corpora.

    import coding
    project = coding.open_project("demo/project")
    project.crosstab(by="group", count="respondents")
"""

from .errors import QcodeError
from .project import Project, create_project, open_project

__all__ = ["Project", "QcodeError", "create_project", "open_project"]
