"""The same end-to-end flow on PostgreSQL (a team's shared database) as on SQLite.

Set QCODE_TEST_POSTGRES to a SQLAlchemy URL of a server database whose role may CREATE DATABASE, e.g.
postgresql+psycopg://qcode:qcode@127.0.0.1:5432/postgres. Each run creates a fresh, uniquely named database
and drops it afterwards.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

POSTGRES = os.environ.get("QCODE_TEST_POSTGRES", "")
REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"

pytestmark = pytest.mark.skipif(
    not POSTGRES,
    reason="QCODE_TEST_POSTGRES is not set (a SQLAlchemy URL of a PostgreSQL database whose role may CREATE DATABASE)",
)


def run(*args: object):
    from coding.cli import main

    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, (args, result.output)
    return result


@pytest.fixture
def database_url():
    """A new, empty PostgreSQL database for one test, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    from coding.store.database import engine_for

    server = make_url(POSTGRES)
    name = f"qcode_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.fail(f"QCODE_TEST_POSTGRES is set but the server refused to create a database: {exc.orig}")
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        engine_for(url).dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def flow(project: Path, gold: Path, *init_options: object) -> pd.DataFrame:
    """init, ingest, segment, import-codings, crosstab --out: the crosstab written."""
    run("init", project, *init_options)
    run("ingest", CORPUS / "transcripts", "--metadata", CORPUS / "respondents.csv", "--project", project)
    run("segment", "--project", project)
    run("import-codings", gold, "--coder", "gold", "--project", project)
    out = project.parent / f"{project.name}-crosstab.csv"
    run("crosstab", "--by", "group", "--count", "respondents", "--out", out, "--project", project)
    return pd.read_csv(out)


def test_end_to_end_on_postgresql_gives_the_same_results_as_sqlite(database_url, tmp_path):
    import coding
    from coding.demo import turn_codings_to_csv

    gold = tmp_path / "gold.csv"
    turn_codings_to_csv(CORPUS / "gold.jsonl", CORPUS / "transcripts", gold)
    on_postgres = flow(tmp_path / "team", gold, "--db", database_url)
    on_sqlite = flow(tmp_path / "solo", gold)

    assert not (tmp_path / "team" / "qcode.sqlite").exists()  # the data went to the server
    assert database_url in (tmp_path / "team" / "qcode.toml").read_text(encoding="utf-8")
    team, solo = coding.open_project(tmp_path / "team"), coding.open_project(tmp_path / "solo")
    assert team.store.engine.dialect.name == "postgresql"
    assert team.counts() == solo.counts()
    assert team.counts()["documents"] == 18
    pd.testing.assert_frame_equal(on_postgres, on_sqlite)
    assert on_postgres.set_index("code").loc["external_actors", "Total"] == 18
    long_team = team.store.codings_frame(team.unit)
    long_solo = solo.store.codings_frame(solo.unit)
    assert len(long_team) == len(long_solo) > 0
    # The dashboard's lean read and its refresh after a single edit, on the server too.
    lean = team.decisions()
    assert len(lean) == len(long_team) and set(lean["person"].dropna()) == set(solo.decisions()["person"].dropna())
    before = team.state_token()
    segment = int(lean["segment_id"].iloc[0])
    team.apply_code(segment, "corruption", "pat")
    assert team.edited_segments(before, team.state_token()) == {segment}
    assert "pat" in set(team.decisions([segment])["person"])


def test_postgresql_database_is_migrated_to_head(database_url):
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from coding.store import Store
    from coding.store.database import alembic_config

    store = Store(database_url)
    Store(database_url)  # opening again is harmless
    with store.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    assert current == ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()


def test_replace_and_a_refused_import_on_postgresql(database_url, tmp_path):
    import coding

    transcript = tmp_path / "R101.txt"
    shutil.copyfile(FIXTURES / "R101.txt", transcript)
    project = coding.create_project(tmp_path / "project", db=database_url)
    project.ingest([transcript])
    project.segment("paragraph")
    codings = tmp_path / "codings.csv"
    codings.write_text(
        "document,code,text\nR101,civil_society,women's group\nR101,refugees,the refugees came back\n",
        encoding="utf-8",
    )
    assert project.import_codings(codings, "ann")["added"] == 2

    bad = tmp_path / "bad.csv"
    bad.write_text("document,code,text\nR101,womens_roles,Still\nR101,nope,x\n", encoding="utf-8")
    before = project.counts()
    with pytest.raises(coding.QcodeError):
        project.import_codings(bad, "ann")
    assert project.counts() == before

    transcript.write_text(transcript.read_text(encoding="utf-8").replace("Slowly.", "Very slowly."), encoding="utf-8")
    report = project.ingest([transcript], replace=True)
    assert (report.codings_carried, report.codings_left_on_previous) == (1, 1)
    assert list(project.codings()["code"]) == ["civil_society"]


def test_migration_0002_on_postgresql_with_decided_suggestions(database_url, tmp_path):
    # Decisions as the first schema stored them (on the suggestion's own row), then opened at head.
    from sqlalchemy import create_engine, text

    import coding

    folder = tmp_path / "team"
    run("init", folder, "--db", database_url)
    run("ingest", FIXTURES, "--project", folder)
    run("segment", "--unit", "paragraph", "--project", folder)
    run("autocode", "--rules", "--project", folder)
    engine = create_engine(database_url)
    with engine.begin() as connection:
        ids = connection.execute(text("select id from codings where coder = 'rules.v1' order by id")).scalars().all()
        twice = ids[1]
        connection.execute(
            text(f"update codings set status = 'accepted', decided_by = 'ann' where id in ({ids[0]}, {twice})")
        )
        connection.execute(
            text(
                "insert into codings (segment_id, code_id, coder, source, source_name, confidence, status, decided_by, "
                "created_at, updated_at) select segment_id, code_id, 'model.v1', 'model', 'model.v1', 0.9, 'rejected', "
                f"'ann', created_at, updated_at + interval '1 day' from codings where id = {twice}"
            )
        )
    engine.dispose()
    at_revision(database_url, "0001")
    with pytest.raises(coding.QcodeError, match="qcode upgrade"):  # never migrated silently
        coding.open_project(folder)
    run("upgrade", "--project", folder)
    project = coding.open_project(folder)
    rows = project.codings("all", include_rejected=True)
    ann = rows[rows["coder"] == "ann"]
    assert sorted(ann[["source", "status"]].values.tolist()) == [["model", "rejected"], ["rule", "accepted"]]
    assert set(rows.loc[rows["coder"].isin(["rules.v1", "model.v1"]), "status"]) == {"suggested"}


def at_revision(database_url: str, revision: str) -> None:
    """Take the database back to an older schema as an older qcode left it (0002 has no downgrade: below it
    the revision is only relabelled)."""
    from alembic import command
    from sqlalchemy import create_engine, text

    from coding.store.database import alembic_config, engine_for

    engine_for(database_url).dispose()
    command.downgrade(alembic_config(database_url), max(revision, "0002"))
    if revision < "0002":
        engine = create_engine(database_url)
        with engine.begin() as connection:
            connection.execute(text("update alembic_version set version_num = :r"), {"r": revision})
        engine.dispose()


def test_postgresql_is_migrated_only_by_qcode_upgrade_and_0003_types_the_log(database_url, tmp_path):
    from sqlalchemy import create_engine, inspect

    import coding

    folder = tmp_path / "team"
    run("init", folder, "--db", database_url)
    run("ingest", FIXTURES, "--project", folder)
    run("segment", "--unit", "paragraph", "--project", folder)
    run("autocode", "--rules", "--project", folder)
    project = coding.open_project(folder)
    segment = int(project.segments_frame()["segment_id"].iloc[0])
    project.apply_code(segment, "corruption", "pat")
    project.set_memo(segment, "a note", "pat")
    suggestion = project.codings("auto").iloc[0]
    project.decide_suggestion(int(suggestion["coding_id"]), True, "pat")
    written = project.store.log_frame()
    at_revision(database_url, "0002")

    with pytest.raises(coding.QcodeError, match=r"revision 0002 .*run 'qcode upgrade'"):
        coding.open_project(folder)
    engine = create_engine(database_url)
    assert "segment_id" not in {c["name"] for c in inspect(engine).get_columns("change_log")}  # untouched
    engine.dispose()

    result = run("upgrade", "--db", database_url)  # --db alone: no project folder needed
    assert "is at the newest schema" in result.output and "kept in" not in result.output
    migrated = coding.open_project(folder).store.log_frame()
    typed = ["id", "action", "target", "segment_id", "coding_id", "code_id"]
    pd.testing.assert_frame_equal(migrated[typed], written[typed])
    accept = migrated.set_index("action").loc["accept"]
    assert [accept["segment_id"], accept["code_id"]] == [suggestion["segment_id"], suggestion["code"]]
