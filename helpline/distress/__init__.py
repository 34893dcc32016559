"""Distress detection for every SMS and call transcript: urgent, concern or none, with reasons.

    from helpline.distress import assess
    assess("je n'ai plus envie de vivre").level   # 'urgent'

Nothing is loaded at import time: the default Detector compiles the lexicons on first use and is
cached; build `Detector(path)` to use another lexicon directory.
"""
from __future__ import annotations

from functools import lru_cache

from .detector import Assessment, Detector, Signal
from .lexicon import LexiconError

__all__ = ["Assessment", "Detector", "LexiconError", "Signal", "assess", "default_detector"]


@lru_cache(maxsize=1)
def default_detector() -> Detector:
    """The detector over the packaged lexicons, built once."""
    return Detector()


def assess(text: str, locale: str | None = None) -> Assessment:
    """Assess one message with the default detector."""
    return default_detector().assess(text, locale)
