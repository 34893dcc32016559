"""The compiled-lexicon cache: same detector from the cache, recompiled when anything changes."""
from __future__ import annotations

import json
import os

import pytest

import helpline.distress.detector as detector_module
from helpline.distress import Detector, LexiconError, compiled

TEXTS = ["je veux mourir", "mdr je suis mort de rire", "j'ai mis de côté les cachets, ce soir", "ok merci",
         "I want to kill myself", "jveux plu vivre"]


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    where = tmp_path / "cache"
    monkeypatch.setenv("HELPLINE_DETECTOR_CACHE", str(where))
    return where


@pytest.fixture()
def lexdir(tmp_path):
    target = tmp_path / "lex"
    target.mkdir()
    (target / "fr.tsv").write_text("veux mourir / me tuer\tsuicidal_ideation\turgent\n"
                                   "cachets|comprimes\tmeans_term\tnone\n", encoding="utf-8")
    (target / "idioms_fr.tsv").write_text("mort de rire\tidiom\tnone\n", encoding="utf-8")
    (target / "context_fr.tsv").write_text("mis de cote\tmeans_context\n", encoding="utf-8")
    (target / "sms_fr.tsv").write_text("jveux\tje veux\n", encoding="utf-8")
    return target


def test_second_detector_comes_from_the_cache_and_decides_the_same(cache, lexdir, monkeypatch):
    first = Detector(lexdir)
    files = list(cache.glob("detector-*.json"))
    assert len(files) == 1 and (cache.stat().st_mode & 0o777) == 0o700

    def no_compiling(*_):
        raise AssertionError("compiled again")
    monkeypatch.setattr(detector_module, "load_lexicon", no_compiling)
    second = Detector(lexdir)
    assert second.matcher.nodes == first.matcher.nodes
    for text in TEXTS:
        assert second.assess(text).to_dict() == first.assess(text).to_dict()
    assert second.assess("jveux mourir").urgent


def test_a_changed_lexicon_is_compiled_afresh(cache, lexdir):
    assert not Detector(lexdir).assess("je veux partir").urgent
    with open(lexdir / "fr.tsv", "a", encoding="utf-8") as f:
        f.write("veux partir\tsuicidal_ideation\turgent\n")
    assert Detector(lexdir).assess("je veux partir").urgent
    assert len(list(cache.glob("detector-*.json"))) == 2


def test_a_broken_lexicon_still_fails_loudly(cache, lexdir):
    Detector(lexdir)
    (lexdir / "fr.tsv").write_text("veux mourir\tsuicidal_thoughts\turgent\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="fr.tsv:1"):
        Detector(lexdir)


def test_an_unreadable_or_foreign_cache_is_ignored(cache, lexdir):
    Detector(lexdir)
    (path,) = cache.glob("detector-*.json")
    path.write_text(json.dumps({"version": 1, "matcher": {"nodes": "nonsense"}}), encoding="utf-8")
    assert Detector(lexdir).assess("je veux mourir").urgent
    path.write_text("{ not json", encoding="utf-8")
    assert Detector(lexdir).assess("je veux mourir").urgent


def test_an_empty_setting_turns_the_cache_off(tmp_path, lexdir, monkeypatch):
    monkeypatch.setenv("HELPLINE_DETECTOR_CACHE", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert Detector(lexdir).assess("je veux mourir").urgent
    assert not (tmp_path / "xdg").exists()


def test_a_lexicon_edited_during_the_compile_is_not_cached(cache, lexdir, monkeypatch):
    """The cache is keyed by the files as they were read: an edit that lands while a process compiles
    must not be filed under the new content with the old phrases (the new phrase would be missed
    by every later process)."""
    real_load = detector_module.load_lexicon

    def load_then_edited(path):
        lex = real_load(path)
        with open(lexdir / "fr.tsv", "a", encoding="utf-8") as f:      # someone saves an edit now
            f.write("veux partir\tsuicidal_ideation\turgent\n")
        return lex
    monkeypatch.setattr(detector_module, "load_lexicon", load_then_edited)
    assert not Detector(lexdir).assess("je veux partir").urgent       # compiled before the edit
    assert not list(cache.glob("detector-*.json"))
    monkeypatch.setattr(detector_module, "load_lexicon", real_load)
    assert Detector(lexdir).assess("je veux partir").urgent
    assert Detector(lexdir).assess("je veux partir").urgent           # and now from the cache
    assert len(list(cache.glob("detector-*.json"))) == 1


def test_old_compilations_are_pruned(cache, lexdir):
    cache.mkdir(mode=0o700)
    for k in range(compiled.KEEP + 3):
        old = cache / f"detector-old{k}.json"
        old.write_text("{}", encoding="utf-8")
        os.utime(old, (1_000_000 + k, 1_000_000 + k))
    assert Detector(lexdir).assess("je veux mourir").urgent
    left = sorted(p.name for p in cache.glob("detector-*.json"))
    assert len(left) == compiled.KEEP
    assert f"detector-{compiled.fingerprint(lexdir)}.json" in left
    assert "detector-old0.json" not in left and f"detector-old{compiled.KEEP + 2}.json" in left
