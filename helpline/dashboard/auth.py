"""The page's services, the signed-in coordinator of a request, its language, and the security headers."""
from __future__ import annotations

import functools
from dataclasses import dataclass

from flask import current_app, g, jsonify, redirect, request, url_for

from helpline.i18n import SUPPORTED, get_catalogs, normalise_locale

from . import csrf
from .accounts import Accounts
from .audit import AuditLog
from .present import AUTONYMS
from .sessions import LoginLimiter, Sessions

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer", "Cross-Origin-Opener-Policy": "same-origin",
           "Permissions-Policy": "camera=(), microphone=(), geolocation=()"}


@dataclass
class Services:
    """The page's objects, created once per app."""

    accounts: Accounts
    sessions: Sessions
    limiter: LoginLimiter
    audit: AuditLog


def init_app(app) -> None:
    client, config = app.extensions["helpline.redis"], app.config
    institution = app.config["INSTITUTION"]
    app.extensions["helpline.dashboard"] = Services(
        accounts=Accounts(client),
        sessions=Sessions(client, idle_seconds=config.get("DASHBOARD_IDLE_SECONDS", 1800),
                          max_seconds=config.get("DASHBOARD_MAX_SESSION_SECONDS", 12 * 3600)),
        limiter=LoginLimiter(client, window=config.get("DASHBOARD_LOGIN_WINDOW_SECONDS", 900),
                             per_user=config.get("DASHBOARD_LOGIN_PER_USER", 5),
                             per_ip=config.get("DASHBOARD_LOGIN_PER_IP", 20)),
        audit=AuditLog(client, retention_seconds=institution.audit_retention_days * 86400),
    )


def services() -> Services:
    return current_app.extensions["helpline.dashboard"]


def secure() -> bool:
    return str(current_app.config.get("HELPLINE_PUBLIC_URL") or "").startswith("https://")


def cookie_name() -> str:
    return "__Host-hl_coord" if secure() else "hl_coord"


def client_ip() -> str:
    return request.remote_addr or ""


def record(action: str, *, item=None, detail: str = "", who: str | None = None) -> None:
    session = g.get("coordinator")
    services().audit.record(who or (session.user if session else "-"), action, item=item, ip=client_ip(),
                            detail=detail)


def locale() -> str:
    """The signed-in coordinator's choice, else ?lang=, else the browser's, else the institution's."""
    session = g.get("coordinator")
    if session:
        return session.locale
    asked = request.args.get("lang") or request.accept_languages.best_match(SUPPORTED)
    return normalise_locale(asked, current_app.config["INSTITUTION"].default_locale)


def template_context() -> dict:
    catalogs, lang = get_catalogs(), locale()
    session = g.get("coordinator")
    return {"_": lambda msgid, **params: catalogs.gettext(lang, msgid, **params), "lang": lang,
            "autonyms": AUTONYMS, "coordinator": session, "csrf_token": session.csrf if session else ""}


def load_session(*, touch: bool = True):
    g.coordinator = services().sessions.load(request.cookies.get(cookie_name()), touch=touch)
    return g.coordinator


def signed_in(view=None, *, api: bool = False, touch: bool = True):
    """Pages redirect to the sign-in form, the JSON API answers 401; POSTs then need the CSRF token."""
    if view is None:
        return functools.partial(signed_in, api=api, touch=touch)

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not load_session(touch=touch):
            if api:
                return jsonify({"error": "signed-out"}), 401
            expired = bool(request.cookies.get(cookie_name()))
            return redirect(url_for("dashboard.sign_in", expired=1 if expired else None))
        if request.method == "POST":
            csrf.require(g.coordinator.csrf)
        return view(*args, **kwargs)

    return wrapper


def security_headers(response):
    response.headers.update(HEADERS)
    if request.endpoint != "dashboard.static":
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def register(bp) -> None:
    bp.context_processor(template_context)
    bp.after_request(security_headers)
