"""The `helpline` command: run the service, work the callback queue, and the tools around them."""
from __future__ import annotations

import json
from datetime import datetime

import click

from .config import settings_from_env
from .errors import HelplineError


def _app(*, logs_to: str = "stderr"):
    """The app for commands that need its services (Redis, config); errors become clean messages.

    A command's output is its result (often JSON), so its log lines go to stderr unless it is a
    service (`worker`), which logs to stdout like the web processes.
    """
    from . import create_app

    try:
        return create_app({"HELPLINE_LOG_STREAM": logs_to})
    except HelplineError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group()
def cli() -> None:
    """Voice and SMS helpline for healthcare workers after an adverse event."""


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=2, show_default=True, type=int, help="Web worker processes.")
def serve(host: str, port: int, workers: int) -> None:
    """Run the whole service on this machine: web, alert worker, embedded Redis when REDIS_URL is unset."""
    from .supervisor import Supervisor

    try:
        Supervisor(settings_from_env(), host=host, port=port, web_workers=workers).run()
    except HelplineError as exc:
        raise click.ClickException(str(exc)) from exc


@cli.group()
def callbacks() -> None:
    """Read and work the callback queue."""


def _print_items(items, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps([c.to_dict() for c in items], indent=2, ensure_ascii=False))
        return
    if not items:
        click.echo("No open callbacks.")
    for c in items:
        when = datetime.fromtimestamp(c.created).strftime("%Y-%m-%d %H:%M")
        owner = f" taken by {c.taken_by}" if c.taken_by else ""
        click.echo(f"#{c.id:<5} {c.urgency:<8} {c.status:<9}{owner} {c.source:<5} {c.locale} {when} {c.number or '-'}")


@callbacks.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def callbacks_list(as_json: bool) -> None:
    """List open callbacks, urgent first."""
    app = _app()
    with app.app_context():
        _print_items(app.extensions["helpline.callbacks"].open_items(), as_json)


@callbacks.command("show")
@click.argument("callback_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def callbacks_show(callback_id: int, as_json: bool) -> None:
    """Show one callback with its history."""
    app = _app()
    queue = app.extensions["helpline.callbacks"]
    try:
        item, steps = queue.get(callback_id), queue.steps(callback_id)
    except HelplineError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps({**item.to_dict(), "steps": steps}, indent=2, ensure_ascii=False))
        return
    _print_items([item], False)
    for step in steps:
        when = datetime.fromtimestamp(step.pop("at")).strftime("%H:%M:%S")
        click.echo(f"  {when} {step.pop('step')} {' '.join(f'{k}={v}' for k, v in step.items())}")


@cli.command()
def purge() -> None:
    """Apply the retention of the institution file now (resolved callbacks, TTLs, audit log)."""
    from .retention import purge as run_purge

    app = _app()
    institution = app.config["INSTITUTION"]
    days = institution.retention_days
    report = run_purge(app.extensions["helpline.redis"], days, audit_retention_days=institution.audit_retention_days)
    click.echo(f"retention {days} days: {report.deleted} resolved callback(s) deleted, "
               f"{report.shortened} TTL(s) shortened, {report.audit_trimmed} audit entrie(s) trimmed")


def _register_commands() -> None:
    """Attach the commands that live beside their features (click wiring, no I/O)."""
    from .alerts.cli import ack, resolve, worker
    from .dashboard.cli import audit, coordinators
    from .distress.cli import detect
    from .simulator.cli import simulate
    from .twilio_setup import twilio

    for command in (worker, detect, simulate, twilio, coordinators, audit):
        cli.add_command(command)
    callbacks.add_command(ack)
    callbacks.add_command(resolve)


_register_commands()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="helpline")


if __name__ == "__main__":
    main()
