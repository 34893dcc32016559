"""The simulator: TwiML parsing and Twilio's rules as pure functions, then calls and texts over real HTTP."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from helpline.simulator.call import (DIAL, DIGITS, SILENCE, SPEECH, Dial, Gather, Hangup, Pause, Redirect, Say,
                                     ScriptError, Step, TwimlError, Unsupported, dial_params, gather_params,
                                     parse_messages, parse_script, parse_step, parse_voice)
from helpline.simulator.cli import simulate
from helpline.simulator.client import SimulatorError, Transport, call_params, find_token, sms_params
from helpline.simulator.session import CallSession, ScriptedCaller, run_script
from helpline.simulator.texting import send_sms
from helpline.twilio_client import make_client
from helpline.twilio_sink import TwilioSink
from tests.conftest import PUBLIC_URL, TOKEN

MENU = """<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Gather action="/voice/menu?lang=fr" method="POST" timeout="6" input="dtmf speech" language="fr-FR"
          numDigits="1" speechTimeout="auto" hints="SPS">
    <Say language="fr-FR" voice="Polly.Lea">Pour la ligne SPS, tapez 1.</Say>
  </Gather>
  <Redirect method="POST">/voice/silence?lang=fr</Redirect>
</Response>"""


# -- parsing ------------------------------------------------------------------------------------------

def test_parse_voice_reads_gather_attributes_and_nested_prompts():
    gather, redirect = parse_voice(MENU)
    assert gather == Gather(action="/voice/menu?lang=fr", method="POST", inputs=frozenset({"dtmf", "speech"}),
                            timeout=6, num_digits=1, finish_on_key="#", language="fr-FR",
                            prompts=(Say("Pour la ligne SPS, tapez 1.", "fr-FR", "Polly.Lea"),))
    assert redirect == Redirect("/voice/silence?lang=fr", "POST")


def test_parse_voice_applies_twilio_defaults():
    """A bare <Gather> listens for keys for 5 s and posts to the current URL; a bare <Say> is en-US."""
    gather, say = parse_voice("<Response><Gather/><Say>Hi</Say></Response>")
    assert (gather.action, gather.inputs, gather.timeout, gather.num_digits, gather.finish_on_key) == \
        ("", frozenset({"dtmf"}), 5, None, "#")
    assert say == Say("Hi", "en-US")


@pytest.mark.parametrize("xml, expected", [
    ('<Response><Dial action="/r" timeout="20"><Number>+33805232336</Number></Dial></Response>',
     Dial(("+33805232336",), "/r", "POST", 20)),
    ("<Response><Dial>+33800288038</Dial></Response>", Dial(("+33800288038",))),
    ("<Response><Hangup/></Response>", Hangup("Hangup")),
    ("<Response><Reject/></Response>", Hangup("Reject")),
    ('<Response><Pause length="2"/></Response>', Pause(2)),
    ("<Response><Record/></Response>", Unsupported("Record")),
    ('<Response><Redirect method="get">/x</Redirect></Response>', Redirect("/x", "GET")),
], ids=["dial-number", "dial-text", "hangup", "reject", "pause", "unsupported", "redirect-get"])
def test_parse_voice_verbs(xml, expected):
    assert parse_voice(xml) == (expected,)


@pytest.mark.parametrize("xml", ["", "<Response/>", "<?xml version='1.0'?><Response></Response>"],
                         ids=["empty-body", "empty-response", "declaration"])
def test_empty_answers_have_no_verbs(xml):
    assert parse_voice(xml) == ()


@pytest.mark.parametrize("xml, problem", [("<html>oops</html>", "<html>"), ("Internal error", "not XML")],
                         ids=["wrong-root", "not-xml"])
def test_unusable_answers_are_errors(xml, problem):
    with pytest.raises(TwimlError, match=problem):
        parse_voice(xml)


def test_parse_messages_reads_inline_and_body_forms():
    xml = "<Response><Message>un</Message><Message><Body>deux</Body></Message><Redirect>/x</Redirect></Response>"
    assert parse_messages(xml) == ["un", "deux"]
    assert parse_messages("<Response/>") == []


# -- script steps -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, step", [
    ("1", Step(DIGITS, "1")), ("0612345678#", Step(DIGITS, "0612345678#")), ("*", Step(DIGITS, "*")),
    ("silence", Step(SILENCE)), ("", Step(SILENCE)), ("say:", Step(SILENCE)),
    ("say:je veux un rappel", Step(SPEECH, "je veux un rappel")), ("no-answer", Step(DIAL, "no-answer")),
    ("BUSY", Step(DIAL, "busy")),
], ids=lambda v: repr(v) if isinstance(v, str) else "")
def test_parse_step(text, step):
    assert parse_step(text) == step


def test_parse_script_and_its_errors():
    assert parse_script("1;silence;say:je veux un rappel;busy;") == [
        Step(DIGITS, "1"), Step(SILENCE), Step(SPEECH, "je veux un rappel"), Step(DIAL, "busy")]
    with pytest.raises(ScriptError, match="not a step"):
        parse_script("1;bonjour")
    assert parse_step("bonjour", typed=True) == Step(SPEECH, "bonjour")  # the terminal: typed words are speech


# -- what Twilio posts ------------------------------------------------------------------------------------

MENU_GATHER = parse_voice(MENU)[0]
NUMBER_GATHER = Gather(action="/n", inputs=frozenset({"dtmf"}), timeout=15)
SPEECH_ONLY = Gather(action="/s", inputs=frozenset({"speech"}))


@pytest.mark.parametrize("gather, step, params", [
    (MENU_GATHER, Step(DIGITS, "12"), {"Digits": "1"}),
    (NUMBER_GATHER, Step(DIGITS, "0612345678#"), {"Digits": "0612345678", "FinishedOnKey": "#"}),
    (NUMBER_GATHER, Step(DIGITS, "#"), None),
    (MENU_GATHER, Step(SPEECH, "un psychologue"), {"SpeechResult": "un psychologue", "Confidence": "0.92"}),
    (NUMBER_GATHER, Step(SPEECH, "zéro six"), None),
    (SPEECH_ONLY, Step(DIGITS, "1"), None),
    (MENU_GATHER, Step(SILENCE), None),
    (Gather(action="/e", action_on_empty=True), Step(SILENCE), {}),
], ids=["numDigits-cuts", "finishOnKey", "only-finish-key", "speech", "speech-to-dtmf-only", "keys-to-speech-only",
        "silence-moves-on", "actionOnEmptyResult"])
def test_gather_params(gather, step, params):
    assert gather_params(gather, step) == params


def test_dial_params_and_misplaced_steps():
    assert dial_params(Step(DIAL, "busy"), "CA1") == {"DialCallStatus": "busy", "DialCallSid": "CA1",
                                                      "DialCallDuration": "0"}
    assert dial_params(Step(DIAL, "completed"), "CA1")["DialCallDuration"] != "0"
    with pytest.raises(ScriptError):
        dial_params(Step(DIGITS, "1"), "CA1")
    with pytest.raises(ScriptError):
        gather_params(MENU_GATHER, Step(DIAL, "busy"))


def test_twilio_shaped_parameters():
    call = call_params("CA1", "+33612345678", "+33100000000", "ringing")
    assert call["CallStatus"] == "ringing" and call["Direction"] == "inbound" and call["FromCountry"] == "FR"
    assert {"CallSid", "AccountSid", "From", "To", "Caller", "Called", "ApiVersion"} <= set(call)
    text = sms_params("SM1", "+33698765432", "+33100000000", "AIDE", 1)
    assert text["MessageSid"] == text["SmsSid"] == "SM1" and text["NumSegments"] == "1" and text["Body"] == "AIDE"


# -- signing and URLs ---------------------------------------------------------------------------------------

def test_signature_matches_twilios_documented_vector():
    transport = Transport("http://127.0.0.1:9", "12345", "https://mycompany.com")
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234",
              "From": "+14158675309", "To": "+18005551212"}
    url, data, signature = transport.sign("https://mycompany.com/myapp.php?foo=1&bar=2", params)
    assert signature == "RSOYDt4T1cUTdK1PDd93/VVr8B8=" and data == params


def test_get_requests_carry_their_parameters_in_the_signed_url():
    transport = Transport("http://127.0.0.1:9", "12345", "https://h.example.org")
    url, data, signature = transport.sign("https://h.example.org/voice?lang=fr", {"Digits": "1"}, "GET")
    assert url == "https://h.example.org/voice?lang=fr&Digits=1" and data is None
    assert signature == Transport("http://x", "12345").validator.compute_signature(url, {})


def test_urls_resolve_against_the_public_url_and_go_to_the_real_one():
    transport = Transport("http://127.0.0.1:5000", "t", "https://h.example.org/")
    menu = transport.resolve("/voice/menu?lang=fr", "https://h.example.org/voice")
    assert menu == "https://h.example.org/voice/menu?lang=fr"
    assert transport.resolve("", menu) == menu  # a <Gather> without action posts to the current URL
    assert transport.resolve("/voice#rt=3000") == "https://h.example.org/voice"  # fragments are never sent
    assert transport.target(menu) == "http://127.0.0.1:5000/voice/menu?lang=fr"
    assert transport.target("https://elsewhere.example/x") == "https://elsewhere.example/x"


def test_find_token_precedence(tmp_path):
    (tmp_path / "local-auth-token").write_text("from-file\n")
    env = {"HELPLINE_DATA_DIR": str(tmp_path)}
    assert find_token(None, env) == "from-file"
    assert find_token(None, {**env, "TWILIO_AUTH_TOKEN": "from-env"}) == "from-env"
    assert find_token("explicit", {**env, "TWILIO_AUTH_TOKEN": "from-env"}) == "explicit"
    with pytest.raises(SimulatorError, match="local-auth-token"):
        find_token(None, {"HELPLINE_DATA_DIR": str(tmp_path / "none")})


# -- walking TwiML (no HTTP: the verbs are given) ----------------------------------------------------------

def _session(steps: str):
    lines: list[str] = []
    transport = Transport("http://127.0.0.1:9", "t", "https://h.example.org")
    caller = ScriptedCaller(parse_script(steps), lines.append)
    return CallSession(transport, caller, lines.append, caller="+33612345678", to="+33100000000"), caller, lines


def test_silence_at_a_gather_follows_the_redirect():
    session, _, lines = _session("silence")
    step = session.play(parse_voice(MENU), "https://h.example.org/voice")
    assert (step.url, step.params) == ("https://h.example.org/voice/silence?lang=fr", {})
    assert "[fr-FR] Pour la ligne SPS, tapez 1." in lines[0]


def test_keys_post_to_the_gather_action():
    session, _, _ = _session("1")
    step = session.play(parse_voice(MENU), "https://h.example.org/voice")
    assert (step.url, step.method, step.params) == ("https://h.example.org/voice/menu?lang=fr", "POST", {"Digits": "1"})


def test_a_dial_without_action_goes_on_with_the_next_verb_and_hangup_ends():
    session, _, _ = _session("failed")
    xml = "<Response><Dial>+33805232336</Dial><Say>Encore</Say><Hangup/><Say>never</Say></Response>"
    assert session.play(parse_voice(xml), "https://h.example.org/voice") == "<Hangup>"
    assert session.record.dials == [("+33805232336", "failed")]
    assert [s.text for s in session.record.said] == ["Encore"]


def test_exhausted_verbs_and_exhausted_script_end_the_call():
    session, _, _ = _session("")
    assert "no more verbs" in session.play(parse_voice("<Response><Say>Au revoir</Say></Response>"), "u")
    assert session.play(parse_voice(MENU), "u") == "the caller hung up"


def test_a_step_that_does_not_fit_is_reported_with_its_number():
    session, _, _ = _session("1;busy")
    session.play(parse_voice(MENU), "https://h.example.org/voice")
    with pytest.raises(ScriptError, match="step 2 .busy."):
        session.play(parse_voice(MENU), "https://h.example.org/voice")


# -- against the app over real HTTP ------------------------------------------------------------------------

def _transport(live_server, token=TOKEN) -> Transport:
    return Transport(live_server.url, token, PUBLIC_URL)


def test_a_scripted_call_reaches_sps_and_hangs_up(live_server):
    lines: list[str] = []
    record = run_script(_transport(live_server), parse_script("1;completed"), lines.append,
                        caller="+33612340001", to="+33100000000")
    assert record.dials == [("+33805232336", "completed")]
    assert record.ended == "<Hangup>" and not record.error and record.unused_steps == 0
    assert [url for url, _ in record.requests] == [
        f"{PUBLIC_URL}/voice", f"{PUBLIC_URL}/voice/menu?lang=fr", f"{PUBLIC_URL}/voice/dial-result?target=sps&lang=fr"]
    # French throughout, except the offer of English, spoken in English
    assert {s.language for s in record.said if "English" not in s.text} == {"fr-FR"}


def test_a_wrong_token_is_refused_and_the_call_fails(live_server):
    record = run_script(_transport(live_server, "not-the-token"), [], lambda line: None,
                        caller="+33612340002", to="+33100000000")
    assert record.error.startswith("HTTP 403") and record.said == []


def test_a_text_gets_its_replies_with_their_cost(live_server):
    replies = send_sms(_transport(live_server), "SPS", sender="+33612340003", to="+33100000000")
    assert len(replies) == 1 and "0805 23 23 36" in replies[0].text
    assert replies[0].segments.segments >= 1 and replies[0].segments.encoding in ("GSM-7", "UCS-2")


def test_cli_call_prints_a_transcript(live_server):
    result = CliRunner().invoke(simulate, ["call", "--url", live_server.url, "--public-url", PUBLIC_URL,
                                           "--token", TOKEN, "--from", "+33612340004", "--script", "9;1;busy"])
    assert result.exit_code == 0, result.output
    assert "> POST /voice/menu?lang=fr  Digits=9" in result.output
    assert "[en-GB]" in result.output and "~ transfer to +33805232336 (30 s) <- busy" in result.output
    assert "DialCallStatus=busy" in result.output and "= call ended: the caller hung up" in result.output


def test_cli_call_reports_a_step_that_does_not_fit(live_server):
    result = CliRunner().invoke(simulate, ["call", "--url", live_server.url, "--public-url", PUBLIC_URL,
                                           "--token", TOKEN, "--script", "completed"])
    assert result.exit_code == 1 and "step 1 (completed) does not fit" in result.output


def test_cli_sms_prints_segments_and_encoding(live_server):
    result = CliRunner().invoke(simulate, ["sms", "RESSOURCES", "--url", live_server.url, "--public-url", PUBLIC_URL,
                                           "--token", TOKEN, "--from", "+33612340005"])
    assert result.exit_code == 0, result.output
    assert "> SMS from +33612340005: RESSOURCES" in result.output
    assert "< reply 1: " in result.output and " segment(s), " in result.output
    assert "01 44 44 44 44" in result.output  # the institution's first resource


def test_cli_inbox_reads_the_local_sink(tmp_path):
    with TwilioSink() as sink:
        (tmp_path / "sink.url").write_text(sink.url + "\n")
        make_client("AC" + "0" * 32, "local", sink.url).messages.create(
            to="+33611111111", from_="+33100000000", body="URGENT rappel #7. Répondre OK 7")
        result = CliRunner().invoke(simulate, ["inbox", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "SMS SM" in result.output and "to +33611111111 from +33100000000 (1 segment(s), GSM-7)" in result.output
    assert "  URGENT rappel #7. Répondre OK 7" in result.output


def test_cli_inbox_without_a_local_service_says_why(tmp_path):
    result = CliRunner().invoke(simulate, ["inbox", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1 and "sink.url" in result.output and "local mode" in result.output
