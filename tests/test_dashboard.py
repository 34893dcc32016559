"""The coordinators' page over real HTTP: sign-in, CSRF, rate limit, expiry, headers, actions, audit, CLI."""
from __future__ import annotations

import json
import re
import time

import pytest
import requests
from click.testing import CliRunner

from helpline import create_app
from helpline.callbacks import STREAM_KEY
from helpline.dashboard.accounts import ACCOUNT_KEY
from helpline.dashboard.audit import AUDIT_KEY
from helpline.dashboard.cli import audit as audit_command
from helpline.dashboard.cli import coordinators as coordinators_command
from tests.conftest import LiveServer

PASSWORD = "correct horse battery"
NUMBER = "+33698765432"
TOKEN_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app_config(app_config):
    """Plain-HTTP public URL (so `requests` sends the cookie), small limits for fast tests."""
    return {**app_config, "HELPLINE_PUBLIC_URL": "http://helpline.test", "DASHBOARD_LOGIN_PER_USER": 3,
            "DASHBOARD_LOGIN_PER_IP": 6}


@pytest.fixture
def accounts(app):
    svc = app.extensions["helpline.dashboard"]
    svc.accounts.add("camille", PASSWORD, "fr")
    svc.accounts.add("alex", PASSWORD, "en")
    return svc.accounts


@pytest.fixture
def queue(app):
    return app.extensions["helpline.callbacks"]


@pytest.fixture
def urgent_item(queue):
    cb_id, _ = queue.request(event="test:urgent", locale="fr", source="sms", urgency="urgent", number=NUMBER)
    return cb_id


class Browser:
    """A requests session that signs in through the form, as a coordinator's browser would."""

    def __init__(self, base: str):
        self.base, self.http = base + "/coordinators", requests.Session()

    def get(self, path: str = "/", **kw) -> requests.Response:
        return self.http.get(self.base + path, allow_redirects=False, timeout=10, **kw)

    def token(self, path: str = "/") -> str:
        return TOKEN_FIELD.search(self.http.get(self.base + path, timeout=10).text).group(1)

    def post(self, path: str, data: dict | None = None, *, token: str | None = "page") -> requests.Response:
        data = dict(data or {})
        if token == "page":
            data["csrf_token"] = self.token()
        elif token is not None:
            data["csrf_token"] = token
        return self.http.post(self.base + path, data=data, allow_redirects=False, timeout=10)

    def sign_in(self, username: str = "camille", password: str = PASSWORD) -> requests.Response:
        token = self.token("/sign-in")
        return self.post("/sign-in", {"username": username, "password": password}, token=token)


def audit_actions(redis_client) -> list[tuple[str, str, str]]:
    return [(f["who"], f["action"], f["item"]) for _, f in redis_client.xrange(AUDIT_KEY)]


@pytest.fixture
def signed_in(live_server, accounts) -> Browser:
    browser = Browser(live_server.url)
    assert browser.sign_in().status_code == 303
    return browser


ANONYMOUS = [("GET", "/"), ("GET", "/queue.html"), ("GET", "/audit"), ("GET", "/api/state"),
             ("POST", "/items/1/take"), ("POST", "/items/1/note"), ("POST", "/items/1/resolve"),
             ("POST", "/sign-out"), ("POST", "/locale")]


@pytest.mark.parametrize("method, path", ANONYMOUS, ids=[f"{m} {p}" for m, p in ANONYMOUS])
def test_anonymous_requests_are_refused_and_show_no_number(live_server, urgent_item, queue, method, path):
    response = requests.request(method, live_server.url + "/coordinators" + path, data={"note": "x"},
                                allow_redirects=False, timeout=10)
    if path.startswith("/api/"):
        assert response.status_code == 401
    else:
        assert response.status_code in (302, 303, 403)
        if response.status_code in (302, 303):
            assert response.headers["Location"].split("?")[0].endswith("/coordinators/sign-in")
    assert NUMBER not in response.text and "98765432" not in response.text
    assert queue.get(urgent_item).status == "new"


def test_sign_in_page_never_shows_a_number(live_server, urgent_item):
    page = requests.get(live_server.url + "/coordinators/", timeout=10)  # follows to the sign-in form
    assert page.url.endswith("/coordinators/sign-in") and 'type="password"' in page.text
    assert NUMBER not in page.text


def test_wrong_password_is_refused_and_audited(live_server, accounts, redis_client):
    browser = Browser(live_server.url)
    response = browser.sign_in(password="wrong password!")
    assert response.status_code == 401 and "hl_coord" not in response.cookies
    assert browser.get("/").status_code == 302
    unknown = browser.sign_in(username="nobody")
    assert unknown.status_code == 401
    assert audit_actions(redis_client) == [("camille", "sign_in_failed", ""), ("nobody", "sign_in_failed", "")]


def test_sign_in_form_needs_its_csrf_token(live_server, accounts):
    browser = Browser(live_server.url)
    browser.token("/sign-in")  # the cookie half is set, the form half is missing or forged
    for token in (None, "forged-token-forged-token-forged"):
        response = browser.post("/sign-in", {"username": "camille", "password": PASSWORD}, token=token)
        assert response.status_code == 403 and "hl_coord" not in response.cookies


@pytest.mark.parametrize("token", [None, "", "forged-token-forged-token-forged"], ids=["missing", "empty", "forged"])
def test_actions_without_the_session_token_are_refused(signed_in, urgent_item, queue, redis_client, token):
    for path, data in ((f"/items/{urgent_item}/take", {}), (f"/items/{urgent_item}/note", {"note": "x"}),
                       (f"/items/{urgent_item}/resolve", {"outcome": "reached"}), ("/sign-out", {})):
        assert signed_in.post(path, data, token=token).status_code == 403
    item = queue.get(urgent_item)
    assert item.status == "new" and not item.note
    assert [s["step"] for s in queue.steps(urgent_item)] == ["created"]
    assert signed_in.get("/").status_code == 200  # still signed in: the forged sign-out did nothing


def test_another_sessions_token_is_refused(live_server, accounts, urgent_item, queue):
    camille, alex = Browser(live_server.url), Browser(live_server.url)
    camille.sign_in(), alex.sign_in("alex")
    response = camille.post(f"/items/{urgent_item}/take", token=alex.token())
    assert response.status_code == 403 and queue.get(urgent_item).status == "new"


def test_sign_in_is_rate_limited_per_username(live_server, accounts, redis_client):
    browser = Browser(live_server.url)
    for _ in range(3):
        assert browser.sign_in(password="not the password").status_code == 401
    blocked = browser.sign_in()  # the right password, too late
    assert blocked.status_code == 429 and "hl_coord" not in blocked.cookies
    assert Browser(live_server.url).sign_in("alex").status_code == 303  # another user from the same address
    ttl = [redis_client.ttl(k) for k in redis_client.scan_iter("hl:dash:fail:*")]
    assert ttl and all(0 < t <= 900 for t in ttl)
    assert ("camille", "sign_in_limited", "") in audit_actions(redis_client)


def test_sign_in_is_rate_limited_per_address(live_server, accounts):
    browser = Browser(live_server.url)
    for n in range(6):
        assert browser.sign_in(username=f"guess{n}", password="x").status_code == 401
    assert browser.sign_in("alex").status_code == 429


def test_a_session_expires_after_inactivity_and_polling_does_not_extend_it(app_config, accounts):
    app = create_app({**app_config, "DASHBOARD_IDLE_SECONDS": 2})
    with LiveServer(app) as server:
        browser = Browser(server.url)
        assert browser.sign_in().status_code == 303
        time.sleep(1.2)
        assert browser.get("/api/state").status_code == 200
        time.sleep(1.2)  # 2.4 s since the last page: the poll in between did not count as activity
        assert browser.get("/api/state").status_code == 401
        page = browser.get("/")
        assert page.status_code == 302 and "expired=1" in page.headers["Location"]


def test_a_page_view_keeps_the_session_alive(app_config, accounts):
    app = create_app({**app_config, "DASHBOARD_IDLE_SECONDS": 2})
    with LiveServer(app) as server:
        browser = Browser(server.url)
        browser.sign_in()
        for _ in range(3):
            time.sleep(1.0)
            assert browser.get("/").status_code == 200


def test_sign_out_ends_the_session_on_the_server(signed_in, redis_client):
    cookie = signed_in.http.cookies.get("hl_coord")
    sessions = list(redis_client.scan_iter("hl:dash:session:*"))
    assert len(sessions) == 1 and 0 < redis_client.ttl(sessions[0]) <= 1800
    assert cookie not in sessions[0]  # Redis holds a digest of the cookie, not the cookie
    assert signed_in.post("/sign-out").status_code == 303
    replay = requests.get(signed_in.base + "/", cookies={"hl_coord": cookie}, allow_redirects=False, timeout=10)
    assert replay.status_code == 302
    assert not list(redis_client.scan_iter("hl:dash:session:*"))


HEADERS = {"Content-Security-Policy": "default-src 'self'", "X-Frame-Options": "DENY",
           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


@pytest.mark.parametrize("path", ["/sign-in", "/", "/queue.html", "/api/state", "/audit",
                                  "/static/dashboard.js", "/static/dashboard.css", "/nothing-here"])
def test_every_dashboard_response_has_the_security_headers(signed_in, urgent_item, path):
    response = signed_in.get(path)
    for name, value in HEADERS.items():
        assert value in response.headers.get(name, ""), (name, response.headers)
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    if not path.startswith("/static/"):
        assert response.headers["Cache-Control"] == "no-store"


def test_pages_hold_no_inline_script_or_style(signed_in, urgent_item):
    page = signed_in.get("/").text
    assert not re.search(r"<script(?![^>]*\bsrc=)", page) and "<style" not in page and " style=" not in page
    assert not re.search(r"\son[a-z]+=", page)


def test_session_cookie_flags_plain_http(live_server, accounts):
    response = Browser(live_server.url).sign_in()
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_session_cookie_is_secure_behind_an_https_public_url(app_config, accounts):
    app = create_app({**app_config, "HELPLINE_PUBLIC_URL": "https://helpline.example.org"})
    with LiveServer(app) as server:
        browser = Browser(server.url)
        page = browser.http.get(browser.base + "/sign-in", timeout=10)
        token = TOKEN_FIELD.search(page.text).group(1)
        login_cookie = page.headers["Set-Cookie"]
        assert "Secure" in login_cookie and "HttpOnly" in login_cookie
        response = browser.http.post(browser.base + "/sign-in", data={"username": "camille", "password": PASSWORD,
                                     "csrf_token": token}, cookies={"hl_login_csrf": token}, allow_redirects=False)
        session_cookie = [c for c in response.raw.headers.getlist("Set-Cookie") if "hl_coord" in c][0]
        assert session_cookie.startswith("__Host-hl_coord=")
        assert all(flag in session_cookie for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"))


def test_take_note_resolve_and_the_audit_trail(signed_in, urgent_item, queue, redis_client):
    page = signed_in.get("/")
    assert page.status_code == 200 and NUMBER in page.text and f"take-{urgent_item}" in page.text
    state = signed_in.get("/api/state").json()
    assert state["urgent"] == [urgent_item] and NUMBER not in json.dumps(state)

    assert signed_in.post(f"/items/{urgent_item}/take").status_code == 303
    item = queue.get(urgent_item)
    assert (item.status, item.taken_by) == ("taken", "camille")
    kinds = [f["kind"] for _, f in redis_client.xrange(STREAM_KEY) if f["id"] == str(urgent_item)]
    assert kinds == ["new", "taken"]  # the alert worker stops escalating on this entry
    assert signed_in.get("/api/state").json()["urgent"] == []

    assert signed_in.post(f"/items/{urgent_item}/note", {"note": "  Message left,  will retry at 9  "}).status_code == 303
    assert queue.get(urgent_item).note == "Message left, will retry at 9"
    assert "Message left, will retry at 9" in signed_in.get("/").text

    assert signed_in.post(f"/items/{urgent_item}/resolve", {"outcome": "bogus"}).status_code == 303
    assert queue.get(urgent_item).status == "taken"
    assert signed_in.post(f"/items/{urgent_item}/resolve", {"outcome": "referred_sps"}).status_code == 303
    item = queue.get(urgent_item)
    assert (item.status, item.outcome, item.note) == ("resolved", "referred_sps", "Message left, will retry at 9")
    assert [s["step"] for s in queue.steps(urgent_item)] == ["created", "taken", "note", "resolved"]
    assert queue.steps(urgent_item)[1]["via"] == "page"
    assert signed_in.post("/sign-out").status_code == 303

    trail = [(who, action, item) for who, action, item in audit_actions(redis_client) if action != "view_queue"]
    assert trail == [("camille", "sign_in", ""), ("camille", "take", str(urgent_item)),
                     ("camille", "note", str(urgent_item)), ("camille", "resolve", str(urgent_item)),
                     ("camille", "sign_out", "")]
    views = [item for _, action, item in audit_actions(redis_client) if action == "view_queue"]
    assert views and views[0] == str(urgent_item)
    notes = [f for _, f in redis_client.xrange(AUDIT_KEY) if f["action"] == "note"]
    assert "retry" not in notes[0]["detail"]  # the audit log holds no note text
    assert 0 < redis_client.ttl(AUDIT_KEY) <= 365 * 86400


def test_resolving_an_untaken_item_takes_it_first(signed_in, urgent_item, queue, redis_client):
    assert signed_in.post(f"/items/{urgent_item}/resolve", {"outcome": "no_answer"}).status_code == 303
    assert queue.get(urgent_item).status == "resolved"
    kinds = [f["kind"] for _, f in redis_client.xrange(STREAM_KEY)]
    assert kinds == ["new", "taken"]


def test_a_second_taker_is_told_and_nothing_changes(live_server, accounts, urgent_item, queue, redis_client):
    camille, alex = Browser(live_server.url), Browser(live_server.url)
    camille.sign_in(), alex.sign_in("alex")
    camille.post(f"/items/{urgent_item}/take")
    response = alex.post(f"/items/{urgent_item}/take")
    assert "done=conflict" in response.headers["Location"]
    assert queue.get(urgent_item).taken_by == "camille"
    assert ("alex", "take_refused", str(urgent_item)) in audit_actions(redis_client)


def test_the_fragment_view_is_audited_and_the_audit_page_lists_actions(signed_in, urgent_item, redis_client):
    fragment = signed_in.get("/queue.html")
    assert fragment.status_code == 200 and NUMBER in fragment.text and "<html" not in fragment.text
    assert audit_actions(redis_client)[-1] == ("camille", "view_queue", str(urgent_item))
    audit_page = signed_in.get("/audit").text
    assert "view_queue" in audit_page and NUMBER not in audit_page


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_the_audit_log_cannot_be_edited_over_http(signed_in, method, redis_client):
    before = redis_client.xlen(AUDIT_KEY)
    response = signed_in.http.request(method, signed_in.base + "/audit", allow_redirects=False, timeout=10)
    assert response.status_code == 405
    assert redis_client.xlen(AUDIT_KEY) == before


def test_the_language_switch_changes_the_page_and_is_remembered(signed_in, accounts):
    assert "Demandes de rappel" in signed_in.get("/").text
    assert signed_in.post("/locale", {"locale": "en"}).status_code == 303
    page = signed_in.get("/").text
    assert "Callback requests" in page and 'lang="en"' in page
    assert accounts.get("camille").locale == "en"


def test_the_sign_in_page_follows_the_lang_link_and_the_browser(live_server):
    url = live_server.url + "/coordinators/sign-in"
    assert "Se connecter" in requests.get(url, timeout=10).text
    assert ">Sign in<" in requests.get(url + "?lang=en", timeout=10).text
    assert ">Sign in<" in requests.get(url, headers={"Accept-Language": "en-GB,en;q=0.8"}, timeout=10).text


def test_accounts_keep_only_an_scrypt_hash(accounts, redis_client):
    stored = redis_client.hgetall(ACCOUNT_KEY.format(username="camille"))
    assert set(stored) >= {"hash", "salt", "n", "r", "p", "locale"}
    assert PASSWORD not in json.dumps(stored) and len(bytes.fromhex(stored["hash"])) == 32


@pytest.fixture
def cli_env(app_config, monkeypatch):
    for key, value in app_config.items():
        if key.startswith(("HELPLINE_", "REDIS_", "TWILIO_")):
            monkeypatch.setenv(key, value)


def test_cli_coordinators_add_passwd_remove(cli_env, live_server, redis_client):
    runner = CliRunner()
    added = runner.invoke(coordinators_command, ["add", "Sam", "--locale", "en"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    assert PASSWORD not in added.output and redis_client.hget(ACCOUNT_KEY.format(username="sam"), "locale") == "en"
    mismatch = runner.invoke(coordinators_command, ["add", "kim"], input=f"{PASSWORD}\nother one!!\n" * 1)
    assert mismatch.exit_code != 0 and not redis_client.exists(ACCOUNT_KEY.format(username="kim"))
    assert runner.invoke(coordinators_command, ["add", "sam", "--password-stdin"], input=PASSWORD + "\n").exit_code == 1
    short = runner.invoke(coordinators_command, ["add", "lou", "--password-stdin"], input="short\n")
    assert short.exit_code == 1 and "at least" in short.output

    browser = Browser(live_server.url)
    assert browser.sign_in("sam").status_code == 303
    changed = runner.invoke(coordinators_command, ["passwd", "sam", "--password-stdin"], input="a brand new passphrase\n")
    assert changed.exit_code == 0 and "1 session(s) ended" in changed.output
    assert browser.get("/").status_code == 302  # the old session is gone
    assert Browser(live_server.url).sign_in("sam").status_code == 401
    assert Browser(live_server.url).sign_in("sam", "a brand new passphrase").status_code == 303

    assert runner.invoke(coordinators_command, ["list"]).output.split() == ["sam"]
    assert runner.invoke(coordinators_command, ["remove", "sam"]).exit_code == 0
    assert not redis_client.exists(ACCOUNT_KEY.format(username="sam"))
    assert Browser(live_server.url).sign_in("sam", "a brand new passphrase").status_code == 401
    assert runner.invoke(coordinators_command, ["remove", "sam"]).exit_code == 1


def test_cli_audit_prints_the_log(cli_env, signed_in, urgent_item):
    signed_in.post(f"/items/{urgent_item}/take")
    runner = CliRunner()
    result = runner.invoke(audit_command, ["--json", "--since", "1h"])
    assert result.exit_code == 0, result.output
    entries = json.loads(result.output)
    assert [e["action"] for e in entries if e["action"] != "view_queue"] == ["sign_in", "take"]
    assert all(NUMBER not in json.dumps(e) for e in entries)
    text = runner.invoke(audit_command, []).output
    assert "camille" in text and f"take             #{urgent_item}" in text
    assert json.loads(runner.invoke(audit_command, ["--json", "--since", "2999-01-01"]).output) == []
    assert runner.invoke(audit_command, ["--since", "yesterday"]).exit_code == 2


def test_cli_links_an_account_to_a_coordinator_of_the_institution_file(cli_env, live_server, redis_client):
    runner = CliRunner()
    linked = runner.invoke(coordinators_command, ["add", "camille2", "--name", "Camille Martin", "--password-stdin"],
                           input=PASSWORD + "\n")
    assert linked.exit_code == 0 and "Warning" not in linked.output
    assert redis_client.hget(ACCOUNT_KEY.format(username="camille2"), "name") == "Camille Martin"
    unknown = runner.invoke(coordinators_command, ["add", "zoe", "--name", "Zoé Inconnue", "--password-stdin"],
                            input=PASSWORD + "\n")
    assert unknown.exit_code == 0 and "not a coordinator of the institution file" in unknown.output
