"""The learned second opinion: weights file, scoring, explanations, training, and how the detector uses it."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from helpline.distress import Detector, LexiconError
from helpline.distress.cli import detect
from helpline.distress import learned as L
from helpline.distress.learned import IDIOM, WEIGHTS_FILE, Fit, LearnedScorer, cross_validate, features, train


def weights(tmp_path, body: str, head: str = "@bias\t-3\n@threshold\t0.9\n"):
    path = tmp_path / "weights.tsv"
    path.write_text(head + body, encoding="utf-8")
    return path


def test_shipped_weights_load_and_are_used_with_the_shipped_lexicons():
    scorer = LearnedScorer(WEIGHTS_FILE)
    assert 0 < scorer.threshold < 1 and len(scorer.words) > 1000 and len(scorer.pairs) > 1000
    assert Detector().learned is not None


@pytest.mark.parametrize("body, line, reason", [
    ("mot\n", 3, "expected 'feature<TAB>weight'"),
    ("mot\tbeaucoup\n", 3, "not a number"),
    ("mot\tnan\n", 3, "not finite"),
    ("mot\t1\nmot\t2\n", 4, "duplicate feature"),
    ("un deux trois\t1\n", 3, "a pair is two words"),
    ("@autre\t1\n", 3, "bad feature"),
])
def test_bad_weight_lines_name_file_and_line(tmp_path, body, line, reason):
    with pytest.raises(LexiconError) as err:
        LearnedScorer(weights(tmp_path, body))
    assert f"weights.tsv:{line}:" in str(err.value) and reason in str(err.value)


def test_bias_and_threshold_are_required(tmp_path):
    with pytest.raises(LexiconError, match="missing @bias or @threshold"):
        LearnedScorer(weights(tmp_path, "mot\t1\n", head="@bias\t0\n"))
    with pytest.raises(LexiconError, match="between 0 and 1"):
        LearnedScorer(weights(tmp_path, "", head="@bias\t0\n@threshold\t1.5\n"))


def test_features_are_words_and_neighbour_pairs_with_idioms_masked():
    words, pairs = features(["mort", "de", "rire", "ce", "soir"], [(0, 3)])
    assert words == [IDIOM, IDIOM, IDIOM, "ce", "soir"]
    assert ("ce", "soir") in pairs and ("rire", "ce") not in pairs


def test_score_threshold_and_explanation(tmp_path):
    scorer = LearnedScorer(weights(tmp_path, "longue\t2\nconge\t1\nlongue conge\t3\nmerci\t-1\n"))
    keys = ["un", "tres", "longue", "conge"]
    assert scorer.raises(keys) and scorer.score(keys) == pytest.approx(1 / (1 + 2.718281828 ** -3), rel=1e-3)
    assert not scorer.raises(["longue", "conge", "merci"][:1])
    # the heaviest words and pairs, as token spans in message order
    assert scorer.explain(keys) == [(2, 3, 2.0), (2, 4, 3.0), (3, 4, 1.0)]


def test_detector_raises_a_message_the_lexicons_miss_and_says_why(tmp_path):
    path = weights(tmp_path, "bateau\t3\nport\t3\nrentre jamais\t1\n")
    detector = Detector(learned=path)
    plain = Detector(learned=None)
    text = "Demain je prends le grand bateau blanc, celui qui ne rentre jamais au port."
    assert plain.assess(text, "fr").level != "urgent"
    a = detector.assess(text, "fr")
    assert a.urgent and {s.category for s in a.signals} >= {"learned"}
    assert {s.matched for s in a.signals if s.category == "learned"} == {"bateau", "rentre jamais", "port"}
    for s in a.signals:
        assert text[s.start:s.end] == s.matched


def test_work_talk_with_nothing_distressing_must_clear_the_careful_threshold(tmp_path):
    # bias -3 + 'cote' 2.5 = -0.5: probability 0.38, over a 0.3 threshold and under CAREFUL_THRESHOLD (0.4)
    assert L.CAREFUL_THRESHOLD == 0.4
    path = weights(tmp_path, "cote\t2.5\n", head="@bias\t-3\n@threshold\t0.3\n")
    detector = Detector(learned=path)
    assert detector.assess("j'ai mis de côté la boîte", "fr").urgent
    work = detector.assess("j'ai mis de côté la boîte pour le patient du 9", "fr")
    assert work.level == "none" and not work.signals
    # a distress phrase in the message: the ordinary threshold again
    both = detector.assess("j'ai mis de côté la boîte pour le patient du 9, je dors plus", "fr")
    assert both.urgent and "learned" in {s.category for s in both.signals}
    # over CAREFUL_THRESHOLD, work talk is raised too
    high = Detector(learned=weights(tmp_path, "cote\t3\n", head="@bias\t-3\n@threshold\t0.3\n"))
    assert high.assess("j'ai mis de côté la boîte pour le patient du 9", "fr").urgent


def test_idioms_and_settled_words_are_masked(tmp_path):
    detector = Detector(learned=weights(tmp_path, "mort\t9\nrire\t9\nmourir\t9\n"))
    # 'mort de rire' is an idiom the lexicons know: its words are masked before scoring
    assert detector.assess("je suis mort de rire", "fr").level == "none"
    # reported speech was settled by the rules as someone else's: its words do not count
    reported = detector.assess("mon patient m'a dit qu'il voulait mourir", "fr")
    assert reported.level == "concern" and "learned" not in {s.category for s in reported.signals}


def test_a_denial_does_not_hide_a_plan_after_it(tmp_path):
    text = "I'm not going to do anything stupid. I keep counting the packs, different shops so nobody asks"
    plain = Detector(learned=None).assess(text, "en")
    assert plain.level == "concern" and "denied_ideation" in {s.category for s in plain.signals}
    # the rest of the message: bias -3 + 'shops' 3 = 0, probability 0.5, over the careful 0.4
    raised = Detector(learned=weights(tmp_path, "shops\t3\nstupid\t9\n", head="@bias\t-3\n@threshold\t0.3\n"))
    a = raised.assess(text, "en")
    assert a.urgent and {s.matched for s in a.signals if s.category == "learned"} == {"shops"}
    # between the ordinary threshold (0.3) and the careful one (probability 0.38): a denial still counts for something
    below = Detector(learned=weights(tmp_path, "shops\t2.5\n", head="@bias\t-3\n@threshold\t0.3\n"))
    assert below.assess(text, "en").level == "concern"
    assert below.assess("I keep counting the packs, different shops so nobody asks", "en").urgent
    # the denied words are masked: weight on them alone raises nothing
    masked = Detector(learned=weights(tmp_path, "stupid\t9\nanything\t9\n", head="@bias\t-3\n@threshold\t0.3\n"))
    assert masked.assess(text, "en").level == "concern"


def test_training_is_deterministic_and_learns_the_words_that_separate():
    examples = [(["je", "vais", "partir", "pour", "de", "bon"], [], True),
                (["je", "vais", "partir", "en", "vacances"], [], False)] * 20
    fit = Fit(epochs=10, threshold=0.5)
    bias, first = train(examples, fit)
    assert (bias, first) == train(examples, fit)
    assert first["bon"] > 0 > first["vacances"] and "vais" not in first or abs(first["vais"]) < first["bon"]
    figures = cross_validate([(*e, "urgent" if e[2] else "none") for e in examples], fit)
    assert figures == {"recall": 1.0, "none_raised": 0.0}


def _averaged_by_hand(examples, fit):
    """The same stochastic gradient descent as `train`, every weight summed at every step of the last
    `fit.average` epochs (dense and slow: the reference for train's lazy sums)."""
    import random
    data = [(sorted(set(k)) + [" ".join(p) for p in sorted(set(zip(k, k[1:])))], 1.0 if y else 0.0)
            for k, _, y in examples]
    weights, bias, rng = {}, 0.0, random.Random(fit.seed)
    sums, bias_sum, steps = {}, 0.0, 0
    for epoch in range(fit.epochs):
        rng.shuffle(data)
        for names, y in data:
            g = L._sigmoid(bias + sum(weights.get(f, 0.0) for f in names)) - y
            for f in names:
                weights[f] = weights.get(f, 0.0) - fit.rate * (g + fit.l2 * weights.get(f, 0.0))
            bias -= fit.rate * g
            if epoch >= fit.epochs - fit.average:
                steps += 1
                bias_sum += bias
                for f, w in weights.items():
                    sums[f] = sums.get(f, 0.0) + w
    return bias_sum / steps, {f: s / steps for f, s in sums.items()}


def test_averaged_training_is_the_mean_of_the_weights_over_the_last_epochs():
    examples = [(["je", "vais", "partir", "pour", "de", "bon"], [], True),
                (["je", "vais", "partir", "en", "vacances"], [], False),
                (["bon", "courage", "pour", "la", "garde"], [], False),
                (["plus", "de", "raison", "de", "rester"], [], True)] * 5
    fit = Fit(epochs=6, average=3, threshold=0.5, rate=0.3)
    bias, got = train(examples, fit)
    want_bias, want = _averaged_by_hand(examples, fit)
    assert bias == pytest.approx(want_bias, abs=1e-9)
    assert got and got == pytest.approx({f: w for f, w in want.items() if abs(w) >= L.MIN_WEIGHT}, abs=1e-9)
    # and it is not the last step's weights
    assert train(examples, Fit(epochs=6, average=0, threshold=0.5, rate=0.3))[0] != pytest.approx(bias, abs=1e-6)


def test_averaged_bias_moves_less_than_the_last_steps_bias_from_one_shuffle_to_the_next():
    """Why the shipped weights are averaged: refitted in another order, the last-step bias lands
    somewhere else; the averaged one stays put."""
    import random
    noise = random.Random(0)     # one label in five flipped: no weights fit every case
    examples = [([w, "garde", str(n % 7)], [], (w == "partir") == (noise.random() < 0.8))
                for n in range(60) for w in ("partir", "rester", "dormir")]
    spread = {}
    for average in (0, 5):
        biases = [train(examples, Fit(epochs=10, average=average, seed=seed))[0] for seed in range(1, 6)]
        spread[average] = max(biases) - min(biases)
    assert spread[5] < spread[0] / 3


def test_cli_train_writes_weights_that_load(tmp_path):
    cases = tmp_path / "cases.jsonl"
    rows = [{"text": f"je veux partir pour de bon {n}", "lang": "fr", "label": "urgent"} for n in range(10)]
    rows += [{"text": f"je pars en vacances {n}", "lang": "fr", "label": "none"} for n in range(10)]
    cases.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    out = tmp_path / "w.tsv"
    result = CliRunner().invoke(detect, ["--train", str(out), str(cases)])
    assert result.exit_code == 0, result.output
    assert "cases: 20 (10 urgent)" in result.output and "5-fold" in result.output
    scorer = LearnedScorer(out)
    assert scorer.words["bon"] > 0 and scorer.threshold == Fit().threshold
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x", "label": "maybe"}\n', encoding="utf-8")
    result = CliRunner().invoke(detect, ["--train", str(out), str(bad)])
    assert result.exit_code != 0 and "bad.jsonl:1" in result.output


def test_concern_weights_raise_only_from_none_to_concern(tmp_path):
    # the lexicons leave this at none; bias -3 + "repase" (the key of "repasse") 4 = 1: probability 0.73
    text = "je repasse devant la chambre 12 chaque matin"
    concern = weights(tmp_path, "repase\t4\nsecouer\t9\nrire\t9\n", head="@bias\t-3\n@threshold\t0.6\n")
    plain = Detector(learned=None, learned_concern=None)
    assert plain.assess(text, "fr").level == "none"
    detector = Detector(learned=None, learned_concern=concern)
    a = detector.assess(text, "fr")
    assert a.level == "concern" and [(s.category, s.level, s.matched) for s in a.signals] == [("learned", "concern", "repasse")]
    # never to urgent, and never over a level the rest of the detector gave
    urgent = "j'ai envie de secouer le bébé, je dois sortir, aidez moi"
    assert plain.assess(urgent, "fr").urgent and detector.assess(urgent, "fr").urgent
    assert "learned" not in {s.category for s in detector.assess(urgent, "fr").signals}
    # idioms are masked as for the urgency weights
    assert detector.assess("je suis mort de rire", "fr").level == "none"
    # under the threshold: nothing
    low = Detector(learned=None, learned_concern=weights(tmp_path, "repase\t3\n", head="@bias\t-3\n@threshold\t0.6\n"))
    assert low.assess(text, "fr").level == "none"


def test_shipped_concern_weights_come_with_the_shipped_detector_only():
    shipped = Detector()
    assert shipped.learned_concern is not None and shipped.learned_concern.path == L.CONCERN_WEIGHTS_FILE
    assert shipped.learned_concern.threshold == L.CONCERN_THRESHOLD
    assert Detector(learned=None).learned_concern is None


def test_cli_train_concern_fits_concern_or_urgent_against_none(tmp_path):
    cases = tmp_path / "cases.jsonl"
    rows = [{"text": f"je relis le dossier sans arret {n}", "lang": "fr", "label": "concern"} for n in range(10)]
    rows += [{"text": f"je veux partir pour de bon {n}", "lang": "fr", "label": "urgent"} for n in range(5)]
    rows += [{"text": f"je pars en vacances {n}", "lang": "fr", "label": "none"} for n in range(10)]
    cases.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    out = tmp_path / "c.tsv"
    result = CliRunner().invoke(detect, ["--train-concern", str(out), str(cases)])
    assert result.exit_code == 0, result.output
    assert "cases: 25 (15 concern-or-urgent)" in result.output
    assert out.read_text(encoding="utf-8").startswith("# Learned concern weights")
    scorer = LearnedScorer(out)
    assert scorer.words["relis"] > 0 and scorer.threshold == L.CONCERN_THRESHOLD


def test_good_news_told_as_such_must_clear_the_careful_threshold(tmp_path):
    # bias -3 + 'hearing' 2.5 = -0.5: probability 0.38, over a 0.3 threshold and under the careful 0.4
    path = weights(tmp_path, "hearing\t2.5\n", head="@bias\t-3\n@threshold\t0.3\n")
    detector = Detector(learned=path)
    assert detector.assess("my hearing is tomorrow", "en").urgent
    relieved = detector.assess("my hearing got dropped, good news", "en")
    assert not relieved.urgent and "learned" not in {s.category for s in relieved.signals}
    high = Detector(learned=weights(tmp_path, "hearing\t3\n", head="@bias\t-3\n@threshold\t0.3\n"))
    assert high.assess("my hearing got dropped, good news", "en").urgent
