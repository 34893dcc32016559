"""Returning TwiML: one helper with the right content type."""
from __future__ import annotations

from flask import Response


def twiml(document) -> Response:
    """Serialise a TwiML builder (or a ready string) as an XML response."""
    body = document if isinstance(document, str) else str(document)
    return Response(body, status=200, mimetype="application/xml")
