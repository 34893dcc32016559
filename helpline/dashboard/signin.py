"""Signing in (rate-limited, CSRF-checked, audited), signing out, and choosing the page language."""
from __future__ import annotations

from flask import abort, g, make_response, redirect, render_template, request, url_for

from helpline.i18n import N_, SUPPORTED

from . import csrf
from .auth import client_ip, cookie_name, record, secure, services, signed_in

WRONG = N_("Wrong username or password.")
LIMITED = N_("Too many failed attempts. Wait a few minutes, then try again.")
EXPIRED = N_("Your session has ended. Please sign in again.")
SIGNED_OUT = N_("You are signed out.")


def sign_in():
    token = csrf.login_token()
    message, status = None, 200
    if request.args.get("expired"):
        message = EXPIRED
    elif request.args.get("out"):
        message = SIGNED_OUT
    if request.method == "POST":
        if not csrf.tokens_match(request.cookies.get(csrf.LOGIN_COOKIE), request.form.get(csrf.FIELD)):
            abort(403)
        message, status = attempt(request.form.get("username", "")[:64], request.form.get("password", "")[:1024])
        if status == 303:
            return message
    response = make_response(render_template("dashboard/sign_in.html", message=message, login_csrf=token,
                                             username=request.form.get("username", "")[:64]), status)
    csrf.set_login_cookie(response, token, secure=secure())
    return response


def attempt(username: str, password: str):
    """Check the limit, then the password; returns (redirect, 303) or (message, status)."""
    svc, ip = services(), client_ip()
    if svc.limiter.blocked(username, ip):
        svc.audit.record(username or "-", "sign_in_limited", ip=ip)
        return LIMITED, 429
    account = svc.accounts.verify(username, password)
    if account is None:
        svc.limiter.failed(username, ip)
        svc.audit.record(username or "-", "sign_in_failed", ip=ip)
        return WRONG, 401
    svc.limiter.succeeded(account.username)
    token, g.coordinator = svc.sessions.create(account.username, account.locale)
    record("sign_in")
    response = redirect(url_for("dashboard.queue"), 303)
    response.set_cookie(cookie_name(), token, httponly=True, secure=secure(), samesite="Lax", path="/")
    response.delete_cookie(csrf.LOGIN_COOKIE, path="/coordinators")
    return response, 303


@signed_in
def sign_out():
    record("sign_out")
    services().sessions.end(g.coordinator)
    response = redirect(url_for("dashboard.sign_in", out=1), 303)
    response.delete_cookie(cookie_name(), path="/", secure=secure(), httponly=True, samesite="Lax")
    return response


@signed_in
def choose_locale():
    choice = request.form.get("locale", "")
    if choice in SUPPORTED:
        services().sessions.set_locale(g.coordinator, choice)
        services().accounts.set_locale(g.coordinator.user, choice)
        record("locale", detail=choice)
    return redirect(url_for("dashboard.queue"), 303)


def register(bp) -> None:
    bp.add_url_rule("/sign-in", "sign_in", sign_in, methods=["GET", "POST"])
    bp.add_url_rule("/sign-out", "sign_out", sign_out, methods=["POST"])
    bp.add_url_rule("/locale", "choose_locale", choose_locale, methods=["POST"])
