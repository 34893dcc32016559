"""The alert plan, texts and failure sorting: pure functions, no Redis, no clock."""
from __future__ import annotations

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from urllib3.exceptions import NewConnectionError

from helpline.alerts import plan
from helpline.alerts.delivery import PERMANENT, TRANSIENT, UNCERTAIN, RetryPolicy, classify
from helpline.alerts.messages import alert_sms, gsm_safe, taken_sms
from helpline.i18n import Catalogs
from sms.segments import count_segments

TIMING = plan.Timing(first_call_after=60, escalate_after=300)


def walk(urgency, n, count, skip=frozenset()):
    step, seen = plan.first_step(urgency, n, TIMING, skip), []
    while step is not None and len(seen) < count:
        seen.append((step.channel, step.coordinator, step.offset))
        step = plan.next_step(step, urgency, n, TIMING, skip, succeeded=False if urgency == "routine" else True)
    return seen


def test_urgent_goes_sms_then_call_per_coordinator_then_rounds_of_calls():
    assert walk("urgent", 2, 8) == [
        ("sms", 0, 0), ("call", 0, 60), ("sms", 1, 300), ("call", 1, 360),
        ("call", 0, 660), ("call", 1, 960), ("call", 0, 1260), ("call", 1, 1560)]


def test_urgent_with_one_coordinator_keeps_calling_them():
    assert walk("urgent", 1, 4) == [("sms", 0, 0), ("call", 0, 60), ("call", 0, 360), ("call", 0, 660)]


def test_a_late_first_call_does_not_hold_back_the_next_coordinator():
    late_call = plan.Timing(first_call_after=90, escalate_after=60)
    step, seen = plan.first_step("urgent", 2, late_call), []
    while step is not None and len(seen) < 5:
        seen.append((step.channel, step.coordinator, step.offset))
        step = plan.next_step(step, "urgent", 2, late_call)
    assert seen == [("sms", 0, 0), ("sms", 1, 60), ("call", 0, 90), ("call", 1, 150), ("call", 0, 210)]


def test_routine_sends_one_sms_and_stops_when_it_went_out():
    first = plan.first_step("routine", 3, TIMING)
    assert (first.channel, first.coordinator) == ("sms", 0)
    assert plan.next_step(first, "routine", 3, TIMING, succeeded=True) is None


def test_routine_moves_to_the_next_coordinator_only_on_failure_and_ends():
    assert walk("routine", 2, 10) == [("sms", 0, 0), ("sms", 1, 0)]


@pytest.mark.parametrize("urgency", ["urgent", "routine"])
def test_no_coordinators_means_no_plan(urgency):
    assert plan.first_step(urgency, 0, TIMING) is None


def test_skipped_channels_are_passed_over():
    skip = frozenset({"sms:0", "call:0"})
    assert walk("urgent", 2, 4, skip) == [("sms", 1, 300), ("call", 1, 360), ("call", 1, 960), ("call", 1, 1560)]


def test_a_plan_with_every_channel_skipped_ends_instead_of_looping():
    skip = frozenset({"sms:0", "call:0", "sms:1", "call:1"})
    assert plan.first_step("urgent", 2, TIMING, skip) is None
    last_sms = plan.step_at(2, "urgent", 2, TIMING)
    assert plan.next_step(last_sms, "urgent", 2, TIMING, skip) is None


@pytest.mark.parametrize("code, expected", [
    pytest.param(21211, {"sms:1", "call:1"}, id="invalid-number-rules-out-both"),
    pytest.param(21610, {"sms:1"}, id="sms-opt-out-keeps-calls"),
    pytest.param("opted-out", {"sms:1"}, id="our-opt-out-list"),
    pytest.param(21401, {"call:1"}, id="other-4xx-rules-out-that-channel"),
])
def test_permanent_failures_skip_what_they_rule_out(code, expected):
    channel = "call" if code == 21401 else "sms"
    assert plan.skips_for(code, channel, 1) == expected


def test_next_step_timing_on_success_and_failure():
    sms0, call0 = plan.step_at(0, "urgent", 2, TIMING), plan.step_at(1, "urgent", 2, TIMING)
    assert plan.due_after(sms0, call0, done_at=1000, succeeded=True, coordinators=2) == 1060
    assert plan.due_after(sms0, call0, done_at=1000, succeeded=False, coordinators=2) == 1000
    round_a, round_b = plan.step_at(4, "urgent", 2, TIMING), plan.step_at(5, "urgent", 2, TIMING)
    # In the call rounds a failure keeps the rhythm: a Twilio outage must not spin the plan.
    assert plan.due_after(round_a, round_b, done_at=1000, succeeded=False, coordinators=2) == 1300
    assert plan.due_after(round_a, round_b, done_at=1000, succeeded=True, coordinators=2) == 1300


CATALOGS = Catalogs()


@pytest.mark.parametrize("locale", ["fr", "en"])
@pytest.mark.parametrize("urgency, number", [("urgent", "+33612345678"), ("urgent", ""),
                                             ("routine", "+447700900123"), ("routine", "")])
def test_alert_sms_is_one_gsm7_segment_with_id_number_and_language(locale, urgency, number):
    text = alert_sms(CATALOGS.gettext, locale, cb_id=123456, urgency=urgency, number=number, lang="en")
    segments = count_segments(text)
    assert (segments.encoding, segments.segments) == ("GSM-7", 1), text
    assert "#123456" in text and "OK 123456" in text and "(en)" in text
    assert text.startswith("URGENT") == (urgency == "urgent")
    if number.startswith("+33"):
        assert "06 12 34 56 78" in text
    elif number:
        assert number in text


def test_french_urgent_alert_reads_as_the_issue_shows():
    text = alert_sms(CATALOGS.gettext, "fr", cb_id=42, urgency="urgent", number="+33612345678", lang="fr")
    assert text == "URGENT rappel #42 06 12 34 56 78 (fr). Répondre OK 42"


def test_taken_notice_stays_gsm7_whatever_the_name():
    text = taken_sms(CATALOGS.gettext, "fr", cb_id=7, name="Françoise Lefèvre-Hôtel « Œ » " + "x" * 200)
    assert count_segments(text).encoding == "GSM-7" and count_segments(text).segments == 1
    assert text.startswith("Rappel #7 pris en charge par Francoise Lefèvre-Hotel")


def test_gsm_safe_keeps_what_gsm7_has():
    assert gsm_safe("é è à ù É Ç ç ê œ ’") == "é è à ù É Ç c e oe '"


def _rest_error(status, code):
    return TwilioRestException(status, "https://api.twilio.com/x", "error", code=code)


@pytest.mark.parametrize("exc, kind", [
    pytest.param(_rest_error(503, 20503), TRANSIENT, id="503"),
    pytest.param(_rest_error(500, 20500), TRANSIENT, id="500"),
    pytest.param(_rest_error(429, 20429), TRANSIENT, id="429"),
    pytest.param(_rest_error(400, 21211), PERMANENT, id="invalid-number"),
    pytest.param(_rest_error(400, 21610), PERMANENT, id="unsubscribed"),
    pytest.param(_rest_error(401, 20003), PERMANENT, id="auth"),
    pytest.param(requests.exceptions.ConnectTimeout(), TRANSIENT, id="connect-timeout"),
    pytest.param(requests.exceptions.ConnectionError(
        type("R", (), {"reason": NewConnectionError(None, "refused")})()), TRANSIENT, id="refused"),
    pytest.param(requests.exceptions.ReadTimeout(), UNCERTAIN, id="read-timeout-may-have-sent"),
    pytest.param(requests.exceptions.ConnectionError("Connection aborted"), UNCERTAIN, id="dropped-mid-request"),
])
def test_failures_are_sorted_by_whether_a_retry_is_safe(exc, kind):
    assert classify(exc)[0] == kind


def test_other_exceptions_are_not_swallowed():
    with pytest.raises(KeyError):
        classify(KeyError("bug"))


def test_backoff_is_bounded_and_honours_retry_after_up_to_the_cap():
    policy = RetryPolicy(attempts=5, base=0.5, cap=2.0)
    assert all(0 <= policy.delay(a) <= 2.0 for a in range(10) for _ in range(20))
    assert policy.delay(0, retry_after=1.5) >= 1.5
    assert policy.delay(0, retry_after=60) <= 2.0
