"""Build the official Twilio REST client from config, optionally aimed at another base URL.

The official ``twilio.rest.Client`` does all the real work (auth, form encoding,
response parsing, ``TwilioRestException``). We only swap its HTTP client for one that:

- rewrites ``https://*.twilio.com`` to a configured base (the loopback sink in tests
  and local mode), keeping path and query;
- always has an explicit timeout and no transport-level retries (a retried POST could
  send an alert twice: retrying belongs to the caller, who can deduplicate);
- logs one masked line per request, never a body, a query value or a full number;
- remembers the last response per thread, so a caller can read ``Retry-After``.

Transport failures (timeouts, refused connections) are raised by ``requests`` as
``requests.exceptions.RequestException`` subclasses, as with the stock client.
"""
from __future__ import annotations

import logging
import threading
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

DEFAULT_API_BASE_URL = "https://api.twilio.com"

log = logging.getLogger(__name__)


def _is_twilio_host(host: str) -> bool:
    host = host.lower()
    return host == "twilio.com" or host.endswith(".twilio.com")


class RetargetedHttpClient(TwilioHttpClient):
    """A ``TwilioHttpClient`` that can send every ``*.twilio.com`` request to another base."""

    def __init__(self, base_url: str | None = None, timeout: float = 10, **kwargs: Any):
        super().__init__(timeout=timeout, logger=log, **kwargs)
        self.base_url = base_url.rstrip("/") if base_url else None
        self._local = threading.local()

    def rewrite(self, url: str) -> str:
        """Return ``url`` with a Twilio scheme+host replaced by the configured base."""
        if not self.base_url:
            return url
        parts = urlsplit(url)
        if not _is_twilio_host(parts.hostname or ""):
            return url
        base = urlsplit(self.base_url)
        path = base.path.rstrip("/") + parts.path
        return urlunsplit((base.scheme, base.netloc, path, parts.query, ""))

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        response = super().request(method, self.rewrite(url), *args, **kwargs)
        self._local.last_response = response
        return response

    @property
    def last_response(self) -> Response | None:
        """The last response this thread received (status, text, headers), if any."""
        return getattr(self._local, "last_response", None)

    def log_request(self, kwargs: dict[str, Any]) -> None:
        # The stock logger prints query values (PhoneNumber=...); keep path and key names only.
        params = kwargs.get("params") or {}
        keys = ",".join(sorted(params)) if params else ""
        path = urlsplit(kwargs["url"]).path
        log.debug("twilio %s %s%s", kwargs["method"], path, f" params={keys}" if keys else "")

    def log_response(self, status_code: int, response: Any) -> None:
        log.debug("twilio response status=%s", status_code)


def make_client(
    account_sid: str,
    auth_token: str,
    api_base_url: str = DEFAULT_API_BASE_URL,
    timeout: float = 10,
    *,
    api_key: str | None = None,
    api_secret: str | None = None,
) -> Client:
    """Return an official Twilio ``Client`` whose requests go to ``api_base_url``.

    With ``api_key``/``api_secret`` the client authenticates as the API key (the
    recommended production setup) and ``auth_token`` may be empty.
    """
    username, password = (api_key, api_secret) if api_key else (account_sid, auth_token)
    if not account_sid or not username or not password:
        raise ValueError("an account SID and a token (or API key and secret) are required")
    base = None if api_base_url.rstrip("/") == DEFAULT_API_BASE_URL else api_base_url
    http_client = RetargetedHttpClient(base_url=base, timeout=timeout)
    return Client(username, password, account_sid, http_client=http_client)
