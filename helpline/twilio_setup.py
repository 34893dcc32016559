"""`helpline twilio configure`: point a Twilio number's webhooks at this service through the REST API.

Sets, on the IncomingPhoneNumber found by its phone number:
  VoiceUrl = <public>/voice          VoiceFallbackUrl = <public>/voice/fallback
  SmsUrl   = <public>/sms            SmsFallbackUrl   = <public>/sms/fallback (only if the service has it)
all with method POST. Connection overrides (#ct, #rt, #tt, #rc...) can be added to the primary URLs:
Twilio reads them from the fragment and never sends the fragment itself.
"""
from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

import click
import requests
from twilio.base.exceptions import TwilioException, TwilioRestException

from .config import DEFAULTS, E164
from .errors import ConfigError, HelplineError, NotFound

# Twilio field -> (path, primary?)
WEBHOOKS = {
    "VoiceUrl": ("/voice", True),
    "VoiceFallbackUrl": ("/voice/fallback", False),
    "SmsUrl": ("/sms", True),
    "SmsFallbackUrl": ("/sms/fallback", False),
}
OVERRIDE = re.compile(r"^(ct|rt|tt|rc|rp|e|sni)=[\w,.-]+$")


def service_routes() -> set[str]:
    """POST paths the channel blueprints answer, read from the blueprints themselves (no Redis needed)."""
    from flask import Flask

    from ivr import create_blueprint as voice_blueprint
    from sms import create_blueprint as sms_blueprint

    from .config import Institution
    from .i18n import Catalogs

    app = Flask("helpline.routes")
    app.config["INSTITUTION"] = Institution()
    app.extensions["helpline.catalogs"] = Catalogs()  # the blueprints precompute their safety nets
    app.register_blueprint(voice_blueprint())
    app.register_blueprint(sms_blueprint())
    return {rule.rule for rule in app.url_map.iter_rules() if "POST" in (rule.methods or ())}


def check_overrides(overrides: str) -> str:
    """'ct=2000&rt=10000' -> the same, validated; '' stays ''."""
    parts = [p for p in overrides.lstrip("#").split("&") if p]
    bad = [p for p in parts if not OVERRIDE.match(p)]
    if bad:
        raise ConfigError(f"unknown connection override {bad[0]!r}: use ct=, rt=, tt=, rc=, rp=, e=, sni=")
    return "&".join(parts)


def number_settings(public_url: str, routes: set[str], overrides: str = "") -> dict[str, str]:
    """The fields to set on the number: each webhook whose path the service answers, methods POST."""
    base = public_url.rstrip("/")
    if urlsplit(base).scheme not in ("http", "https") or not urlsplit(base).netloc:
        raise ConfigError(f"HELPLINE_PUBLIC_URL {public_url!r} is not an http(s) URL")
    fragment = check_overrides(overrides)
    settings = {}
    for field, (path, primary) in WEBHOOKS.items():
        if path not in routes:
            continue
        settings[field] = base + path + (f"#{fragment}" if primary and fragment else "")
        settings[field.removesuffix("Url") + "Method"] = "POST"
    return settings


def configure_number(client, phone_number: str, settings: dict[str, str]):
    """Find the account's number by its phone number and update it; return the updated resource."""
    found = [n for n in client.incoming_phone_numbers.list(phone_number=phone_number, limit=20)
             if n.phone_number == phone_number]
    if not found:
        raise NotFound(f"{phone_number} is not a number of this Twilio account")
    fields = {re.sub(r"(?<!^)(?=[A-Z])", "_", k).lower(): v for k, v in settings.items()}
    return client.incoming_phone_numbers(found[0].sid).update(**fields)


def warnings_for(public_url: str, api_base_url: str) -> list[str]:
    """What will not work with real Twilio, said before changing anything."""
    parts, real = urlsplit(public_url), api_base_url.rstrip("/") == DEFAULTS["TWILIO_API_BASE_URL"]
    notes = []
    if real and parts.hostname in ("127.0.0.1", "localhost", "::1", "0.0.0.0"):
        notes.append(f"{public_url} is a loopback address: Twilio cannot reach it")
    if real and parts.scheme != "https":
        notes.append("the public URL is not https: webhooks and their signatures travel in clear text")
    return notes


@click.group()
def twilio() -> None:
    """Set up the Twilio side: the number's webhook URLs."""


@twilio.command("configure")
@click.option("--number", required=True, help="The helpline's Twilio number, E.164 (+33...).")
@click.option("--public-url", envvar="HELPLINE_PUBLIC_URL", required=True,
              help="The service's public base URL [env HELPLINE_PUBLIC_URL].")
@click.option("--overrides", default="", help="Connection overrides for VoiceUrl and SmsUrl, e.g. 'ct=2000&rt=8000'.")
@click.option("--dry-run", is_flag=True, help="Print the settings without calling Twilio.")
def configure(number: str, public_url: str, overrides: str, dry_run: bool) -> None:
    """Point NUMBER's Voice and Messaging webhooks (and fallbacks) at this service, method POST."""
    from .twilio_client import make_client

    env = {k: os.environ.get(k) or v for k, v in DEFAULTS.items()}
    if not E164.match(number):
        raise click.ClickException(f"{number!r} is not an E.164 number such as +33612345678")
    try:
        settings = number_settings(public_url, service_routes(), overrides)
    except HelplineError as exc:
        raise click.ClickException(str(exc)) from exc
    for note in warnings_for(public_url, env["TWILIO_API_BASE_URL"]):
        click.echo(f"warning: {note}", err=True)
    if not dry_run:
        key, secret = os.environ.get("TWILIO_API_KEY"), os.environ.get("TWILIO_API_SECRET")
        real = env["TWILIO_API_BASE_URL"].rstrip("/") == DEFAULTS["TWILIO_API_BASE_URL"]
        if real and not env["TWILIO_AUTH_TOKEN"] and not key:
            raise click.ClickException("set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and "
                                       "TWILIO_API_SECRET) to change the number")
        client = make_client(env["TWILIO_ACCOUNT_SID"], env["TWILIO_AUTH_TOKEN"] or "local",
                             env["TWILIO_API_BASE_URL"], api_key=key, api_secret=secret)
        try:
            configure_number(client, number, settings)
        except NotFound as exc:
            raise click.ClickException(str(exc)) from exc
        except requests.RequestException as exc:
            raise click.ClickException(f"Twilio's API did not answer: {exc}") from exc
        except TwilioRestException as exc:
            raise click.ClickException(f"Twilio refused the update: HTTP {exc.status}, error {exc.code}: "
                                       f"{exc.msg}") from exc
        except TwilioException as exc:  # listing errors come as the base class, with the response
            raise click.ClickException("Twilio refused the request: " + ": ".join(map(str, exc.args))) from exc
    click.echo(f"{'Would set' if dry_run else 'Set'} on {number}:")
    for field, value in settings.items():
        click.echo(f"  {field:<20} {value}")
