"""The helpline application: `create_app` wires settings, services and the channel blueprints."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from flask.sessions import SessionInterface

from . import security, store
from .callbacks import CallbackQueue
from .distress import default_detector
from .config import load_institution, secret_from_file, settings_from_env
from .errors import ConfigError
from .i18n import Catalogs
from .journal import Journal
from .logs import configure_logger
from .optout import OptOuts

log = logging.getLogger("helpline.app")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: settings, then services, then blueprints."""
    app = Flask(__name__)
    app.session_interface = NoCookieSessions()
    app.config.from_mapping(settings_from_env())
    if test_config:
        app.config.update(test_config)
    configure_logger(app)
    configure_secrets(app)
    configure_redis_url(app)
    register_extensions(app)
    register_blueprints(app)
    return app


class NoCookieSessions(SessionInterface):
    """No Flask cookie session: webhooks need none, and the coordinators' page keeps its sessions in
    Redis (helpline.dashboard.sessions). Skips signing work on every request."""

    def open_session(self, app, request):
        return None

    def save_session(self, app, session, response):
        return None


def configure_secrets(app: Flask) -> None:
    """Data directory, local mode (a generated auth token when none is set), the server secret."""
    data_dir = Path(app.config["HELPLINE_DATA_DIR"]).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    app.config["HELPLINE_DATA_DIR"] = str(data_dir)
    app.config["LOCAL_MODE"] = not app.config.get("TWILIO_AUTH_TOKEN")
    if app.config["LOCAL_MODE"]:
        app.config["TWILIO_AUTH_TOKEN"] = secret_from_file(data_dir, "local-auth-token")
        log.warning("LOCAL MODE: no TWILIO_AUTH_TOKEN set; webhooks are signed with the token kept in %s",
                    data_dir / "local-auth-token")
    app.config["SECRET_KEY"] = app.config.get("HELPLINE_SECRET_KEY") or secret_from_file(data_dir, "secret-key")
    app.config["INSTITUTION"] = load_institution(app.config.get("HELPLINE_CONFIG"))


def configure_redis_url(app: Flask) -> None:
    """REDIS_URL, or the embedded server that `helpline serve` started for this data directory."""
    if app.config.get("REDIS_URL"):
        return
    url_file = Path(app.config["HELPLINE_DATA_DIR"]) / "redis.url"
    if url_file.exists():
        app.config["REDIS_URL"] = url_file.read_text().strip()
        return
    raise ConfigError(
        f"REDIS_URL is not set and no embedded Redis runs for {app.config['HELPLINE_DATA_DIR']}: "
        "start the service with `helpline serve` or set REDIS_URL")


def register_extensions(app: Flask) -> None:
    """Services reached through small accessors: Redis, callbacks, catalogs, signature validators."""
    store.init_app(app)
    institution = app.config["INSTITUTION"]
    app.extensions["helpline.callbacks"] = CallbackQueue(
        app.extensions["helpline.redis"], retention_seconds=institution.retention_days * 86400)
    app.extensions["helpline.catalogs"] = Catalogs()
    app.extensions["helpline.journal"] = Journal(Path(app.config["HELPLINE_DATA_DIR"]) / "journal" / "callbacks.jsonl")
    app.extensions["helpline.optouts"] = OptOuts(app.extensions["helpline.redis"], app.config["SECRET_KEY"])
    app.extensions["helpline.detector"] = default_detector()  # compiled once per process, before the first text
    security.init_app(app)


def register_blueprints(app: Flask) -> None:
    """One blueprint per channel; this is the only place `helpline` imports them."""
    from ivr import create_blueprint as voice_blueprint
    from sms import create_blueprint as sms_blueprint

    from .alerts import create_blueprint as alerts_blueprint
    from .dashboard import create_blueprint as dashboard_blueprint
    from .ops import create_blueprint as ops_blueprint

    app.register_blueprint(alerts_blueprint())
    app.register_blueprint(dashboard_blueprint())
    app.register_blueprint(ops_blueprint())
    app.register_blueprint(voice_blueprint())
    app.register_blueprint(sms_blueprint())
