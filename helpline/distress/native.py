"""Whether the detector's hot loops run in C (`_native.c`) or in Python.

The C module is optional: setup.py builds it when a C compiler is there, and without it the Python
code does the same work, only slower.  HELPLINE_PURE_PYTHON=1 turns it off (to compare, or to rule it
out); the tests run both ways and check they agree.
"""
from __future__ import annotations

import os
from types import ModuleType

try:
    from . import _native as module
except ImportError:         # not built: no C compiler at install
    module = None


def wanted(native: bool | None) -> ModuleType | None:
    """The C module to use, or None for Python: `native` True requires it, False refuses it, None
    takes it when it is built and HELPLINE_PURE_PYTHON is not set."""
    if native is None:
        native = module is not None and os.environ.get("HELPLINE_PURE_PYTHON", "") in ("", "0")
    if native and module is None:
        raise RuntimeError("the detector's C module (helpline.distress._native) is not built")
    return module if native else None
