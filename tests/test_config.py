"""The institution file: defaults, a full file, and broken files named by file and line."""
from __future__ import annotations

import pytest

from helpline.config import Institution, load_institution, settings_from_env
from helpline.errors import ConfigError
from tests.conftest import DATA


def test_runs_without_a_file():
    institution = load_institution(None)
    assert institution == Institution()
    assert institution.default_locale == "fr" and institution.escalate_after_seconds == 300


def test_the_test_file_loads():
    institution = load_institution(DATA / "institution.toml")
    assert institution.name == "CHU Exemple"
    assert [c.phone for c in institution.coordinators] == ["+33611111111", "+33622222222"]
    assert institution.resources[0].kind == "psychologist"


BROKEN = {
    "bad-toml": ('[institution]\nname = "CHU\n', "line 2"),
    "bad-phone": ('[institution]\nname = "X"\n\n[[coordinators]]\nname = "A"\nphone = "06 12"\n', "line 6"),
    "bad-kind": ('[[resources]]\nkind = "astrologer"\nname = "A"\nphone = "+33612345678"\n', "line 2"),
    "bad-locale": ('[institution]\nname = "X"\ndefault_locale = "de"\n', "line 3"),
    "negative-delay": ('[alerts]\nescalate_after_seconds = -5\n', "line 2"),
    "missing-name": ('[[coordinators]]\nphone = "+33612345678"\n', "line 2"),
    "unknown-section": ('[institutoin]\nname = "X"\n', "line 1"),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_files_name_the_file_and_the_line(tmp_path, name):
    text, where = BROKEN[name]
    path = tmp_path / "institution.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_institution(path)
    assert str(path) in str(info.value) and where in str(info.value)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_institution(tmp_path / "nope.toml")


def test_environment_overrides_defaults():
    settings = settings_from_env({"REDIS_URL": "redis://x", "TWILIO_API_BASE_URL": "", "HELPLINE_DATA_DIR": "/d"})
    assert settings["REDIS_URL"] == "redis://x"
    assert settings["TWILIO_API_BASE_URL"] == "https://api.twilio.com"
    assert settings["HELPLINE_DATA_DIR"] == "/d"


def test_local_mode_generates_and_keeps_a_token(app_config, tmp_path):
    from helpline import create_app

    config = {**app_config, "TWILIO_AUTH_TOKEN": None, "HELPLINE_DATA_DIR": str(tmp_path / "local")}
    first, second = create_app(config), create_app(config)
    assert first.config["LOCAL_MODE"] and first.config["TWILIO_AUTH_TOKEN"]
    assert first.config["TWILIO_AUTH_TOKEN"] == second.config["TWILIO_AUTH_TOKEN"]
    assert oct((tmp_path / "local" / "local-auth-token").stat().st_mode & 0o777) == "0o600"


def test_missing_redis_url_is_a_clear_error(app_config, tmp_path):
    from helpline import create_app

    with pytest.raises(ConfigError, match="REDIS_URL"):
        create_app({**app_config, "REDIS_URL": None, "HELPLINE_DATA_DIR": str(tmp_path / "none")})
