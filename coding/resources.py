"""Files qcode ships: the reference codebook and the demo corpus.

The repository keeps them in codebooks/ and corpus/ at its top; an installed wheel holds them as the package
data `coding.codebooks` and `coding.corpus` (see pyproject.toml). A source checkout reads its own folders, so an
edited codebook is used without reinstalling.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .errors import ProjectError

_CHECKOUT = Path(__file__).resolve().parents[1]
DEFAULT_CODEBOOK_NAME = "peace_process.yaml"


def in_checkout(name: str) -> Path | None:
    """The repository's own `name` (a file or folder at its top) when qcode runs from a source checkout."""
    if (_CHECKOUT / "pyproject.toml").is_file() and (_CHECKOUT / name).exists():
        return _CHECKOUT / name
    return None


def data_folder(name: str) -> Path:
    """The folder of shipped files called `name` ("codebooks" or "corpus")."""
    checkout = in_checkout(name)
    if checkout is not None:
        return checkout
    try:
        folder = resources.files(f"coding.{name}")
    except ModuleNotFoundError:
        raise ProjectError(f"qcode's {name} are not installed (coding.{name} is missing): reinstall qcode") from None
    # Wheels install as plain files, so the traversable is a folder on disk (a namespace package's
    # MultiplexedPath joins to a real path).
    return Path(str(folder / "."))


def default_codebook() -> Path:
    return data_folder("codebooks") / DEFAULT_CODEBOOK_NAME


def demo_corpus() -> Path:
    return data_folder("corpus")
