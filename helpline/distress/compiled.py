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
KEEP = 8        # cached compilations kept (the most recently used); each upgrade or edit adds one
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


def load(key: str) -> dict | None:
    """The cached state for the lexicons whose fingerprint is `key`, or None (no cache, other
    lexicons, unreadable)."""
    where = directory()
    if where is None:
        return None
    try:
        path = where / f"detector-{key}.json"
        with open(path, encoding="utf-8") as f:
            state = json.load(f)
        if state.get("version") != VERSION:
            return None
        with contextlib.suppress(OSError):
            os.utime(path)          # used: the last to be pruned
        return state
    except (OSError, ValueError):
        return None


def save(lexicon_dir: Path, state: dict, key: str) -> bool:
    """Write the state compiled from the files whose fingerprint was `key`, atomically (a reader
    never sees half a file).  Nothing is written when the files changed since (someone edited a
    lexicon during the compile: the state is already out of date) or when writing fails; returns
    whether the cache was written."""
    where = directory()
    if where is None:
        return False
    tmp = None
    try:
        if fingerprint(lexicon_dir) != key:
            return False
        where.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = where / f"detector-{key}.json"
        fd, tmp = tempfile.mkstemp(dir=where, prefix=".detector-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({**state, "version": VERSION}, f, ensure_ascii=False, separators=(",", ":"))
        os.replace(tmp, path)
        prune(where)
        return True
    except OSError:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        return False


def prune(where: Path, keep: int = KEEP) -> None:
    """Remove all but the `keep` most recently used compilations (older lexicons, older code)."""
    def used(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0
    for path in sorted(where.glob("detector-*.json"), key=used, reverse=True)[keep:]:
        with contextlib.suppress(OSError):
            path.unlink()
