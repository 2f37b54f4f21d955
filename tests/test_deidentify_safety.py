"""De-identification safety: key outside projects, de-identified file names, atomic runs (a real SIGKILL)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from coding.cli_deidentify import deidentify_command
from coding.deidentify import deidentify_folder
from coding.deidentify.folder import STAGING

REPO = Path(__file__).resolve().parents[1]
TEXT = (
    "Interviewer: Thank you, Zarina.\n\n"
    "{rid}: My husband Bakhtovar Nazarov worked in Kulob. Call +992 93 555 12 34. We talk about the interview.\n"
)


def _raw(tmp_path: Path, names: list[str]) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in names:
        rid = name.split("_")[0].removesuffix(".txt")
        (raw / name).write_text(TEXT.format(rid=rid), encoding="utf-8")
    return raw


def _project(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "qcode.toml").write_text('codebook = "codebook.yaml"\n', encoding="utf-8")
    return folder


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# -- 1. key, audit and review never inside a project ---------------------------------------------------
def test_default_key_goes_beside_the_project_not_inside(tmp_path: Path) -> None:
    raw = _raw(tmp_path, ["R1.txt"])
    project = _project(tmp_path / "study")
    result = CliRunner().invoke(deidentify_command, [str(raw), str(project / "deid"), "--review"])
    assert result.exit_code == 0, result.output
    key, audit, review = (tmp_path / f"study.deid.{end}" for end in ("key.json", "audit.csv", "review.csv"))
    assert key.is_file() and audit.is_file() and review.is_file()
    assert str(key) in result.output
    assert _files(project) == ["deid", "deid/R1.txt", "qcode.toml"]  # nothing private in the project


def test_key_audit_or_review_inside_a_project_is_refused_and_nothing_written(tmp_path: Path) -> None:
    raw = _raw(tmp_path, ["R1.txt"])
    project = _project(tmp_path / "study")
    (project / "sub").mkdir()
    runner = CliRunner()
    out = str(tmp_path / "deid")
    attempts = [
        ["--key", str(project / "deid.key.json")],
        ["--key", str(project / "sub" / "k.json")],
        ["--key", str(tmp_path / "k.json"), "--audit", str(project / "a.csv")],
    ]
    for extra in attempts:
        result = runner.invoke(deidentify_command, [str(raw), out, *extra])
        assert result.exit_code == 2, result.output
        assert len(result.stderr.strip().splitlines()) == 1 and "project folder" in result.stderr
    # OUT itself a project folder (it holds qcode.toml): the default key goes beside it
    inside_out = runner.invoke(deidentify_command, [str(raw), str(project)])
    assert inside_out.exit_code == 2 and "not an empty folder" in inside_out.stderr
    assert not (tmp_path / "deid").exists() and not (tmp_path / "k.json").exists()
    assert _files(project) == ["qcode.toml", "sub"]


# -- 2. file names de-identified like text -------------------------------------------------------------
def test_names_in_file_names_never_reach_out(tmp_path: Path) -> None:
    raw = _raw(tmp_path, ["R19_Firstname_Lastname.txt", "R20_Bakhtovar_Nazarov.txt", "R21_interview.txt"])
    (raw / "Gulnora Sharipova").mkdir()
    (raw / "Gulnora Sharipova" / "R22.txt").write_text(TEXT.format(rid="R22"), encoding="utf-8")
    key = tmp_path / "k.json"
    report = deidentify_folder(raw, tmp_path / "out", key_path=key)
    written = _files(tmp_path / "out")
    for name in ("Firstname", "Lastname", "Bakhtovar", "Nazarov", "Gulnora", "Sharipova"):
        assert not any(name in path for path in written), written
    names = json.loads(key.read_text(encoding="utf-8"))["file_names"]
    assert names["R21_interview.txt"] == "R21_interview.txt"  # a word the transcripts use stays
    # the name in the text and in the file name get the same pseudonym
    nazarov = names["R20_Bakhtovar_Nazarov.txt"]
    assert nazarov.startswith("R20_[PERSON_") and nazarov.removeprefix("R20_").removesuffix(".txt") in (
        tmp_path / "out" / nazarov
    ).read_text(encoding="utf-8")
    assert names["R19_Firstname_Lastname.txt"].startswith("R19_[PERSON_")
    assert len(set(names.values())) == 4
    assert sorted(names.values()) == [path for path in written if path.endswith(".txt")]
    assert all(str(r.output.relative_to(tmp_path / "out")) in names.values() for r in report.files)
    # stable: a second run with the same key gives the same names
    deidentify_folder(raw, tmp_path / "again", key_path=key)
    assert _files(tmp_path / "again") == written


def test_console_output_names_files_as_in_out(tmp_path: Path) -> None:
    raw = _raw(tmp_path, ["R19_Firstname_Lastname.txt"])
    with (raw / "R19_Firstname_Lastname.txt").open("a", encoding="utf-8") as handle:
        handle.write("\nR19: I was 47 years old then, the deputy head of the school.\n")
    result = CliRunner().invoke(deidentify_command, [str(raw), str(tmp_path / "out"), "--review"])
    assert result.exit_code == 0, result.output
    assert "R19_[PERSON_" in result.output  # uncertain cases name the de-identified file
    assert "Firstname" not in result.output and "Lastname" not in result.output


def test_file_name_parts_kept_only_when_they_cannot_be_a_name() -> None:
    from pathlib import PurePath

    from coding.deidentify.file_names import deidentified_name, unique_names
    from coding.deidentify.keep_list import KeepList
    from coding.deidentify.words import WordSense

    sense = WordSense(frozenset({"interview", "final"}), [("the final interview notes", [])])
    names: dict[str, str] = {}

    def pseudonym_for(name: str) -> str:
        return names.setdefault(name, f"[PERSON_{len(names) + 1}]")

    def rename(path: str, private: set[str] | None = None) -> str:
        return str(deidentified_name(PurePath(path), "R19", pseudonym_for, KeepList([]), sense, private or set()))

    assert rename("R19_interview_2020-07-08_final.txt") == "R19_interview_2020-07-08_final.txt"
    assert rename("R19_John_Smith_interview.txt") == "R19_[PERSON_1]_interview.txt"
    assert rename("john smith/R19 John-Smith v2.docx") == "[PERSON_2]/R19 [PERSON_1] v2.docx"
    assert rename("R19_Final.txt", private={"final"}) == "R19_[PERSON_3].txt"  # a private name in this corpus
    assert names == {"John Smith": "[PERSON_1]", "john smith": "[PERSON_2]", "Final": "[PERSON_3]"}
    repeated = unique_names([PurePath("R1_[P].txt"), PurePath("R1_[p].txt"), PurePath("R1_[P].txt")])
    assert [str(p) for p in repeated] == ["R1_[P].txt", "R1_[p]_2.txt", "R1_[P]_3.txt"]


# -- 3. atomic runs: a real process killed mid-run -----------------------------------------------------
CHILD = """
import sys
sys.path.insert(0, {repo!r})
from coding.deidentify import deidentify_folder
def progress(done, total):
    print(done, total, flush=True)
    if done == {step}:
        sys.stdin.readline()  # wait here to be killed: the kill lands at exactly this step
deidentify_folder({raw!r}, {out!r}, key_path={key!r}, progress=progress)
print("done", flush=True)
"""


def _kill_after(raw: Path, out: Path, key: Path, step: int) -> None:
    code = CHILD.format(repo=str(REPO), raw=str(raw), out=str(out), key=str(key), step=step)
    child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    for line in child.stdout:
        if line.split()[0] == str(step):
            os.kill(child.pid, signal.SIGKILL)
            break
    child.wait()
    assert child.returncode == -signal.SIGKILL, "the run ended before it could be killed"


def test_killed_run_leaves_nothing_half_done_and_the_rerun_succeeds(tmp_path: Path) -> None:
    names = [f"R{n:02d}_Name{n}.txt" for n in range(1, 9)]
    raw = _raw(tmp_path, names)
    out, key = tmp_path / "out", tmp_path / "out.key.json"
    # during detection, while the output files are written, and after the last one (before the key)
    for step in (3, 8 + 4, 8 + 8):
        _kill_after(raw, out, key, step)
        assert not out.exists()  # never half written
        assert not key.exists()  # the key is written just before OUT appears
        staged = [p for p in tmp_path.iterdir() if STAGING in p.name]
        assert len(staged) == (1 if step > 8 else 0)  # the killed writer's staging folder
        assert all(len(_files(folder)) == step - 8 for folder in staged)
    report = deidentify_folder(raw, out, key_path=key)
    assert len(report.files) == 8 and len(_files(out)) == 8
    assert not [p.name for p in tmp_path.iterdir() if STAGING in p.name]  # stale staging cleaned
    data = json.loads(key.read_text(encoding="utf-8"))
    assert sorted(data["file_names"]) == sorted(names)
    assert sorted(data["file_names"].values()) == _files(out)


def test_stale_staging_of_dead_runs_only_is_cleaned_and_a_killed_swap_is_undone(tmp_path: Path) -> None:
    raw = _raw(tmp_path, ["R1.txt"])
    out = tmp_path / "out"
    finished = subprocess.Popen(["true"])  # a process id that has ended
    finished.wait()
    dead_pid = str(finished.pid)
    stale = tmp_path / f".out{STAGING}{dead_pid}-abc"
    live = tmp_path / f".out{STAGING}{os.getppid()}-def"  # another run still working on OUT
    other = tmp_path / ".someone-elses-folder"
    for folder in (stale, live, other):
        folder.mkdir()
        (folder / "R1.txt").write_text("half", encoding="utf-8")
    deidentify_folder(raw, tmp_path / "new" / "parent" / "out2", key_path=tmp_path / "k2.json")  # parents made
    assert _files(tmp_path / "new") == ["parent", "parent/out2", "parent/out2/R1.txt"]
    deidentify_folder(raw, out, key_path=tmp_path / "k.json")
    assert not stale.exists() and live.exists() and other.exists()
    assert _files(out) == ["R1.txt"]
    # a run killed between the two renames of the swap after a review: OUT missing, previous OUT aside
    aside = tmp_path / f".out{STAGING}{dead_pid}-old"
    out.rename(aside)
    again = CliRunner().invoke(deidentify_command, [str(raw), str(out), "--key", str(tmp_path / "k.json")])
    assert again.exit_code == 2 and "not an empty folder" in again.stderr  # the previous OUT is back
    assert _files(out) == ["R1.txt"] and not aside.exists()
