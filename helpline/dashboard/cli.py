"""`helpline coordinators add|passwd|remove|list` and `helpline audit`: accounts and the audit log."""
from __future__ import annotations

import json
import re
import sys
import time
from datetime import datetime

import click

from helpline.errors import HelplineError
from helpline.i18n import SUPPORTED


UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
RELATIVE = re.compile(r"^(\d+)([smhdw])$")


def _services():
    """Accounts, sessions and the audit log of the configured app."""
    from helpline.cli import _app

    app = _app()
    svc = app.extensions["helpline.dashboard"]
    return svc.accounts, svc.sessions, svc.audit


def _institution():
    """The institution file named by the environment (to check a linked coordinator name)."""
    from helpline.config import load_institution, settings_from_env

    return load_institution(settings_from_env()["HELPLINE_CONFIG"])


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _fail(exc: HelplineError):
    raise click.ClickException(str(exc)) from exc


@click.group()
def coordinators() -> None:
    """Accounts of the coordinators' page (/coordinators)."""


@coordinators.command("add")
@click.argument("username")
@click.option("--locale", type=click.Choice(SUPPORTED), default="fr", show_default=True, help="Page language.")
@click.option("--name", default="", help="The coordinator's name in the institution file, e.g. "
              "\"Camille Martin\": callbacks taken on the page are taken under it.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def add(username: str, locale: str, name: str, password_stdin: bool) -> None:
    """Create an account (the password is asked twice, hidden)."""
    accounts, _, audit = _services()
    known = {c.name for c in _institution().coordinators}
    if name and known and name not in known:
        click.echo(f"Warning: {name!r} is not a coordinator of the institution file ({', '.join(sorted(known))}).",
                   err=True)
    try:
        account = accounts.add(username, _password(password_stdin), locale, name)
    except HelplineError as exc:
        _fail(exc)
    audit.record("cli", "account_added", detail=account.username)
    click.echo(f"Coordinator {account.username} added.")


@coordinators.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def passwd(username: str, password_stdin: bool) -> None:
    """Set a new password; the account's open sessions end."""
    accounts, sessions, audit = _services()
    try:
        accounts.set_password(username, _password(password_stdin))
    except HelplineError as exc:
        _fail(exc)
    ended = sessions.end_all(username.strip().lower())
    audit.record("cli", "password_changed", detail=username)
    click.echo(f"Password changed for {username}; {ended} session(s) ended.")


@coordinators.command("remove")
@click.argument("username")
def remove(username: str) -> None:
    """Delete an account and end its sessions."""
    accounts, sessions, audit = _services()
    try:
        accounts.remove(username)
    except HelplineError as exc:
        _fail(exc)
    sessions.end_all(username.strip().lower())
    audit.record("cli", "account_removed", detail=username)
    click.echo(f"Coordinator {username} removed.")


@coordinators.command("list")
def list_accounts() -> None:
    """Print the usernames."""
    accounts, _, _ = _services()
    for name in accounts.names():
        click.echo(name)


def parse_since(value: str | None, now: float | None = None) -> float | None:
    """'2h', '30m', '7d' ago, or an ISO date/time such as 2025-01-31 or 2025-01-31T08:00."""
    if not value:
        return None
    now = time.time() if now is None else now
    match = RELATIVE.match(value.strip())
    if match:
        return now - int(match.group(1)) * UNITS[match.group(2)]
    try:
        return datetime.fromisoformat(value.strip()).timestamp()
    except ValueError as exc:
        raise click.BadParameter("use 30m, 2h, 7d or an ISO date such as 2025-01-31T08:00") from exc


@click.command("audit")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one list).")
@click.option("--since", help="Only entries since 30m, 2h, 7d, or an ISO date/time.")
def audit(as_json: bool, since: str | None) -> None:
    """Print the coordinators' audit log, oldest first."""
    start = parse_since(since)
    _, _, log = _services()
    entries = log.entries(since=start)
    if as_json:
        click.echo(json.dumps([e.to_dict() for e in entries], indent=2, ensure_ascii=False))
        return
    if not entries:
        click.echo("No audit entries.")
    for e in entries:
        when = datetime.fromtimestamp(e.at).strftime("%Y-%m-%d %H:%M:%S")
        item = f" #{e.item}" if e.item else ""
        click.echo(f"{when} {e.who:<16} {e.action:<16}{item} {e.detail} {e.ip}".rstrip())
