"""The SMS channel: the short code's Messaging webhook as thin views over the keyword and reply tables."""
from __future__ import annotations

from flask import Blueprint


def create_blueprint() -> Blueprint:
    """The `sms` blueprint, mounted at /sms (the number's Messaging URL; /sms/fallback its fallback)."""
    from . import views

    bp = Blueprint("sms", __name__, url_prefix="/sms")
    views.register(bp)
    return bp
