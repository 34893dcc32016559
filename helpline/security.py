"""Twilio webhook signatures, checked against the public URL Twilio called.

Behind a TLS-terminating proxy Flask sees `http://internal:8000/voice`, while Twilio signed
`https://helpline.example.org/voice`. The URL is therefore rebuilt from HELPLINE_PUBLIC_URL plus the
request's path and query; X-Forwarded-* headers are ignored. The primary and a secondary auth token
are both accepted, for a rotation window.
"""
from __future__ import annotations

import functools
import logging

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator, compare, get_signature_algorithm

log = logging.getLogger("helpline.security")


def public_url() -> str:
    """The URL Twilio requested, as seen from outside: configured base + path + query."""
    base = (current_app.config.get("HELPLINE_PUBLIC_URL") or request.host_url).rstrip("/")
    query = request.query_string.decode("latin-1")
    return f"{base}{request.path}" + (f"?{query}" if query else "")


def signature_is_valid() -> bool:
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    algorithm = get_signature_algorithm(request.headers.get("X-Twilio-Webhooks-Signature-Settings"))
    url = public_url()
    if request.mimetype == "application/json":
        params = request.get_data(as_text=True)
    else:
        params = request.form
    for validator in current_app.extensions["helpline.validators"]:
        # The URL exactly as configured is what Twilio signs almost always: one HMAC. The full
        # check (with and without the default port, JSON body hash) only when that fails.
        if isinstance(params, str) or not compare(validator.compute_signature(url, params, algorithm), signature):
            if not validator.validate(url, params, signature, algorithm):
                continue
        return True
    return False


def twilio_signed(view):
    """Refuse (403) any request whose X-Twilio-Signature does not match; nothing else runs."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not signature_is_valid():
            log.warning("signature rejected path=%s", request.path)
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def init_app(app) -> None:
    """Build one validator per accepted token (primary, then the rotation's secondary)."""
    tokens = [app.config["TWILIO_AUTH_TOKEN"], app.config.get("TWILIO_AUTH_TOKEN_SECONDARY")]
    app.extensions["helpline.validators"] = [RequestValidator(t) for t in tokens if t]
