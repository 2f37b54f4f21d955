"""The wheel and the sdist are the product: build them, install the wheel into a fresh venv and use it as a
researcher would, from a folder outside the checkout.

The fresh venv gets qcode only from the wheel (`pip install --no-deps`); its third-party packages come from
the venv running the tests through a .pth line (a path line in a .pth adds the folder without running the
.pth files inside it, so an editable install of the checkout stays out). PYTHONPATH is dropped and every
command runs in a temporary folder, so nothing from the checkout can be imported.
"""

from __future__ import annotations

import os
import signal
import site
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _run(command: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, (command, done.stdout[-2000:], done.stderr[-2000:])
    return done


def _tracked_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, text=True)
    if listed.returncode != 0:  # an unpacked sdist: every file is the product's
        return [p.relative_to(REPO) for p in REPO.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return [Path(name) for name in listed.stdout.split("\0") if name and (REPO / name).is_file()]


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """sdist from a copy of the checkout's files, then the wheel from that sdist (as `python -m build` does)."""
    pytest.importorskip("build")
    base = tmp_path_factory.mktemp("dist")
    source = base / "source"
    for name in _tracked_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes((REPO / name).read_bytes())
    out = base / "out"
    command = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)]
    _run(command, cwd=base, env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    return next(out.glob("*.tar.gz")), next(out.glob("*.whl"))


@pytest.fixture(scope="module")
def venv(dists: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    base = tmp_path_factory.mktemp("venv")
    folder = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(purelib) / "qcode_test_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{folder / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    install = [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--ignore-installed", str(dists[1])]
    _run(install, cwd=base, env=env)
    return folder, env


def test_sdist_holds_the_dashboard_data_and_what_the_tests_need(dists: tuple[Path, Path]) -> None:
    with tarfile.open(dists[0]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    for needed in (
        "app/main.py",
        "app/streamlit.toml",
        "app/views/themes.py",
        "codebooks/peace_process.yaml",
        "corpus/respondents.csv",
        "corpus/transcripts/R01.txt",
        "tests/conftest.py",
        "tests/project_factory.py",
        "tests/fixtures/transcripts/R101.txt",
        "Makefile",
        "MANIFEST.in",
    ):
        assert needed in names, needed


def test_wheel_holds_every_module_and_data_file(dists: tuple[Path, Path]) -> None:
    """A subpackage or data file missing from pyproject.toml's lists shows up here, by name."""
    names = set(zipfile.ZipFile(dists[1]).namelist())
    where = {"coding": "coding", "app": "qcode_app", "codebooks": "coding/codebooks", "corpus": "coding/corpus"}
    expected = {
        f"{where[path.parts[0]]}/{'/'.join(path.parts[1:])}" for path in _tracked_files() if path.parts[0] in where
    }
    assert not expected - names, sorted(expected - names)
    assert not any(name.startswith(("app/", "codebooks/", "corpus/", "tests/")) for name in names)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
            return response.status == 200 and response.read().strip() == b"ok"
    except OSError:
        return False


def _children(pid: int) -> list[int]:
    """Processes whose parent is pid (Linux /proc), to find the Streamlit server qcode app started."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def test_installed_wheel_runs_the_researchers_commands(venv: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    folder, env = venv
    qcode = str(folder / "bin" / "qcode")
    where = _run(
        [str(folder / "bin" / "python"), "-c", "import coding, qcode_app; print(coding.__file__)"],
        cwd=tmp_path,
        env=env,
    )
    assert where.stdout.strip().startswith(str(folder)), where.stdout

    _run([qcode, "init", "study", "--name", "Study\nwave 2"], cwd=tmp_path, env=env)
    assert (tmp_path / "study" / "codebook.yaml").is_file()
    fixtures = REPO / "tests" / "fixtures" / "transcripts"
    _run(
        [qcode, "--project", "study", "ingest", str(fixtures), "--metadata", str(fixtures / "respondents.csv")],
        cwd=tmp_path,
        env=env,
    )
    segmented = _run([qcode, "--project", "study", "segment"], cwd=tmp_path, env=env)
    assert "sentence segments in 4 new documents" in segmented.stdout
    _run([qcode, "--project", "study", "autocode", "--rules"], cwd=tmp_path, env=env)
    _run([qcode, "--project", "study", "crosstab", "--by", "group", "--source", "all"], cwd=tmp_path, env=env)
    _run([qcode, "--project", "study", "export", "codings", "codings.csv"], cwd=tmp_path, env=env)
    assert (tmp_path / "codings.csv").read_text(encoding="utf-8").startswith("document,respondent_id,")

    demo = _run([qcode, "demo", "tajik"], cwd=tmp_path, env=env)
    assert "demo project ready" in demo.stdout and (tmp_path / "tajik" / "project" / "qcode.sqlite").is_file()

    # The installed dashboard renders the demo project (its pages import qcode_app, not the checkout's app/).
    render = (
        "import os, qcode_app\n"
        "from pathlib import Path\n"
        "from streamlit.testing.v1 import AppTest\n"
        "at = AppTest.from_file(str(Path(qcode_app.__file__).with_name('main.py')), default_timeout=120).run()\n"
        "assert not at.exception, [e.value for e in at.exception]\n"
        "assert not at.error, [e.value for e in at.error]\n"
        "print(qcode_app.__file__, len(at.markdown))\n"
    )
    rendered = _run(
        [str(folder / "bin" / "python"), "-c", render],
        cwd=tmp_path,
        env={**env, "QCODE_PROJECT": str(tmp_path / "tajik" / "project")},
    )
    assert rendered.stdout.startswith(str(folder)), rendered.stdout

    port = _free_port()
    server = subprocess.Popen(
        [qcode, "app", "--project", "tajik/project", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while not _healthy(port):
            assert server.poll() is None, server.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "the dashboard did not answer on /_stcore/health"
            time.sleep(0.5)
        streamlit = _children(server.pid)
        assert streamlit, "qcode app runs Streamlit as its child"
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
        assert not _healthy(port)
        assert not [pid for pid in streamlit if Path(f"/proc/{pid}").exists()], "the Streamlit server outlived qcode"
    finally:
        if server.poll() is None:
            server.kill()
