"""The coordinators' page in the system Chromium (Playwright): the on-call journey, keyboard only.

An urgent text arrives while a coordinator watches the queue on a phone-sized screen: the item appears
by itself with a banner, the coordinator Tabs to "take" and presses Enter, the alert worker stops
escalating, the coordinator notes and resolves it, and finds every step in the audit log.
The browser is the distribution's Chromium (no Playwright download): set HELPLINE_CHROMIUM to another
binary, or HELPLINE_SKIP_BROWSER=1 to skip these tests on a machine without one.
With HELPLINE_SCREENSHOTS=1 the journey writes docs/coordinators-queue.png for the README.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from helpline.callbacks import STREAM_KEY
from helpline.twilio_sink import TwilioSink
from tests.alert_kit import ALEX, CALLER, CAMILLE, ThreadWorker, alert_app, institution_file, sent_to
from tests.conftest import TOKEN, LiveServer
from tests.twilio_clients import Texter

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery"
PUBLIC = "http://helpline.test"  # plain HTTP like the loopback server, so the session cookie is usable
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
FIRST_CALL, ESCALATE = 8, 10  # seconds: long enough for the take to come first, short for the test


def chromium() -> str:
    path = os.environ.get("HELPLINE_CHROMIUM") or "/usr/bin/chromium"
    if os.environ.get("HELPLINE_SKIP_BROWSER") == "1":
        pytest.skip("HELPLINE_SKIP_BROWSER=1")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"no Chromium at {path}: run scripts/ensure-chromium (apt-get install chromium), set "
                    "HELPLINE_CHROMIUM to a Chromium binary, or HELPLINE_SKIP_BROWSER=1 to skip the browser tests",
                    pytrace=False)
    return path


@pytest.fixture(scope="module")
def browser():
    path = chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=path, args=ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=PHONE, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.problems = []
    page.on("console", lambda m: m.type == "error" and not m.text.startswith("Failed to load resource")
            and page.problems.append(m.text))  # script errors and CSP refusals; HTTP statuses are asserted
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    yield page
    context.close()


@pytest.fixture
def sink():
    with TwilioSink() as server:
        yield server


@pytest.fixture
def journey_app(app_config, sink, tmp_path):
    institution = institution_file(tmp_path / "institution.toml", coordinators=2, first_call=FIRST_CALL,
                                   escalate=ESCALATE)
    app = alert_app({**app_config, "HELPLINE_PUBLIC_URL": PUBLIC}, sink, institution)
    app.extensions["helpline.dashboard"].accounts.add("camille", PASSWORD, "fr", name="Camille Martin")
    return app


def sign_in(page, base: str) -> None:
    page.goto(base + "/coordinators/")
    assert page.url.startswith(base + "/coordinators/sign-in")
    page.fill("#username", "camille")
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url(base + "/coordinators/")


def tab_to(page, element_id: str, limit: int = 60) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id}")


def alerts_after(sink, since: int) -> list[dict]:
    return [r for r in sink.requests()[since:] if r["kind"] in ("message", "call")]


def test_on_call_journey_urgent_text_take_by_keyboard_resolve_audit(page, journey_app, sink, redis_client):
    queue = journey_app.extensions["helpline.callbacks"]
    with LiveServer(journey_app) as server, ThreadWorker(journey_app):
        sign_in(page, server.url)
        assert page.inner_text("h1") == "Demandes de rappel"
        page.wait_for_selector("text=Aucune demande de rappel en cours.")

        created = time.time()
        reply = Texter(server.url, PUBLIC, TOKEN, number=CALLER).text("je veux mourir, je n'en peux plus")
        assert reply  # the texter was answered by the SMS line
        item = page.wait_for_selector("#item-1.urgent", timeout=8_000)  # no reload: the page polls
        assert "06 98 76 54 32" in item.inner_text() or CALLER in item.inner_text()
        banner = page.locator("#banner")
        banner.wait_for(state="visible")
        assert "#1" in banner.inner_text() and page.title().startswith("(1)")
        if os.environ.get("HELPLINE_SCREENSHOTS") == "1":
            (ROOT / "docs").mkdir(exist_ok=True)
            page.screenshot(path=str(ROOT / "docs" / "coordinators-queue.png"), full_page=True)

        first_alert = sink.wait_for(lambda r: r["kind"] == "message" and r["params"]["To"] == CAMILLE, timeout=5)
        assert first_alert["params"]["Body"].startswith("URGENT")
        seen = len(sink.requests())

        tab_to(page, "take-1")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none"  # the keyboard focus is visible
        page.keyboard.press("Enter")
        page.wait_for_selector("text=Le rappel n°1 est pour vous.")
        taken_at = time.time()
        assert taken_at - created < FIRST_CALL, "the take came too late to show the escalation stopping"
        assert "Pris en charge par Camille Martin" in page.inner_text("#item-1")
        assert (queue.get(1).status, queue.get(1).taken_by) == ("taken", "Camille Martin")
        assert [s["via"] for s in queue.steps(1) if s["step"] == "taken"] == ["page"]
        assert [f["kind"] for _, f in redis_client.xrange(STREAM_KEY)] == ["new", "taken"]

        time.sleep(max(0.0, created + ESCALATE + 1.5 - time.time()))  # past the call and the next coordinator
        later = alerts_after(sink, seen)
        assert not [r for r in later if r["kind"] == "call"], later  # no alert call after the take
        assert not sent_to(sink, ALEX)  # the second coordinator was never alerted
        assert not later, later  # the taker, linked to the institution file, gets no "taken by" notice either
        assert page.locator("#banner").is_hidden() and not page.title().startswith("(")

        page.fill("#note-1", "Rappel prévu à 9 h")
        page.click("#add-note-1")
        page.wait_for_selector("text=Note ajoutée au rappel n°1.")
        page.select_option("#outcome-1", "referred_sps")
        page.click("#resolve-1")
        page.wait_for_selector("text=Le rappel n°1 est traité.")
        assert page.locator("#item-1").count() == 0
        assert (queue.get(1).status, queue.get(1).outcome, queue.get(1).note) == (
            "resolved", "referred_sps", "Rappel prévu à 9 h")

        page.click("text=Journal d'audit")
        page.wait_for_selector("table.audit")
        rows = [r.split("\t") for r in page.inner_text("table.audit tbody").splitlines()]
        done = [(r[2], r[3]) for r in rows if len(r) >= 4 and r[2] in ("take", "note", "resolve")]
        assert done == [("resolve", "1"), ("note", "1"), ("take", "1")]  # newest first
        assert CALLER not in page.content()
    assert not [p for p in page.problems if "Content Security Policy" in p or "Refused" in p], page.problems


def test_the_page_signs_out_by_itself_after_inactivity(page, app_config):
    from helpline import create_app

    app = create_app({**app_config, "HELPLINE_PUBLIC_URL": PUBLIC, "DASHBOARD_IDLE_SECONDS": 2})
    app.extensions["helpline.dashboard"].accounts.add("camille", PASSWORD, "fr")
    with LiveServer(app) as server:
        sign_in(page, server.url)
        page.wait_for_selector("text=Votre session a expiré. Veuillez vous reconnecter.", timeout=8_000)
        page.wait_for_url(server.url + "/coordinators/sign-in?expired=1", timeout=8_000)
        assert page.locator("#password").is_visible()


def test_language_switch_and_wrong_password_by_keyboard(page, app_config):
    from helpline import create_app

    app = create_app({**app_config, "HELPLINE_PUBLIC_URL": PUBLIC})
    app.extensions["helpline.dashboard"].accounts.add("camille", PASSWORD, "fr")
    with LiveServer(app) as server:
        page.goto(server.url + "/coordinators/sign-in")
        page.click("a[lang=en]")
        assert page.inner_text("h1") == "Sign in"
        page.focus("#username")
        page.keyboard.type("camille")
        page.keyboard.press("Tab")
        page.keyboard.type("not the password")
        page.keyboard.press("Enter")
        page.wait_for_selector("text=Wrong username or password.")
        page.fill("#password", PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(server.url + "/coordinators/")
        page.click("button[lang=en]")
        assert page.inner_text("h1") == "Callback requests"
        tab_to(page, "sound")
        page.keyboard.press("Enter")
        page.wait_for_function("document.getElementById('sound').getAttribute('aria-pressed') === 'true'",
                               timeout=5_000)
    assert not page.problems, page.problems
