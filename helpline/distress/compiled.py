"""A cache of the compiled lexicons: expanding and compiling them takes seconds, reading them back
a fraction of that, and every process (web workers, alert worker, CLI, tests) builds a detector.

The cache is plain JSON (no pickle: nothing in it can run code), keyed by a SHA-256 of every lexicon
file and of the modules that shape the compiled form, so any change to either compiles afresh. It
lives in `$HELPLINE_DETECTOR_CACHE`, else `$XDG_CACHE_HOME/helpline` or `~/.cache/helpline`; set
`HELPLINE_DETECTOR_CACHE=` (empty) to turn it off. A cache that cannot be read or written is simply
not used: the lexicons are then compiled in memory as before, with the same result.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path

VERSION = 1
_SHAPERS = ("lexicon.py", "patterns.py", "matcher.py", "normalize.py", "compiled.py")


def directory() -> Path | None:
    configured = os.environ.get("HELPLINE_DETECTOR_CACHE")
    if configured is not None:
        return Path(configured) if configured.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "helpline"


def fingerprint(lexicon_dir: Path) -> str:
    digest = hashlib.sha256(f"v{VERSION}".encode())
    here = Path(__file__).parent
    for path in [here / name for name in _SHAPERS] + sorted(Path(lexicon_dir).glob("*.tsv")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def load(lexicon_dir: Path) -> dict | None:
    """The cached state for these lexicons, or None (no cache, other lexicons, unreadable)."""
    where = directory()
    if where is None:
        return None
    try:
        path = where / f"detector-{fingerprint(lexicon_dir)}.json"
        with open(path, encoding="utf-8") as f:
            state = json.load(f)
        return state if state.get("version") == VERSION else None
    except (OSError, ValueError):
        return None


def save(lexicon_dir: Path, state: dict) -> None:
    """Write the state atomically (a reader never sees half a file); failures are ignored."""
    where = directory()
    if where is None:
        return
    tmp = None
    try:
        where.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = where / f"detector-{fingerprint(lexicon_dir)}.json"
        fd, tmp = tempfile.mkstemp(dir=where, prefix=".detector-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({**state, "version": VERSION}, f, ensure_ascii=False, separators=(",", ":"))
        os.replace(tmp, path)
    except OSError:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
