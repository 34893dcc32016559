"""Commands: `helpline worker`, and `helpline callbacks ack|resolve` to work an item from a terminal."""
from __future__ import annotations

import json
import signal

import click

from helpline.errors import HelplineError

OUTCOMES = ("reached", "no-answer", "wrong-number", "declined", "referred", "other")


def _app(*, logs_to: str = "stderr"):
    from helpline.cli import _app as build

    return build(logs_to=logs_to)


def _echo_item(item, as_json: bool, text: str) -> None:
    if as_json:
        click.echo(json.dumps(item.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(text)


@click.command()
@click.option("--name", default=None, help="Consumer name in the stream group (default: host:pid).")
def worker(name: str | None) -> None:
    """Deliver callback alerts to coordinators (SMS, then calls, escalating until someone takes it)."""
    from .worker import Worker

    app = _app(logs_to="stdout")
    try:
        alert_worker = Worker(app, name=name)
    except HelplineError as exc:
        raise click.ClickException(str(exc)) from exc
    signal.signal(signal.SIGTERM, alert_worker.stop)
    signal.signal(signal.SIGINT, alert_worker.stop)
    alert_worker.run()


@click.command("ack")
@click.argument("callback_id", type=int)
@click.option("--as", "name", required=True, help="Who takes it (a coordinator's name).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def ack(callback_id: int, name: str, as_json: bool) -> None:
    """Take a callback: the first taker owns it, and the alerts stop."""
    app = _app()
    queue = app.extensions["helpline.callbacks"]
    try:
        item, newly = queue.take(callback_id, name.strip(), via="cli")
    except HelplineError as exc:
        raise click.ClickException(str(exc)) from exc
    state = "taken by" if newly else "was already yours,"
    _echo_item(item, as_json, f"#{item.id} {state} {item.taken_by}. Number: {item.number or '-'} ({item.locale})")


@click.command("resolve")
@click.argument("callback_id", type=int)
@click.option("--outcome", required=True, type=click.Choice(OUTCOMES), help="What came of the callback.")
@click.option("--note", default="", help="A short note (kept 500 characters; no clinical detail).")
@click.option("--as", "name", default="", help="Who resolves it (default: whoever took it).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def resolve(callback_id: int, outcome: str, note: str, name: str, as_json: bool) -> None:
    """Close a callback with its outcome."""
    app = _app()
    queue = app.extensions["helpline.callbacks"]
    try:
        by = name.strip() or queue.get(callback_id).taken_by or "cli"
        item = queue.resolve(callback_id, by, outcome, note)
    except HelplineError as exc:
        raise click.ClickException(str(exc)) from exc
    _echo_item(item, as_json, f"#{item.id} resolved ({item.outcome}) by {item.taken_by}")
