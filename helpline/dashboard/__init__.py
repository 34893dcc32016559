"""The coordinators' page: sign in, see the callback queue, take, note and resolve items.

Mounted at /coordinators. Its services (accounts, sessions, the sign-in limit, the audit log) are
created when the blueprint is registered and reached through `auth.services()`.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint

STATIC = Path(__file__).resolve().parent.parent / "static"


def create_blueprint() -> Blueprint:
    """The `dashboard` blueprint; it serves its own static files so they get its security headers."""
    from . import auth, signin, views

    bp = Blueprint("dashboard", __name__, url_prefix="/coordinators", static_folder=str(STATIC),
                   static_url_path="/static")
    bp.record_once(lambda state: auth.init_app(state.app))
    auth.register(bp)
    signin.register(bp)
    views.register(bp)
    return bp
