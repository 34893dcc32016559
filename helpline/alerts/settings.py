"""The worker's settings from the [alerts] table, and the step runner built from the app's config.

[alerts] in the institution file (all optional; the first two are read by helpline.config):
  escalate_after_seconds   300   an urgent item goes to the next coordinator after this long
  first_call_after_seconds 60    the alert call follows the SMS after this long
  send_attempts            4     Twilio requests per step on transient failures (429, 5xx, refused)
  retry_base_seconds       0.5   backoff base (full jitter, doubling)
  retry_cap_seconds        4     longest wait between two attempts, Retry-After included
  twilio_timeout_seconds   10    connect/read timeout of one Twilio request
  lease_seconds            5     how long a claimed step stays with a worker without a heartbeat
  sender_threads           4     steps sent in parallel by one worker
  journal_every_seconds    3     how often the local journal of urgent flags is replayed
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import url_for

from helpline.errors import ConfigError
from helpline.optout import OptOuts
from helpline.twilio_client import make_client

from .delivery import RetryPolicy, TwilioSender
from .plan import Timing
from .steps import StepRunner

NUMBERS = {  # key -> (default, type)
    "send_attempts": (4, int), "retry_base_seconds": (0.5, float), "retry_cap_seconds": (4.0, float),
    "twilio_timeout_seconds": (10.0, float), "lease_seconds": (5.0, float), "sender_threads": (4, int),
    "journal_every_seconds": (3.0, float),
}


@dataclass(frozen=True)
class AlertSettings:
    timing: Timing
    policy: RetryPolicy
    twilio_timeout: float
    lease: float
    threads: int
    journal_every: float

    @classmethod
    def from_institution(cls, institution) -> "AlertSettings":
        table = institution.extra.get("alerts", {}) if institution.extra else {}
        values = {}
        for key, (default, kind) in NUMBERS.items():
            value = table.get(key, default)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0 or (
                    kind is int and value != int(value)):
                raise ConfigError(f"{institution.source}: [alerts] {key} must be a positive number, not {value!r}")
            values[key] = kind(value)
        return cls(
            timing=Timing(institution.first_call_after_seconds, institution.escalate_after_seconds),
            policy=RetryPolicy(values["send_attempts"], values["retry_base_seconds"], values["retry_cap_seconds"]),
            twilio_timeout=values["twilio_timeout_seconds"], lease=values["lease_seconds"],
            threads=values["sender_threads"], journal_every=values["journal_every_seconds"])


def alert_call_url(app, cb_id: int, coordinator: int, locale: str) -> str | None:
    """The public URL of the alert call's TwiML, or None when HELPLINE_PUBLIC_URL is not set."""
    base = app.config.get("HELPLINE_PUBLIC_URL")
    if not base:
        return None
    with app.test_request_context("/", base_url=base.rstrip("/")):
        return url_for("alerts.call", id=cb_id, c=coordinator, lang=locale, _external=True)


def build_runner(app, queue, state, settings: AlertSettings, worker: str, client) -> StepRunner:
    """The step runner wired from the app's config: Twilio client, catalogs, opt-outs."""
    config = app.config
    twilio = make_client(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"], config["TWILIO_API_BASE_URL"],
                         timeout=settings.twilio_timeout)
    return StepRunner(
        queue=queue, state=state, sender=TwilioSender(twilio, config["HELPLINE_FROM_NUMBER"], settings.policy),
        institution=config["INSTITUTION"], gettext=app.extensions["helpline.catalogs"].gettext,
        optouts=OptOuts(client, config["SECRET_KEY"]),
        call_url=lambda cb_id, index, locale: alert_call_url(app, cb_id, index, locale),
        worker=worker, timing=settings.timing)
