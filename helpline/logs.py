"""Logging to stdout: one line per webhook, keyed by CallSid/MessageSid, masked numbers, never a body."""
from __future__ import annotations

import logging
import sys

from .privacy import mask_number, mask_sid

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure_logger(app) -> None:
    """Send the helpline's loggers to stdout at the configured level (once per process)."""
    root = logging.getLogger("helpline")
    level = getattr(logging, str(app.config.get("HELPLINE_LOG_LEVEL", "INFO")).upper(), logging.INFO)
    root.setLevel(level)
    if not any(getattr(h, "_helpline", False) for h in root.handlers):
        # Services log to stdout; commands that print results (JSON) log to stderr instead.
        stream = sys.stderr if app.config.get("HELPLINE_LOG_STREAM") == "stderr" else sys.stdout
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter(FORMAT))
        handler._helpline = True
        root.addHandler(handler)
        root.propagate = True


def webhook_line(channel: str, sid: str | None, *, number: str | None = None, **fields) -> str:
    """A log line for one webhook: channel, sid, masked number and short non-personal fields."""
    parts = [channel, f"sid={mask_sid(sid)}", f"from={mask_number(number)}"]
    parts += [f"{k}={v}" for k, v in fields.items() if v not in (None, "")]
    return " ".join(parts)
