"""The compiled-lexicon cache: same detector from the cache, recompiled when anything changes."""
from __future__ import annotations

import json

import pytest

import helpline.distress.detector as detector_module
from helpline.distress import Detector, LexiconError

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
