"""CSRF tokens for every form of the coordinators' page.

Signed in: one random token per session (kept in the Redis session), sent back as the hidden field
`csrf_token`. On the sign-in form, before any session exists: a random token in a short-lived
HttpOnly cookie that the form must repeat (double submit). Both are compared in constant time.
"""
from __future__ import annotations

import hmac
import secrets

from flask import abort, request

FIELD = "csrf_token"
LOGIN_COOKIE = "hl_login_csrf"
LOGIN_COOKIE_SECONDS = 1800


def tokens_match(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def require(expected: str | None) -> None:
    """Refuse (403) a form whose token is missing or wrong; nothing else runs."""
    if not tokens_match(expected, request.form.get(FIELD)):
        abort(403)


def login_token() -> str:
    """The sign-in form's token: the one already in the cookie, or a new one."""
    current = request.cookies.get(LOGIN_COOKIE, "")
    return current if 20 <= len(current) <= 100 else secrets.token_urlsafe(32)


def set_login_cookie(response, token: str, *, secure: bool) -> None:
    response.set_cookie(LOGIN_COOKIE, token, max_age=LOGIN_COOKIE_SECONDS, httponly=True, secure=secure,
                        samesite="Strict", path="/coordinators")
