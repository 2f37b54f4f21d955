"""Shared fixtures. Tests that need ../shared (eval-dev, external files) skip cleanly without it."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _dashboard_from_this_checkout() -> None:
    """The tests import the dashboard as qcode_app, the name a wheel installs app/ under; they test this
    checkout's app/, not another copy an editable install may map that name to."""
    spec = importlib.util.spec_from_file_location(
        "qcode_app", REPO / "app" / "__init__.py", submodule_search_locations=[str(REPO / "app")]
    )
    assert spec is not None and spec.loader is not None
    package = importlib.util.module_from_spec(spec)
    sys.modules["qcode_app"] = package
    spec.loader.exec_module(package)


_dashboard_from_this_checkout()
# AppTest runs the dashboard without a server, as `qcode app` on this machine would (it sets QCODE_HOST);
# with neither, the dashboard takes the server's address, which unset means every interface, and refuses.
os.environ.setdefault("QCODE_HOST", "127.0.0.1")
SHARED = Path(os.environ.get("QCODE_SHARED", REPO.parent / "shared"))
EVAL_DEV = SHARED / "eval-dev"
EXTERNAL = SHARED / "external"


@pytest.fixture(scope="session")
def eval_dev() -> Path:
    if not (EVAL_DEV / "gold.jsonl").exists():
        pytest.skip(f"shared eval-dev set not found at {EVAL_DEV}")
    return EVAL_DEV


@pytest.fixture(scope="session")
def external() -> Path:
    if not EXTERNAL.is_dir():
        pytest.skip(f"shared external files not found at {EXTERNAL}")
    return EXTERNAL


@pytest.fixture(scope="session")
def blank_nlp():
    """A fast blank English pipeline with a sentencizer, shared by unit tests."""
    from coding.nlp import blank_pipeline

    return blank_pipeline()
