"""The lexicon files: every data file is well formed, and a bad line fails with its file and line."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpline.distress import LexiconError
from helpline.distress.detector import LEXICON_DIR
from helpline.distress.lexicon import load_lexicon

DATA_FILES = sorted(LEXICON_DIR.glob("*.tsv"))
COLUMNS = {"macros": 2, "emoji": 2, "sms": 2, "words": 2, "context": 2, "cues": 2, "idioms": 3, "cue": 3}


def expected_columns(path: Path) -> int:
    return COLUMNS.get(path.stem.split("_")[0], 3)


@pytest.mark.parametrize("path", DATA_FILES, ids=[p.name for p in DATA_FILES])
def test_data_file_format(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines and lines[0].startswith("#"), "each file starts with a comment saying what it is"
    seen = set()
    for n, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        assert len(cols) == expected_columns(path), f"{path.name}:{n}"
        assert all(c == c.strip() and c for c in cols), f"{path.name}:{n}: stray spaces or empty column"
        assert line not in seen, f"{path.name}:{n}: duplicate line"
        seen.add(line)


def test_the_packaged_lexicons_load():
    lex = load_lexicon(LEXICON_DIR)
    assert {e.lang for e, _ in lex.entries} == {"fr", "en"}
    assert {e.layer for e, _ in lex.entries} == {"signal", "idiom", "context", "cue"}
    assert lex.cue_pairs
    assert lex.words["negator"] and lex.sms and lex.emoji


@pytest.fixture
def lexdir(tmp_path) -> Path:
    """A copy of the packaged lexicons that a test may break."""
    target = tmp_path / "lexicons"
    shutil.copytree(LEXICON_DIR, target)
    return target


BAD_LINES = [
    ("fr.tsv", "veux mourir\tsuicidal_ideation", "expected 3"),
    ("fr.tsv", "veux mourir\tsuicidal_thoughts\turgent", "unknown category"),
    ("en.tsv", "want to die\tsuicidal_ideation\tsevere", "unknown level"),
    ("en.tsv", "want @nothing\tguilt\tconcern", "unknown macro"),
    ("en.tsv", "_2 die\tguilt\tconcern", "gap"),
    ("context_fr.tsv", "hier soir\tyesterday", "unknown context marker"),
    ("words_en.tsv", "never\tnegatorr", "unknown word class"),
    ("sms_fr.tsv", "jveux\tje veux", "already mapped"),
    ("macros.tsv", "med\tpills", "macro name"),
    ("emoji.tsv", "💊\tPill!", "emoji name"),
    ("cues_fr.tsv", "sur le pont\tdanger", "unknown cue family"),
    ("cues_en.tsv", "on the bridge\tplace\turgent", "expected 2"),
    ("cue_pairs.tsv", "means\tdanger\tmeans", "unknown cue family"),
    ("cue_pairs.tsv", "means\tplace\tdanger", "unknown category"),
    ("cue_pairs.tsv", "possession\tmeans\tmeans", "listed twice"),
]


@pytest.mark.parametrize("name, line, reason", BAD_LINES,
                         ids=[f"{n}-{r.replace(' ', '-')}" for n, _, r in BAD_LINES])
def test_bad_line_names_file_and_line(lexdir, name, line, reason):
    path = lexdir / name
    count = len(path.read_text(encoding="utf-8").splitlines())
    with path.open("a", encoding="utf-8") as f:
        f.write(line + "\n")
    with pytest.raises(LexiconError) as err:
        load_lexicon(lexdir)
    assert f"{name}:{count + 1}:" in str(err.value)
    assert reason in str(err.value)
    assert err.value.line == count + 1


def test_duplicate_pattern_in_one_file(lexdir):
    path = lexdir / "fr.tsv"
    first = next(l for l in path.read_text(encoding="utf-8").splitlines() if l and not l.startswith("#"))
    with path.open("a", encoding="utf-8") as f:
        f.write(first + "\n")
    with pytest.raises(LexiconError, match="duplicate pattern"):
        load_lexicon(lexdir)


def test_missing_directory(tmp_path):
    with pytest.raises(LexiconError, match="not found"):
        load_lexicon(tmp_path / "nowhere")


def test_lexicon_error_is_a_value_error():
    assert issubclass(LexiconError, ValueError)
