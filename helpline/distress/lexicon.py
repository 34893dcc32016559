"""Load and validate the lexicon directory (format: lexicons/README.md).

Every file is tab-separated, '#' starts a comment line, blank lines are skipped.  A bad line raises
LexiconError naming the file and the line, so a typo in a word list fails loudly at start-up.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from .normalize import fold, normalize_phrase, squeeze
from .patterns import PatternError, expand, parse_macro, with_split_words

LEVELS = ("none", "concern", "urgent")
SIGNAL_CATEGORIES = frozenset({
    # urgent
    "suicidal_ideation", "self_harm", "means", "farewell", "patient_danger", "acute_crisis",
    # concern
    "guilt", "rumination", "sleep", "anxiety", "shame", "isolation", "fear_of_judgment",
    "legal_fear", "exhaustion", "low_mood", "denied_ideation", "third_party", "past_ideation",
    "support_request", "intrusive_memories", "coping",
    # markers that rules promote or combine (never output as they are)
    "life_affirm", "means_term", "acute_symptom", "farewell_hint", "idiom",
})
CONTEXT_MARKERS = frozenset({
    "reporter", "hypothetical", "past", "past_back", "recurrence", "recurrence_back", "calm", "future",
    "immediacy", "now_word", "levity", "means_context", "own_voice", "self_reveal", "third_person_self",
    "relief", "agreement", "unaware", "redone", "worried_other",
})
# Weak cue families read by the co-occurrence rule (cues_<lang>.tsv); `work` and `job` only cancel
# nearby cues (combine.VETOES).
CUE_FAMILIES = frozenset({
    "means", "possession", "taken", "quantity", "place", "presence", "height", "farewell", "finality", "now",
    "self_harm", "unfit", "care_act", "harm_fear", "panic", "stuck", "work", "job",
})
WORD_CLASSES = frozenset({"negator", "self", "other", "reporter", "clause", "lang", "keep", "subject", "impersonal", "thing",
                          "comparative", "addressee", "asking", "seeing", "well"})
LAYERS = {"": "signal", "idioms_": "idiom", "context_": "context", "cues_": "cue"}
_LANG_FILE = re.compile(r"(idioms_|context_|words_|sms_|cues_)?([a-z]{2})\.tsv")
_NAME = re.compile(r"[a-z][a-z0-9_]*")


class LexiconError(ValueError):
    """A lexicon file is malformed; the message starts with 'file:line:'."""

    def __init__(self, path: Path | str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = str(path)
        self.line = line


@dataclass(frozen=True, slots=True)
class Entry:
    """One lexicon line: what it matches and what it means."""

    pattern: str
    category: str
    level: str
    layer: str
    lang: str
    source: str


@dataclass
class Lexicon:
    """Everything the detector needs, already validated."""

    entries: list[tuple[Entry, list[tuple[str, ...]]]] = field(default_factory=list)
    sms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    emoji: dict[str, str] = field(default_factory=dict)
    words: dict[str, set[str]] = field(default_factory=lambda: {c: set() for c in WORD_CLASSES})
    lang_words: dict[str, set[str]] = field(default_factory=dict)
    cue_pairs: dict[frozenset[str], str] = field(default_factory=dict)


def rows(path: Path, ncols: int) -> Iterator[tuple[int, list[str]]]:
    """(line number, columns) of each data line; wrong column counts raise LexiconError."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise LexiconError(path, 0, f"not UTF-8: {exc}") from None
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cols = [c.strip() for c in line.split("\t")]
        if len(cols) != ncols or not all(cols):
            raise LexiconError(path, n, f"expected {ncols} non-empty tab-separated columns, got {len(cols)}")
        yield n, cols


def load_lexicon(directory: Path | str) -> Lexicon:
    """Read and validate every file of a lexicon directory."""
    directory = Path(directory)
    if not directory.is_dir():
        raise LexiconError(directory, 0, "lexicon directory not found")
    lex = Lexicon()
    macros = load_macros(directory / "macros.tsv") if (directory / "macros.tsv").exists() else {}
    if (directory / "emoji.tsv").exists():
        for n, (emo, name) in rows(directory / "emoji.tsv", 2):
            if not _NAME.fullmatch(name):
                raise LexiconError(directory / "emoji.tsv", n, f"emoji name {name!r} must be [a-z0-9_]")
            lex.emoji[emo.replace("\ufe0f", "")] = squeeze(name)
    for path in sorted(directory.glob("*.tsv")):
        m = _LANG_FILE.fullmatch(path.name)
        if not m:
            continue
        kind, lang = m.group(1) or "", m.group(2)
        if kind == "sms_":
            load_sms(path, lex)
        elif kind == "words_":
            load_words(path, lang, lex)
        else:
            load_entries(path, lang, LAYERS[kind], macros, lex)
    if (directory / "cue_pairs.tsv").exists():
        lex.cue_pairs = load_cue_pairs(directory / "cue_pairs.tsv")
    if not lex.entries:
        raise LexiconError(directory, 0, "no lexicon entries found")
    return lex


def load_macros(path: Path) -> dict[str, list[tuple[str, ...]]]:
    """Macros: '@name<TAB>phrase|phrase|...'."""
    macros: dict[str, list[tuple[str, ...]]] = {}
    for n, (name, values) in rows(path, 2):
        if not name.startswith("@") or not _NAME.fullmatch(name[1:]):
            raise LexiconError(path, n, f"macro name {name!r} must look like @name")
        if name[1:] in macros:
            raise LexiconError(path, n, f"macro {name} defined twice")
        try:
            macros[name[1:]] = parse_macro(values, macros)
        except PatternError as exc:
            raise LexiconError(path, n, str(exc)) from None
    return macros


def load_cue_pairs(path: Path) -> dict[frozenset[str], str]:
    """Cue pairs: 'family<TAB>family<TAB>urgent category' (a family paired with itself needs two phrases)."""
    pairs: dict[frozenset[str], str] = {}
    for n, (a, b, category) in rows(path, 3):
        for fam in (a, b):
            if fam not in CUE_FAMILIES or fam in ("work", "job"):
                raise LexiconError(path, n, f"unknown cue family {fam!r}")
        if category not in SIGNAL_CATEGORIES:
            raise LexiconError(path, n, f"unknown category {category!r}")
        if frozenset((a, b)) in pairs:
            raise LexiconError(path, n, f"pair {a}+{b} listed twice")
        pairs[frozenset((a, b))] = category
    return pairs


def load_sms(path: Path, lex: Lexicon) -> None:
    """SMS spellings: 'written form<TAB>standard phrase'."""
    for n, (written, standard) in rows(path, 2):
        keys = normalize_phrase(written)
        target = tuple(normalize_phrase(standard))
        if len(keys) != 1 or not target:
            raise LexiconError(path, n, f"{written!r} must be one word and map to at least one word")
        word = fold(written)[0]
        if word in lex.sms:
            raise LexiconError(path, n, f"{written!r} is already mapped to {' '.join(lex.sms[word])!r}")
        lex.sms[word] = target


def load_words(path: Path, lang: str, lex: Lexicon) -> None:
    """Single-word classes: 'word<TAB>class'."""
    for n, (word, cls) in rows(path, 2):
        if cls not in WORD_CLASSES:
            raise LexiconError(path, n, f"unknown word class {cls!r} (expected one of {sorted(WORD_CLASSES)})")
        keys = normalize_phrase(word)
        if len(keys) != 1:
            raise LexiconError(path, n, f"{word!r} must be a single word")
        if cls == "lang":
            lex.lang_words.setdefault(lang, set()).add(keys[0])
        else:
            lex.words[cls].add(squeeze(keys[0]))


def load_entries(path: Path, lang: str, layer: str, macros, lex: Lexicon) -> None:
    """Signal and idiom lines are 'pattern<TAB>category<TAB>level'; context and cue lines 'pattern<TAB>name'."""
    seen: set[str] = set()
    for n, cols in rows(path, 2 if layer in ("context", "cue") else 3):
        if layer == "cue":
            pattern, category, level = cols[0], cols[1], "none"
            if category not in CUE_FAMILIES:
                raise LexiconError(path, n, f"unknown cue family {category!r}")
        elif layer == "context":
            pattern, category, level = cols[0], cols[1], "none"
            if category not in CONTEXT_MARKERS:
                raise LexiconError(path, n, f"unknown context marker {category!r}")
        else:
            pattern, category, level = cols
            if category not in SIGNAL_CATEGORIES:
                raise LexiconError(path, n, f"unknown category {category!r}")
            if level not in LEVELS:
                raise LexiconError(path, n, f"unknown level {level!r} (expected one of {LEVELS})")
        if pattern in seen:
            raise LexiconError(path, n, f"duplicate pattern {pattern!r}")
        seen.add(pattern)
        try:
            seqs = with_split_words(expand(pattern, macros))
        except PatternError as exc:
            raise LexiconError(path, n, str(exc)) from None
        lex.entries.append((Entry(pattern, category, level, layer, lang, f"{path.name}:{n}"), seqs))
