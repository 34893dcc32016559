"""`helpline twilio configure`: the number's webhook URLs, set through the official client on the loopback sink."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from helpline.errors import ConfigError, NotFound
from helpline.twilio_client import make_client
from helpline.twilio_setup import configure_number, number_settings, service_routes, twilio, warnings_for
from helpline.twilio_sink import TwilioSink

ACCOUNT, SECRET = "AC" + "1" * 32, "sink-token"
NUMBER, PUBLIC = "+33987654321", "https://helpline.example.org"
EXPECTED = {
    "voice_url": f"{PUBLIC}/voice", "voice_method": "POST",
    "voice_fallback_url": f"{PUBLIC}/voice/fallback", "voice_fallback_method": "POST",
    "sms_url": f"{PUBLIC}/sms", "sms_method": "POST",
    "sms_fallback_url": f"{PUBLIC}/sms/fallback", "sms_fallback_method": "POST",
}


@pytest.fixture
def sink():
    with TwilioSink(account_sid=ACCOUNT, auth_token=SECRET) as server:
        server.add_number("+33900000000")
        server.add_number(NUMBER)
        yield server


def _env(sink, **extra) -> dict:
    return {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": SECRET, "TWILIO_API_BASE_URL": sink.url,
            "TWILIO_API_KEY": None, "TWILIO_API_SECRET": None, "HELPLINE_PUBLIC_URL": None, **extra}


def _number(sink, phone=NUMBER) -> dict:
    return next(n for n in sink.numbers() if n["phone_number"] == phone)


def test_every_configured_path_is_a_post_route_of_the_real_app(app):
    app_routes = {r.rule for r in app.url_map.iter_rules() if "POST" in r.methods}
    settings = number_settings(PUBLIC, service_routes())
    assert {v.removeprefix(PUBLIC) for k, v in settings.items() if k.endswith("Url")} <= app_routes
    assert set(settings) == {"VoiceUrl", "VoiceMethod", "VoiceFallbackUrl", "VoiceFallbackMethod",
                             "SmsUrl", "SmsMethod", "SmsFallbackUrl", "SmsFallbackMethod"}


def test_a_missing_sms_fallback_is_left_out():
    settings = number_settings(PUBLIC + "/", {"/voice", "/voice/fallback", "/sms"})
    assert settings == {"VoiceUrl": f"{PUBLIC}/voice", "VoiceMethod": "POST", "VoiceFallbackUrl": f"{PUBLIC}/voice/fallback",
                        "VoiceFallbackMethod": "POST", "SmsUrl": f"{PUBLIC}/sms", "SmsMethod": "POST"}


def test_connection_overrides_go_on_the_primary_urls_only():
    settings = number_settings(PUBLIC, service_routes(), "#ct=2000&rt=8000&rc=1")
    assert settings["VoiceUrl"] == f"{PUBLIC}/voice#ct=2000&rt=8000&rc=1"
    assert settings["SmsUrl"] == f"{PUBLIC}/sms#ct=2000&rt=8000&rc=1"
    assert "#" not in settings["VoiceFallbackUrl"] + settings["SmsFallbackUrl"]


@pytest.mark.parametrize("public, overrides, problem", [
    ("helpline.example.org", "", "not an http"), (PUBLIC, "timeout=3", "unknown connection override")],
    ids=["no-scheme", "bad-override"])
def test_bad_settings_are_refused(public, overrides, problem):
    with pytest.raises(ConfigError, match=problem):
        number_settings(public, {"/voice"}, overrides)


def test_warnings_only_for_real_twilio():
    assert any("loopback" in w for w in warnings_for("http://127.0.0.1:5000", "https://api.twilio.com"))
    assert any("https" in w for w in warnings_for("http://helpline.example.org", "https://api.twilio.com"))
    assert warnings_for("http://127.0.0.1:5000", "http://127.0.0.1:8099") == []


def test_configure_number_lists_by_phone_number_then_updates_it(sink):
    client = make_client(ACCOUNT, SECRET, sink.url)
    configure_number(client, NUMBER, number_settings(PUBLIC, service_routes()))
    assert {k: _number(sink)[k] for k in EXPECTED} == EXPECTED
    assert _number(sink, "+33900000000")["voice_url"] is None  # the other number is untouched
    listing, update = sink.requests()
    assert listing["kind"] == "number_list" and listing["params"]["PhoneNumber"] == NUMBER
    assert update["kind"] == "number_update" and update["path"].endswith(f"/{_number(sink)['sid']}.json")
    assert update["params"]["SmsFallbackUrl"] == f"{PUBLIC}/sms/fallback"


def test_an_unknown_number_changes_nothing(sink):
    with pytest.raises(NotFound, match="not a number of this Twilio account"):
        configure_number(make_client(ACCOUNT, SECRET, sink.url), "+33911111111", {"VoiceUrl": f"{PUBLIC}/voice"})
    assert [r["kind"] for r in sink.requests()] == ["number_list"]


def test_cli_configures_the_number(sink):
    result = CliRunner().invoke(twilio, ["configure", "--number", NUMBER, "--public-url", PUBLIC],
                                env=_env(sink))
    assert result.exit_code == 0, result.output
    assert f"Set on {NUMBER}:" in result.output and f"SmsFallbackUrl       {PUBLIC}/sms/fallback" in result.output
    assert {k: _number(sink)[k] for k in EXPECTED} == EXPECTED


def test_cli_reports_twilios_refusal(sink):
    result = CliRunner().invoke(twilio, ["configure", "--number", NUMBER, "--public-url", PUBLIC],
                                env=_env(sink, TWILIO_AUTH_TOKEN="wrong"))
    assert result.exit_code == 1 and "Twilio refused" in result.output
    assert "HTTP 401" in result.output and "20003" in result.output
    assert _number(sink)["voice_url"] is None


def test_cli_dry_run_calls_nothing(sink):
    result = CliRunner().invoke(twilio, ["configure", "--number", NUMBER, "--dry-run"],
                                env=_env(sink, HELPLINE_PUBLIC_URL=PUBLIC))
    assert result.exit_code == 0 and f"Would set on {NUMBER}:" in result.output
    assert sink.requests() == [] and sink.failed_requests() == []


def test_cli_needs_credentials_for_real_twilio():
    env = {"TWILIO_AUTH_TOKEN": None, "TWILIO_API_KEY": None, "TWILIO_API_BASE_URL": None}
    result = CliRunner().invoke(twilio, ["configure", "--number", NUMBER, "--public-url", "http://127.0.0.1:5000"],
                                env=env)
    assert result.exit_code == 1 and "set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN" in result.output
    assert "loopback address" in result.output  # warned before anything else


def test_cli_refuses_a_number_that_is_not_e164(sink):
    result = CliRunner().invoke(twilio, ["configure", "--number", "06 12 34 56 78", "--public-url", PUBLIC],
                                env=_env(sink))
    assert result.exit_code == 1 and "is not an E.164 number" in result.output
    assert sink.requests() == []
