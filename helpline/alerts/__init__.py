"""Callback alerts for coordinators: the worker (worker.py), its plan, sender and step records, and the
webhooks of the alert call (views.py). The key schema is in state.py, the delivery guarantees in worker.py.
"""
from __future__ import annotations

from flask import Blueprint


def create_blueprint() -> Blueprint:
    """The `alerts` blueprint, mounted at /alerts."""
    from . import views

    bp = Blueprint("alerts", __name__, url_prefix="/alerts")
    views.register(bp)
    return bp
