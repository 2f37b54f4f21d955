"""`qcode users add|list|remove`: the accounts that may log in to the dashboard (coding/auth.py).

Passwords come from a hidden prompt (asked twice) or the first line of --password-file; they are never echoed,
never taken on the command line (where `ps` and shell histories show them), and only their hash is stored."""

from __future__ import annotations

import stat
from pathlib import Path

import click

from .cli_output import handles_errors, note
from .cli_project import open_from, project_options


def read_password_file(path: Path) -> str:
    from .auth import check_password
    from .errors import UsageError

    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise UsageError(f"{path}: a folder, not a password file") from None
    if len(data) > 64 * 1024:
        raise UsageError(f"{path}: too large for a password file (the password is its first line)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text") from None
    password = text.splitlines()[0] if text.splitlines() else ""
    if not password:
        raise UsageError(f"{path}: the first line is empty (it should hold the password)")
    try:
        check_password(password)
    except UsageError as exc:
        raise UsageError(f"{path}: {exc}") from None
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        note(f"{path} can be read by other users of this machine: delete it or 'chmod 600' it")
    return password


@click.group("users")
def users_command() -> None:
    """Accounts that may log in to the dashboard (needed for 'qcode app --host' beyond this machine)."""


@users_command.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(["coder", "lead"]),
    required=True,
    help="lead: may also edit the codebook, merge codes and resolve disagreements.",
)
@click.option(
    "--password-file",
    type=click.Path(dir_okay=True, path_type=Path),
    help="Read the password from the first line of this file (default: ask for it, hidden).",
)
@project_options
@click.pass_context
@handles_errors
def add(
    ctx: click.Context, name: str, role: str, password_file: Path | None, project_dir: Path | None, db: str | None
) -> None:
    """Add an account NAME; the person's codings and memos are recorded under NAME."""
    from .auth import check_name, check_password

    project = open_from(ctx, project_dir, db)
    check_name(name)  # before asking for a password that would be thrown away
    if password_file is not None:
        password = read_password_file(password_file)
    else:
        password = click.prompt(f"Password for {name.strip()}", hide_input=True, confirmation_prompt=True, err=True)
    check_password(password)
    stored = project.accounts.add(name, role, password)
    click.echo(f"added {role} {stored!r}")


@users_command.command("list")
@project_options
@click.pass_context
@handles_errors
def list_accounts(ctx: click.Context, project_dir: Path | None, db: str | None) -> None:
    """List the accounts and their roles."""
    project = open_from(ctx, project_dir, db)
    found = project.accounts.all()
    if not found:
        click.echo("no accounts: the dashboard only listens on this machine ('qcode users add NAME --role lead')")
        return
    for name, role in found:
        click.echo(f"{name}\t{role}")


@users_command.command("remove")
@click.argument("name")
@project_options
@click.pass_context
@handles_errors
def remove(ctx: click.Context, name: str, project_dir: Path | None, db: str | None) -> None:
    """Remove the account NAME (their codings and memos stay, under their name)."""
    project = open_from(ctx, project_dir, db)
    project.accounts.remove(name)
    click.echo(f"removed {name!r}; their codings and memos stay")
