"""The project's exception hierarchy: one base, narrow subclasses, clear messages at the edge."""
from __future__ import annotations


class HelplineError(Exception):
    """Base class for every error the helpline raises on purpose."""


class ConfigError(HelplineError):
    """The environment or the institution file is unusable; the message names what and where."""


class StoreUnavailable(HelplineError):
    """Redis could not be reached or answered too slowly."""


class NotFound(HelplineError):
    """A callback, coordinator or other record does not exist."""


class Conflict(HelplineError):
    """The action does not fit the record's state (already taken, already resolved...)."""
