"""The voice channel: Twilio voice webhooks as thin views over the menu tables."""
from __future__ import annotations

from flask import Blueprint


def create_blueprint() -> Blueprint:
    """The `voice` blueprint, mounted at /voice."""
    from . import views

    bp = Blueprint("voice", __name__, url_prefix="/voice")
    views.register(bp)
    return bp
