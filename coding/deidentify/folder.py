"""deidentify_folder: validate everything, de-identify a folder of transcripts, write key and audit."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import IngestError, QcodeError, UsageError
from ..transcripts import (
    DEFAULT_INTERVIEWER_LABELS,
    find_transcripts,
    read_text_file,
    respondent_id_for,
    split_front_matter,
)
from .audit import write_audit
from .engine import Deidentifier, Source
from .keep_list import KeepList
from .model import DeidReport, RosterEntry
from .pseudonyms import (
    DEFAULT_STYLE,
    Pseudonyms,
    check_style,
    fsync_folder,
    read_key,
    recorded_file_names,
    write_key,
)
from .review import Decisions, Rewrite, default_review_path, read_review, write_review
from .roster import load_keep_file, load_roster

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Plan:
    """Everything checked before the first byte is written."""

    in_dir: Path
    out_dir: Path
    key_path: Path
    audit_path: Path
    files: list[Path]


PROJECT_FILE = "qcode.toml"  # what makes a folder a qcode project (coding.config.CONFIG_NAME)
STAGING = ".qcode-deid-"  # OUT is built in '.<OUT>.qcode-deid-<pid>-<random>' beside it


def enclosing_project(path: Path) -> Path | None:
    """The outermost project folder holding `path` (a folder holding qcode.toml: `path` or a parent)."""
    found = None
    for folder in (path, *path.parents):
        if (folder / PROJECT_FILE).is_file():
            found = folder
    return found


def default_key_path(out_dir: Path) -> Path:
    """Beside OUT, never in it: 'interviews-deid' -> 'interviews-deid.key.json'; when OUT is inside a
    project, beside the project folder instead ('study/deid' -> 'study.deid.key.json'), never in it."""
    out_dir = out_dir.resolve()
    project = enclosing_project(out_dir)
    if project is None:
        return out_dir.parent / (out_dir.name + ".key.json")
    if project.parent == project:
        raise UsageError(f"{out_dir}: OUT is inside the project {project}; give --key outside any project")
    return project.parent / f"{project.name}.{out_dir.name}.key.json"


def default_audit_path(key_path: Path) -> Path:
    name = key_path.name.removesuffix(".json").removesuffix(".key")
    return key_path.parent / (name + ".audit.csv")


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def plan_paths(
    in_dir: str | Path,
    out_dir: str | Path,
    key_path: str | Path | None,
    audit_path: str | Path | None,
    rewrite_out: bool = False,
) -> Plan:
    source = Path(in_dir)
    if not source.exists():
        raise IngestError(source, "no such folder")
    if not source.is_dir():
        raise UsageError(f"{source}: IN must be a folder of transcripts")
    source = source.resolve()
    target = Path(out_dir).resolve()
    if _inside(target, source):
        raise UsageError(f"{out_dir}: OUT must not be inside IN ({in_dir})")
    if _inside(source, target):
        raise UsageError(f"{out_dir}: OUT must not contain IN ({in_dir})")
    remove_stale_staging(target)  # a killed run's leftovers (and a killed swap's previous OUT, put back)
    if rewrite_out:
        if not target.is_dir():
            raise UsageError(f"{out_dir}: OUT must be the folder written by the first run")
    elif target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(f"{out_dir}: OUT exists and is not an empty folder")
    key = Path(key_path).resolve() if key_path else default_key_path(target)
    audit = Path(audit_path).resolve() if audit_path else default_audit_path(key)
    for path, what in ((key, "key file"), (audit, "audit file")):
        check_private_path(path, what, target)
        if path.exists() and path.is_dir():
            raise UsageError(f"{path}: the {what} path is a folder")
    files = find_transcripts([source])
    if not files:
        raise IngestError(source, "no transcript files (.txt, .md, .docx) in this folder")
    if rewrite_out:
        _check_only_outputs(target, key, source, files)
    return Plan(source, target, key, audit, files)


def _check_only_outputs(target: Path, key: Path, source: Path, files: list[Path]) -> None:
    """A review's re-run replaces OUT whole: refuse while OUT holds anything the first run did not write
    (a researcher's notes, or the wrong folder named as OUT), so that nothing of theirs is deleted."""
    written = recorded_file_names(key)
    expected = set()
    for path in files:
        relative = path.relative_to(source).as_posix()
        expected.add(written.get(relative, relative))
    found = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    extra = [name for name in found if name not in expected]
    if extra:
        more = f" and {len(extra) - 1} more" if len(extra) > 1 else ""
        raise UsageError(
            f"{target}: OUT holds files the first run did not write ({extra[0]}{more}); move them out first: "
            "--apply-review replaces OUT whole"
        )


def check_private_path(path: Path, what: str, out_dir: Path) -> None:
    """The key, audit and review quote the original names: never inside OUT or a project folder."""
    if _inside(path, out_dir):
        raise UsageError(f"{path}: the {what} must not be inside OUT (it holds the original names)")
    project = enclosing_project(path.parent)
    if project is not None:
        raise UsageError(
            f"{path}: the {what} must not be inside the project folder {project} (it holds the original names)"
        )


def read_sources(plan: Plan, encoding: str | None) -> list[Source]:
    sources = []
    for path in plan.files:
        text = read_text_file(path, encoding)
        front = split_front_matter(text, path)
        header = text[: len(text) - len(front.body)] if front.attributes or text.startswith("---\n") else ""
        try:
            respondent_id = respondent_id_for(path, front.attributes)
        except QcodeError:
            respondent_id = ""
        relative = path.relative_to(plan.in_dir)
        if path.suffix.lower() == ".docx":
            relative = relative.with_suffix(".txt")
        sources.append(Source(path, relative, header, front.body, front.attributes, respondent_id))
    return sources


def _roster_entries(roster: str | Path | Iterable[str | RosterEntry] | None) -> list[RosterEntry]:
    if roster is None:
        return []
    if isinstance(roster, (str, Path)):
        return load_roster(roster)
    return [item if isinstance(item, RosterEntry) else RosterEntry(str(item)) for item in roster]


def _keep_names(keep: str | Path | Iterable[str] | None) -> list[str]:
    if keep is None:
        return []
    if isinstance(keep, (str, Path)):
        return load_keep_file(keep)
    return [str(name) for name in keep]


def deidentify_folder(
    in_dir: str | Path,
    out_dir: str | Path,
    *,
    roster: str | Path | Iterable[str | RosterEntry] | None = None,
    keep: str | Path | Iterable[str] | None = None,
    key_path: str | Path | None = None,
    style: str = DEFAULT_STYLE,
    pipeline: str | None = None,
    progress: Progress | None = None,
    audit_path: str | Path | None = None,
    interviewer_labels: Sequence[str] = DEFAULT_INTERVIEWER_LABELS,
    encoding: str | None = None,
    review_path: str | Path | None = None,
    decisions: Decisions | None = None,
) -> DeidReport:
    """Write de-identified copies of the transcripts in `in_dir` to `out_dir`.

    `roster` is a CSV path (or names) of private names to hide, `keep` a file (or names) of public names
    to leave. The key (pseudonym -> original, per file and offset) goes to `key_path` (default: beside
    OUT), the audit CSV beside it; neither ever goes into OUT. An existing key is read and its pseudonyms
    reused. `review_path` (a path, or True for OUT.review.csv beside the key) writes the review file;
    `decisions` (from a review file) are applied: see apply_review. Every input is validated before
    anything is written; errors are QcodeError subclasses.
    """
    plan = plan_paths(in_dir, out_dir, key_path, audit_path, rewrite_out=decisions is not None)
    review = _review_target(review_path, plan)
    check_style(style)
    decisions = decisions or Decisions()
    roster_entries = _roster_entries(roster) + [RosterEntry(name, kind) for name, kind in decisions.replace]
    keep_list = KeepList(_keep_names(keep) + decisions.keep)
    pseudonyms, old_files = _pseudonyms_from_key(plan.key_path, style)
    sources = read_sources(plan, encoding)
    rewrites = _check_rewrites(decisions.rewrites, sources)

    from ..nlp import load_pipeline  # spaCy loads only when there is work to do

    engine = Deidentifier(
        load_pipeline(pipeline, "ner"),
        keep_list,
        roster_entries,
        pseudonyms,
        interviewer_labels,
        parser=load_pipeline(pipeline, "full"),
    )
    engine.rewrites = rewrites
    total = 2 * len(sources)  # detection, then writing
    corpus = engine.detect(sources, (lambda done, _n: progress(done, total)) if progress else None)

    # OUT is built in a staging folder beside it and moved into place only once the key (and audit) are
    # on disk: a kill leaves no half-written OUT, and the key always covers what OUT holds
    plan.out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{plan.out_dir.name}{STAGING}{os.getpid()}-", dir=plan.out_dir.parent))
    try:
        reports = []
        for text, file_report in engine.render(corpus, staging):  # one file at a time
            file_report.output.parent.mkdir(parents=True, exist_ok=True)
            file_report.output.write_text(text, encoding="utf-8", newline="\n")
            reports.append(file_report)
            if progress:
                progress(len(sources) + len(reports), total)
        names = {
            r.source.relative_to(plan.in_dir).as_posix(): r.output.relative_to(staging).as_posix() for r in reports
        }
        for file_report in reports:
            file_report.output = plan.out_dir / file_report.output.relative_to(staging)
        records = {r.source.name: r.replacements for r in reports}
        write_key(plan.key_path, pseudonyms, records, old_files, names)
        report = DeidReport(reports, plan.key_path, plan.audit_path, pseudonyms.mapping())
        write_audit(plan.audit_path, report)
        if review is not None:
            report.review_path = review
            write_review(review, report)
        _move_into_place(staging, plan.out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return report


def apply_review(
    in_dir: str | Path,
    out_dir: str | Path,
    review_file: str | Path,
    **options: object,
) -> DeidReport:
    """Re-run de-identification of IN with a researcher's review decisions and rewrite OUT in place.

    Names marked keep are kept in every file; names marked replace are replaced in every file; mentions
    marked generalise are rewritten with their generalisation. The key is reused (pseudonyms stay) and
    updated. Pass the same roster, keep file and key as the first run."""
    review = Path(review_file).resolve()
    wanted = options.get("review_path")
    if wanted:
        key = options.get("key_path")
        key_path = Path(str(key)).resolve() if key else default_key_path(Path(out_dir))
        target = default_review_path(key_path) if wanted is True else Path(str(wanted)).resolve()
        if target == review:
            raise UsageError(f"{review_file}: a new review would overwrite the decisions being applied; copy it first")
    decisions = read_review(review)
    return deidentify_folder(in_dir, out_dir, decisions=decisions, **options)  # type: ignore[arg-type]


def _review_target(review_path: str | Path | bool | None, plan: Plan) -> Path | None:
    if review_path is None or review_path is False:
        return None
    path = default_review_path(plan.key_path) if review_path is True else Path(review_path).resolve()
    check_private_path(path, "review file", plan.out_dir)
    return path


def _check_rewrites(rewrites: list[Rewrite], sources: list[Source]) -> dict[str, list[Rewrite]]:
    """Each generalisation must point at the same text in the same input as when the review was made."""
    bodies = {source.path.name: source.body for source in sources}
    by_file: dict[str, list[Rewrite]] = {}
    for rewrite in rewrites:
        body = bodies.get(rewrite.file)
        if body is None:
            raise UsageError(f"review: {rewrite.file} is not a transcript in IN")
        if body[rewrite.start : rewrite.end] != rewrite.original:
            raise UsageError(
                f"review: {rewrite.file} {rewrite.start}-{rewrite.end} no longer reads {rewrite.original!r}; "
                "the transcript changed since the review was written"
            )
        listed = by_file.setdefault(rewrite.file, [])
        if not any(rewrite.start < r.end and r.start < rewrite.end for r in listed):
            listed.append(rewrite)
    return by_file


def _move_into_place(staging: Path, out_dir: Path) -> None:
    """Put the finished staging folder at OUT; after a review, swap it with the previous OUT."""
    if out_dir.is_dir() and not any(out_dir.iterdir()):
        out_dir.rmdir()
    if not out_dir.exists():
        os.replace(staging, out_dir)
    else:
        old = out_dir.with_name(f".{out_dir.name}{STAGING}{os.getpid()}-old")
        os.replace(out_dir, old)
        os.replace(staging, out_dir)
        shutil.rmtree(old, ignore_errors=True)
    fsync_folder(out_dir.parent)


def remove_stale_staging(out_dir: Path) -> None:
    """Remove staging folders of OUT left by a killed run (our naming, and their process is gone).

    A killed swap after a review leaves OUT missing and its previous version aside: that is put back."""
    prefix = f".{out_dir.name}{STAGING}"
    if not out_dir.parent.is_dir():
        return
    for folder in out_dir.parent.iterdir():
        if not folder.name.startswith(prefix) or not folder.is_dir():
            continue
        pid = folder.name[len(prefix) :].split("-")[0]
        if pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid)):
            continue
        if folder.name.endswith("-old") and not out_dir.exists():
            os.replace(folder, out_dir)
        else:
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _pseudonyms_from_key(key_path: Path, style: str) -> tuple[Pseudonyms, dict[str, object]]:
    if not key_path.exists():
        return Pseudonyms(style), {}
    key_style, entities, files = read_key(key_path)
    if key_style and style not in (DEFAULT_STYLE, key_style):
        raise UsageError(f"{key_path}: this key uses the style {key_style!r}; pass the same --style or a new --key")
    pseudonyms = Pseudonyms(key_style or style)
    for entity in entities:
        pseudonyms.add_existing(entity)
    return pseudonyms, files
