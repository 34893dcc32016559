"""`helpline simulate`: call or text a running service as Twilio would, and read the local inbox."""
from __future__ import annotations

import json
import os

import click

from helpline.config import DEFAULTS

from .call import DIAL, ScriptError, parse_script, parse_step
from .client import DEFAULT_CALLER, DEFAULT_TEXTER, DEFAULT_TO, SimulatorError, Transport, find_token
from .session import GATHER, TRANSFER, CallSession, run_script
from .texting import inbox_lines, read_inbox, send_sms, sink_url, transcript

_url = click.option("--url", default="http://127.0.0.1:5000", show_default=True,
                    help="Where the service listens (requests are sent here).")
_public = click.option("--public-url", envvar="HELPLINE_PUBLIC_URL", default=None,
                       help="The URL Twilio would call, signed in every request [env HELPLINE_PUBLIC_URL; "
                            "default: --url].")
_token = click.option("--token", default=None,
                      help="Auth token to sign with [default: TWILIO_AUTH_TOKEN, else the local-mode token "
                           "in HELPLINE_DATA_DIR].")
_to = click.option("--to", "to", default=lambda: os.environ.get("HELPLINE_FROM_NUMBER") or DEFAULT_TO,
                   show_default="HELPLINE_FROM_NUMBER", help="The helpline's number.")


def _transport(url: str, public_url: str | None, token: str | None) -> Transport:
    try:
        return Transport(url, find_token(token), public_url)
    except SimulatorError as exc:
        raise click.ClickException(str(exc)) from exc


def _terminal_caller(kind: str, prompt: str):
    """Ask a person: keys, typed words (speech), nothing (silence) or a transfer outcome."""
    hint = "keys, words, or Enter for silence" if kind == GATHER else "Enter: completed, busy, no-answer, failed"
    while True:
        try:
            typed = click.prompt(f"{prompt} [{hint}]", default="", show_default=False)
        except click.Abort:
            return None
        try:
            step = parse_step(typed or ("" if kind == GATHER else "completed"), typed=kind == GATHER)
        except ScriptError as exc:
            click.echo(f"    {exc}")
            continue
        if (kind == TRANSFER) == (step.kind == DIAL):
            return step
        click.echo("    not an answer here: " + hint)


@click.group()
def simulate() -> None:
    """Try the service without a phone: a call, a text, the alerts it sent (local mode)."""


@simulate.command("call")
@click.option("--from", "caller", default=DEFAULT_CALLER, show_default=True, help="The caller's number.")
@_to
@_url
@_public
@_token
@click.option("--script", default=None,
              help='Run without a terminal: steps separated by ";" (keys, silence, say:<words>, '
                   'completed|busy|no-answer|failed), e.g. "1;silence;say:je veux un rappel;busy".')
def call(caller: str, to: str, url: str, public_url: str | None, token: str | None, script: str | None) -> None:
    """Place a call: hear each <Say>, answer each <Gather>, choose how each transfer ends."""
    transport = _transport(url, public_url, token)
    try:
        if script is not None:
            record = run_script(transport, parse_script(script), click.echo, caller=caller, to=to)
        else:
            record = CallSession(transport, _terminal_caller, click.echo, caller=caller, to=to).run()
    except SimulatorError as exc:
        raise click.ClickException(str(exc)) from exc
    if record.error:
        raise SystemExit(1)


@simulate.command("sms")
@click.argument("text")
@click.option("--from", "sender", default=DEFAULT_TEXTER, show_default=True,
              help="The sender; a coordinator's number lets you answer an alert (OK 42).")
@_to
@_url
@_public
@_token
def sms(text: str, sender: str, to: str, url: str, public_url: str | None, token: str | None) -> None:
    """Send one text message and print the replies with their segment count and encoding."""
    transport = _transport(url, public_url, token)
    try:
        replies = send_sms(transport, text, sender=sender, to=to)
    except SimulatorError as exc:
        raise click.ClickException(str(exc)) from exc
    for line in transcript(text, sender, replies):
        click.echo(line)


@simulate.command("inbox")
@click.option("--data-dir", envvar="HELPLINE_DATA_DIR", default=DEFAULTS["HELPLINE_DATA_DIR"], show_default=True,
              help="The service's data directory (holds sink.url) [env HELPLINE_DATA_DIR].")
@click.option("--sink", "sink", default=None, help="The sink's URL, instead of <data dir>/sink.url.")
@click.option("--wait", default=0.0, type=float, help="Wait up to this many seconds for --count items.")
@click.option("--count", default=1, type=int, show_default=True, help="How many items --wait waits for.")
@click.option("--json", "as_json", is_flag=True, help="Print the recorded requests as JSON.")
def inbox(data_dir: str, sink: str | None, wait: float, count: int, as_json: bool) -> None:
    """Print the SMS and calls a local-mode service sent (to coordinators) through its built-in sink."""
    try:
        sent = read_inbox(sink or sink_url(data_dir), wait=wait, at_least=count)
    except SimulatorError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(sent, indent=2, ensure_ascii=False))
        return
    for line in inbox_lines(sent):
        click.echo(line)
