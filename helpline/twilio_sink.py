"""A Twilio-compatible REST server on loopback that records what it is asked to send.

Tests use it as the real HTTP peer of the official ``twilio`` client (aimed at it with
``helpline.twilio_client.make_client(..., api_base_url=sink.url)``); local mode uses it
as a built-in sink so alerts are visible without a Twilio account; ``helpline simulate
inbox`` reads ``GET /_sink/requests``.

Speaks the 2010-04-01 API shapes the twilio-python v9 client parses: Messages and Calls
(create, fetch), IncomingPhoneNumbers (list, fetch, update), Twilio's JSON error body
``{"code", "message", "more_info", "status"}`` and HTTP Basic auth (account SID or API
key). Faults can be injected in-process or over HTTP::

    POST /_sink/faults   {"fail_next": 2, "status": 429, "code": 20429, "retry_after": 1}
                         {"fail_for": 3.0, "status": 503} {"delay": 0.5} {"down": true}
                         {"reset": true}
    POST /_sink/clear    forget recorded requests
    POST /_sink/opt_out  {"number": "+336..."}
    POST /_sink/numbers  {"phone_number": "+339..."}  -> the new IncomingPhoneNumber
    GET  /_sink/requests | /_sink/failed | /_sink/numbers

Run standalone: ``python -m helpline.twilio_sink --port 8099``.
"""
from __future__ import annotations

import argparse
import base64
import copy
import json
import re
import secrets
import threading
import time
from datetime import datetime, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from sms.segments import count_segments

API_VERSION = "2010-04-01"
_ACCOUNT = rf"^/{API_VERSION}/Accounts/(?P<account>[^/]+)"
# (method, path pattern, kind, handler method name)
ROUTES = [
    ("POST", re.compile(_ACCOUNT + r"/Messages\.json$"), "message", "_create_message"),
    ("GET", re.compile(_ACCOUNT + r"/Messages/(?P<sid>SM\w+)\.json$"), "message_fetch", "_fetch"),
    ("POST", re.compile(_ACCOUNT + r"/Calls\.json$"), "call", "_create_call"),
    ("GET", re.compile(_ACCOUNT + r"/Calls/(?P<sid>CA\w+)\.json$"), "call_fetch", "_fetch"),
    ("GET", re.compile(_ACCOUNT + r"/IncomingPhoneNumbers\.json$"), "number_list", "_list_numbers"),
    ("GET", re.compile(_ACCOUNT + r"/IncomingPhoneNumbers/(?P<sid>PN\w+)\.json$"),
     "number_fetch", "_fetch"),
    ("POST", re.compile(_ACCOUNT + r"/IncomingPhoneNumbers/(?P<sid>PN\w+)\.json$"),
     "number_update", "_update_number"),
]
# Twilio error code -> default HTTP status and message.
ERRORS = {
    20003: (401, "Authenticate"),
    20404: (404, "The requested resource was not found"),
    20429: (429, "Too Many Requests"),
    20500: (500, "Internal Server Error"),
    20503: (503, "Service Unavailable"),
    21201: (400, "No 'To' number is specified"),
    21205: (400, "A 'Url', 'Twiml' or 'ApplicationSid' is required"),
    21211: (400, "Invalid 'To' Phone Number"),
    21212: (400, "Invalid 'From' Phone Number"),
    21213: (400, "No 'From' number is specified"),
    21602: (400, "Message body is required"),
    21603: (400, "A 'From' phone number is required"),
    21604: (400, "A 'To' phone number is required"),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21617: (400, "The concatenated message body exceeds the 1600 character limit"),
}
E164 = re.compile(r"^\+[1-9]\d{1,14}$")
SENDER = re.compile(r"^(\+[1-9]\d{1,14}|\d{3,8}|(?=[^\n]*[A-Za-z])[A-Za-z0-9 ]{1,11})$")
NUMBER_FIELDS = {  # form field -> resource key, for IncomingPhoneNumbers updates
    f: re.sub(r"(?<!^)(?=[A-Z])", "_", f).lower()
    for f in ("FriendlyName", "VoiceUrl", "VoiceMethod", "VoiceFallbackUrl", "VoiceFallbackMethod",
              "SmsUrl", "SmsMethod", "SmsFallbackUrl", "SmsFallbackMethod", "StatusCallback",
              "StatusCallbackMethod", "VoiceApplicationSid", "SmsApplicationSid", "TrunkSid")
}


class SinkError(Exception):
    """A Twilio-shaped error answer: HTTP status plus Twilio error code."""

    def __init__(self, code: int, detail: str = "", status: int | None = None):
        default_status, message = ERRORS.get(code, (status or 500, "Error"))
        self.status = status or default_status
        self.code = code
        self.message = f"{message}: {detail}" if detail else message
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message,
                "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
                "status": self.status}


def _sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def _now() -> str:
    return format_datetime(datetime.now(timezone.utc).replace(microsecond=0))


def _mask(number: str) -> str:
    return number[:4] + "*" * max(len(number) - 6, 0) + number[-2:] if len(number) > 6 else "***"


def _flatten(qs: dict[str, list[str]]) -> dict[str, Any]:
    """One value per field, a list only when Twilio-style repeated (e.g. StatusCallbackEvent)."""
    return {k: v[0] if len(v) == 1 else v for k, v in qs.items()}


class _Faults:
    """Injected failures; callers hold the sink lock."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.next_n, self.next_status, self.next_code, self.retry_after = 0, 503, None, 1
        self.until, self.until_status = 0.0, 503
        self.delay, self.down = 0.0, False

    def take(self) -> tuple[int, int | None] | None:
        """Return (status, code) of the fault to answer now, if any, consuming a fail_next."""
        if self.down:
            return 503, None
        if time.monotonic() < self.until:
            return self.until_status, None
        if self.next_n > 0:
            self.next_n -= 1
            return self.next_status, self.next_code
        return None

    def state(self) -> dict[str, Any]:
        return {"fail_next": self.next_n, "status": self.next_status, "code": self.next_code,
                "fail_for": max(self.until - time.monotonic(), 0.0), "delay": self.delay,
                "down": self.down, "retry_after": self.retry_after}


class TwilioSink:
    """A loopback Twilio REST API that records requests. Start it, aim a client at ``.url``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0,
                 account_sid: str | None = None, auth_token: str | None = None):
        self.host, self.port = host, port
        self.account_sid, self.auth_token = account_sid, auth_token
        self._api_keys: dict[str, str] = {}
        self._lock = threading.Condition()
        self._requests: list[dict[str, Any]] = []
        self._failed: list[dict[str, Any]] = []
        self._resources: dict[str, dict[str, Any]] = {}  # sid -> Message/Call/Number resource
        self._numbers: dict[str, str] = {}  # phone number -> PN sid
        self._opted_out: set[str] = set()
        self._faults = _Faults()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------
    def start(self) -> TwilioSink:
        """Serve in a background thread; return self."""
        self._stopping.clear()
        self._server = ThreadingHTTPServer((self.host, self.port), _Handler)
        self._server.sink = self  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name=f"twilio-sink:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; requests still sleeping in an injected delay are abandoned."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> TwilioSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- recorded requests -------------------------------------------------------
    def requests(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Successful requests, oldest first (copies)."""
        with self._lock:
            return [copy.deepcopy(r) for r in self._requests if kind in (None, r["kind"])]

    def failed_requests(self) -> list[dict[str, Any]]:
        """Requests answered with an error (injected, auth, validation), oldest first."""
        with self._lock:
            return copy.deepcopy(self._failed)

    def messages(self, to: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.requests("message") if to in (None, r["params"].get("To"))]

    def calls(self, to: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.requests("call") if to in (None, r["params"].get("To"))]

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool] | None = None,
                 timeout: float = 5.0) -> dict[str, Any]:
        """Block until a successful request matching ``predicate`` is recorded; return it."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for r in self._requests:
                    if predicate is None or predicate(r):
                        return copy.deepcopy(r)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no matching request within {timeout}s")
                self._lock.wait(left)

    def clear(self) -> None:
        """Forget recorded requests (numbers, opt-outs and faults stay)."""
        with self._lock:
            self._requests.clear()
            self._failed.clear()

    # -- state: numbers, opt-outs, API keys -------------------------------------
    def add_number(self, phone_number: str, **fields: Any) -> dict[str, Any]:
        """Create an IncomingPhoneNumber (sid "PN...") and return a copy of it."""
        sid, now = _sid("PN"), _now()
        account = self.account_sid or "AC" + "0" * 32
        resource = {
            "sid": sid, "account_sid": account, "phone_number": phone_number,
            "friendly_name": phone_number, "api_version": API_VERSION, "beta": False,
            "capabilities": {"voice": True, "sms": True, "mms": False, "fax": False},
            "date_created": now, "date_updated": now, "origin": "twilio", "status": "in-use",
            "uri": f"/{API_VERSION}/Accounts/{account}/IncomingPhoneNumbers/{sid}.json",
            **{key: None for key in NUMBER_FIELDS.values()},
            "voice_method": "POST", "sms_method": "POST",
            "voice_fallback_method": "POST", "sms_fallback_method": "POST",
            "status_callback_method": "POST", "voice_receive_mode": "voice",
        }
        resource.update(fields)
        with self._lock:
            self._resources[sid] = resource
            self._numbers[phone_number] = sid
            return copy.deepcopy(resource)

    def numbers(self) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(self._resources[sid]) for sid in self._numbers.values()]

    def opt_out(self, number: str) -> None:
        """Make sends to ``number`` fail with 21610, as after the recipient texted STOP."""
        with self._lock:
            self._opted_out.add(number)

    def opt_in(self, number: str) -> None:
        with self._lock:
            self._opted_out.discard(number)

    def add_api_key(self, key_sid: str, secret: str) -> None:
        """Accept Basic auth with an API key (username "SK...") and its secret."""
        with self._lock:
            self._api_keys[key_sid] = secret

    # -- fault injection ---------------------------------------------------------
    def fail_next(self, n: int, status: int = 503, code: int | None = None,
                  retry_after: int = 1) -> None:
        """Answer the next ``n`` API requests with ``status`` (code defaults to 20000+status)."""
        with self._lock:
            f = self._faults
            f.next_n, f.next_status, f.next_code, f.retry_after = n, status, code, retry_after

    def fail_for(self, seconds: float, status: int = 503) -> None:
        with self._lock:
            self._faults.until = time.monotonic() + seconds
            self._faults.until_status = status

    def set_delay(self, seconds: float) -> None:
        """Wait ``seconds`` before answering each API request (simulates a slow Twilio)."""
        with self._lock:
            self._faults.delay = seconds

    def set_down(self, down: bool = True) -> None:
        """While down, every API request gets 503."""
        with self._lock:
            self._faults.down = down

    def reset_faults(self) -> None:
        with self._lock:
            self._faults.reset()

    def faults(self) -> dict[str, Any]:
        with self._lock:
            return self._faults.state()

    # -- the API -----------------------------------------------------------------
    def handle_api(self, method: str, path: str, query: dict[str, Any], form: dict[str, Any],
                   authorization: str | None) -> tuple[int, dict[str, str], Any]:
        """Answer one API request: (status, extra headers, JSON body). Records it."""
        received = time.time()
        with self._lock:
            delay = self._faults.delay
        if delay:
            self._stopping.wait(delay)
        route = next(((kind, m, name) for meth, rx, kind, name in ROUTES
                      if meth == method and (m := rx.match(path))), None)
        kind = route[0] if route else "unknown"
        account = route[1]["account"] if route else None
        record = {"kind": kind, "account_sid": account, "params": {**query, **form},
                  "time": received, "sid": None, "method": method, "path": path}
        with self._lock:
            fault = self._faults.take()
            retry_after = self._faults.retry_after
        try:
            if fault:
                status, code = fault
                raise SinkError(code or 20000 + status, "injected fault", status=status)
            if route is None:
                raise SinkError(20404, path)
            self._check_auth(account, authorization)
            try:
                body = getattr(self, route[2])(account, route[1], record["params"])
            except (ValueError, KeyError, TypeError) as exc:  # a malformed form field
                raise SinkError(20500, type(exc).__name__) from exc
        except SinkError as err:
            headers = {"Retry-After": str(retry_after)} if err.status in (429, 503) else {}
            if err.status == 401:
                headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
            self._record(dict(record, status=err.status, code=err.code), failed=True)
            return err.status, headers, err.body()
        record["sid"] = body.get("sid") if isinstance(body, dict) else None
        self._record(record)
        return (201 if kind in ("message", "call") else 200), {}, body

    def _record(self, record: dict[str, Any], failed: bool = False) -> None:
        with self._lock:
            (self._failed if failed else self._requests).append(record)
            self._lock.notify_all()

    def _check_auth(self, account: str, authorization: str | None) -> None:
        if self.auth_token is None:
            return
        try:
            scheme, _, token = (authorization or "").partition(" ")
            user, _, password = base64.b64decode(token).decode("utf-8").partition(":")
        except ValueError:
            raise SinkError(20003) from None
        with self._lock:
            if user.startswith("SK"):
                expected = self._api_keys.get(user)
            else:
                expected = self.auth_token if self.account_sid in (None, user) else None
        if (scheme.lower() != "basic" or expected is None
                or not secrets.compare_digest(password.encode(), expected.encode())
                or self.account_sid not in (None, account)):
            raise SinkError(20003)

    def _create_message(self, account: str, match: re.Match, p: dict[str, Any]) -> dict:
        to, sender, body = p.get("To", ""), p.get("From"), p.get("Body", "")
        if not to:
            raise SinkError(21604)
        if not E164.match(to.removeprefix("whatsapp:")):
            raise SinkError(21211, _mask(to))
        if not sender and not p.get("MessagingServiceSid"):
            raise SinkError(21603)
        if sender and not SENDER.match(sender.removeprefix("whatsapp:")):
            raise SinkError(21212, _mask(sender))
        if not body and not p.get("MediaUrl"):
            raise SinkError(21602)
        if len(body) > 1600:
            raise SinkError(21617)
        with self._lock:
            if to in self._opted_out:
                raise SinkError(21610)
        sid, now = _sid("SM"), _now()
        uri = f"/{API_VERSION}/Accounts/{account}/Messages/{sid}"
        return self._store({
            "sid": sid, "account_sid": account, "api_version": API_VERSION, "to": to,
            "from": sender, "body": body, "messaging_service_sid": p.get("MessagingServiceSid"),
            "status": "queued" if sender else "accepted", "direction": "outbound-api",
            "num_segments": str(count_segments(body).segments), "num_media": "0",
            "date_created": now, "date_updated": now, "date_sent": None,
            "error_code": None, "error_message": None, "price": None, "price_unit": "USD",
            "uri": uri + ".json", "subresource_uris": {"media": uri + "/Media.json"},
        })

    def _create_call(self, account: str, match: re.Match, p: dict[str, Any]) -> dict:
        to, sender = p.get("To", ""), p.get("From", "")
        if not to:
            raise SinkError(21201)
        if not (E164.match(to) or to.startswith(("client:", "sip:"))):
            raise SinkError(21211, _mask(to))
        if not sender:
            raise SinkError(21213)
        if not E164.match(sender) and not sender.startswith("client:"):
            raise SinkError(21212, _mask(sender))
        if not (p.get("Url") or p.get("Twiml") or p.get("ApplicationSid")):
            raise SinkError(21205)
        sid, now = _sid("CA"), _now()
        uri = f"/{API_VERSION}/Accounts/{account}/Calls/{sid}"
        return self._store({
            "sid": sid, "account_sid": account, "api_version": API_VERSION, "to": to,
            "to_formatted": to, "from": sender, "from_formatted": sender, "status": "queued",
            "direction": "outbound-api", "date_created": now, "date_updated": now,
            "start_time": None, "end_time": None, "duration": None, "price": None,
            "price_unit": "USD", "answered_by": None, "parent_call_sid": None,
            "queue_time": "0", "uri": uri + ".json",
            "subresource_uris": {"notifications": uri + "/Notifications.json"},
        })

    def _store(self, resource: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._resources[resource["sid"]] = resource
            return copy.deepcopy(resource)

    def _fetch(self, account: str, match: re.Match, p: dict[str, Any]) -> dict:
        with self._lock:
            resource = self._resources.get(match["sid"])
            if resource is None:
                raise SinkError(20404, match["sid"])
            return copy.deepcopy(resource)

    def _list_numbers(self, account: str, match: re.Match, p: dict[str, Any]) -> dict:
        wanted, name = p.get("PhoneNumber"), p.get("FriendlyName")
        found = [n for n in self.numbers()
                 if (not wanted or wanted.replace("*", "") in n["phone_number"])
                 and (not name or name == n["friendly_name"])]
        uri = f"/{API_VERSION}/Accounts/{account}/IncomingPhoneNumbers.json"
        size = int(p.get("PageSize", 50))
        return {"incoming_phone_numbers": found, "page": 0, "page_size": size, "start": 0,
                "end": max(len(found) - 1, 0), "uri": uri,
                "first_page_uri": f"{uri}?PageSize={size}&Page=0",
                "next_page_uri": None, "previous_page_uri": None}

    def _update_number(self, account: str, match: re.Match, p: dict[str, Any]) -> dict:
        with self._lock:
            resource = self._resources.get(match["sid"])
            if resource is None:
                raise SinkError(20404, match["sid"])
            resource.update({key: p[f] for f, key in NUMBER_FIELDS.items() if f in p})
            resource["date_updated"] = _now()
            return copy.deepcopy(resource)

    # -- control endpoints (/_sink/...) ------------------------------------------
    def handle_control(self, method: str, path: str, data: dict[str, Any]) -> tuple[int, Any]:
        """Answer a test-control request over HTTP: (status, JSON body)."""
        if method == "GET" and path == "/_sink/requests":
            return 200, self.requests()
        if method == "GET" and path == "/_sink/failed":
            return 200, self.failed_requests()
        if method == "GET" and path == "/_sink/numbers":
            return 200, self.numbers()
        if method == "POST" and path == "/_sink/clear":
            self.clear()
            return 200, {"cleared": True}
        if method == "POST" and path == "/_sink/opt_out":
            self.opt_out(str(data["number"]))
            return 200, {"opted_out": data["number"]}
        if method == "POST" and path == "/_sink/numbers":
            return 201, self.add_number(str(data["phone_number"]))
        if method == "POST" and path == "/_sink/faults":
            if data.get("reset"):
                self.reset_faults()
            if "fail_next" in data:
                self.fail_next(int(data["fail_next"]), int(data.get("status", 503)),
                               data.get("code"), int(data.get("retry_after", 1)))
            if "fail_for" in data:
                self.fail_for(float(data["fail_for"]), int(data.get("status", 503)))
            if "delay" in data:
                self.set_delay(float(data["delay"]))
            if "down" in data:
                self.set_down(bool(data["down"]))
            return 200, self.faults()
        return 404, {"message": f"unknown control endpoint {method} {path}"}


class _Handler(BaseHTTPRequestHandler):
    """Route HTTP requests to the sink; one JSON body per answer."""

    server_version = "TwilioSink/1.0"

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        sink: TwilioSink = self.server.sink  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers: dict[str, str] = {}
        if parts.path.startswith("/_sink/"):
            try:
                status, body = sink.handle_control(method, parts.path, json.loads(raw or b"{}"))
            except (ValueError, KeyError, TypeError) as err:
                status, body = 400, {"message": f"bad control request: {err!r}"}
        else:
            query = _flatten(parse_qs(parts.query, keep_blank_values=True))
            form = _flatten(parse_qs(raw.decode("utf-8"), keep_blank_values=True))
            status, headers, body = sink.handle_api(
                method, parts.path, query, form, self.headers.get("Authorization"))
        payload = json.dumps(body).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. its timeout fired during an injected delay)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the sink records requests itself; no numbers on stderr


def main(argv: list[str] | None = None) -> None:
    """Run the sink in the foreground until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--account-sid")
    parser.add_argument("--auth-token")
    parser.add_argument("--number", action="append", default=[],
                        help="an IncomingPhoneNumber to hold (repeatable)")
    args = parser.parse_args(argv)
    sink = TwilioSink(args.host, args.port, args.account_sid, args.auth_token).start()
    for number in args.number:
        sink.add_number(number)
    print(f"Twilio sink listening on {sink.url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        sink.stop()


if __name__ == "__main__":
    main()
