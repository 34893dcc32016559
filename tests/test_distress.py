"""The distress detector: normalisation, matching, each rule, the API, the CLI and the targets."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpline.distress import Assessment, Detector, Signal, assess, default_detector
from helpline.distress.cli import detect
from helpline.distress.combine import FUTURE_SCOPE, cue_pairs
from helpline.distress.evaluate import evaluate
from helpline.distress.lexicon import Entry
from helpline.distress.matcher import Match, most_serious_first
from helpline.distress.normalize import Normalizer, fold, inside_quotes, squeeze
from helpline.distress.patterns import PatternError, expand
from helpline.distress.rules import in_past, masked_by_idiom, negated, reported
from helpline.distress.typos import TypoFixer

ROOT = Path(__file__).resolve().parents[1]
OWN_CASES = ROOT / "tests/data/distress_cases.jsonl"
DEV_CASES = Path(__file__).resolve().parents[2] / "shared/distress/dev_cases.jsonl"


@pytest.fixture(scope="module")
def detector() -> Detector:
    return default_detector()


def read_cases(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# --- normalisation -----------------------------------------------------------------------------

@pytest.mark.parametrize("raw, folded", [
    ("ÉPUISÉE", "epuisee"),
    ("j’ai", "j'ai"),
    ("«non»", '"non"'),
    ("ça", "ca"),
], ids=["caps-accents", "curly-apostrophe", "guillemets", "cedilla"])
def test_fold_keeps_one_char_per_char(raw, folded):
    assert fold(raw) == (folded, None)


def test_fold_slow_path_maps_offsets_back():
    norm, index = fold("cœur brisé")
    assert norm == "coeur brise"
    assert index[norm.index("brise")] == "cœur brisé".index("brisé")


@pytest.mark.parametrize("word, squeezed", [("mourirrrr", "mourir"), ("veuuux", "veux"), ("100", "100")],
                         ids=["trailing", "vowel", "digits-untouched"])
def test_squeeze(word, squeezed):
    assert squeeze(word) == squeezed


def test_tokens_map_sms_spelling_and_keep_original_offsets():
    norm = Normalizer({"jveux": ("je", "veux")}, {"💊": "emopil"})
    text = "JVEUX  dormir. 💊"
    toks = norm.tokens(text)
    assert [t.key for t in toks] == ["je", "veux", "dormir", "emopil"]
    assert text[toks[0].start:toks[0].end] == "JVEUX" == text[toks[1].start:toks[1].end]
    assert [t.brk for t in toks] == [False, False, False, True]


def test_an_initial_or_a_title_with_a_full_stop_ends_no_sentence():
    norm = Normalizer({}, {})
    text = "Le décès de Mme P. en 2021. Dr. Smith said. help me. I want"
    toks = norm.tokens(text)
    breaks = [text[t.start:t.end] for t in toks if t.brk]
    assert breaks == ["Dr", "help", "I"]       # after '2021.', 'said.' and 'me.', not after 'P.' or 'Dr.'
    assert not any(t.brk for t in norm.tokens("après le décès de Mme L., j'ai pensé à en finir"))


def test_a_keep_verb_in_the_sentence_before_does_not_undo_a_negation():
    lex = Detector(learned=None)
    found = lex.assess("je pense à tout arrêter. Pas à me faire du mal, non.", "fr").signals
    assert [(s.category, s.level) for s in found if "mal" in s.matched] == [("denied_ideation", "concern")]
    assert lex.assess("j'arrête pas de penser à me faire du mal", "fr").level == "urgent"


def test_an_inner_voice_inside_someone_elses_quotation_is_theirs():
    lex = Detector(learned=None)
    quoted = lex.assess("ma collègue m'a dit ce soir « des fois je me dis que ce serait plus simple de pas me "
                        "réveiller ». moi ça va", "fr")
    assert quoted.level == "concern" and {s.category for s in quoted.signals} >= {"third_party"}
    assert lex.assess("je me dis « je veux mourir » tout le temps", "fr").level == "urgent"


def test_a_bare_now_makes_a_panic_symptom_a_crisis_only_next_to_it():
    lex = Detector(learned=None)
    assert lex.assess("um she's in ITU now and um the family are furious. I keep shaking", "en").level == "concern"
    assert lex.assess("I'm shaking now and I can't think", "en").level == "urgent"
    assert lex.assess("I'm on the ward now. everything is spinning, I can't stop shaking", "en").level == "urgent"
    # a symptom tied to a task or a place is a pattern, not an episode
    assert lex.assess("my hands shake doing obs now", "en").level == "concern"
    assert lex.assess("j'ai des palpitations rien qu'en passant devant le bloc maintenant", "fr").level == "concern"


def test_a_phrase_ending_on_its_own_negator_and_a_clause_with_its_own_subject():
    lex = Detector(learned=None)
    # 'plus jamais' belongs to the phrase 'dormir _6 réveiller pas|plus|jamais'; the last 'pas' opens
    # the next clause
    assert lex.assess("je veux dormir et plus jamais me réveiller pas besoin de me rappeler", "fr").level == "urgent"
    assert lex.assess("je veux pas dormir et me réveiller en retard", "fr").level != "urgent"
    # 'they' opens its own clause: the 'not' of 'not my fault' does not reach it
    assert lex.assess("it's not my fault they say. well they won't have to say it much longer", "en").level == "urgent"
    # 'them' is an object, not someone speaking
    assert lex.assess("counted them 💊💊💊 enough now", "en").level == "urgent"


def test_the_reveal_at_the_very_end_makes_someone_elses_words_ones_own():
    lex = Detector(learned=None)
    text = "la sage femme de la 4 elle voudrait juste dormir et pas se réveiller. voila. c moi"
    assert lex.assess(text, "fr").level == "urgent"
    assert lex.assess(text.replace(" voila. c moi", ""), "fr").level == "concern"


def test_c_est_moi_qui_is_a_cleft_sentence_not_a_reveal():
    lex = Detector(learned=None)
    text = "mon collègue m'a dit « j'ai envie de crever ». moi en fait c'est moi qui n'arrive plus à bosser"
    assert lex.assess(text, "fr").level == "concern"
    assert lex.assess("mon collègue m'a dit « j'ai envie de crever ». en fait c'est moi", "fr").level == "urgent"


def test_sms_mempecher_is_a_negated_keep_verb_not_a_denial():
    # "m'empêcher" written as one word used to leave 'pas' within reach of 'me couper'
    lex = Detector(learned=None)
    assert lex.normalizer.split("jai pas pu mempecher de").keys == ["j", "ai", "pas", "pu", "m", "empecher", "de"]
    assert lex.assess("jai pas pu mempecher de me couper", "fr").level == "urgent"
    assert lex.assess("jai pas pu me couper", "fr").level == "concern"


def test_speech_fillers_are_left_out_and_a_break_before_one_moves_on():
    norm = Normalizer({}, {})
    text = "i keep um thinking. Euhhh je veux, uh, partir"
    toks = norm.tokens(text)
    assert toks.keys == norm.tokens("i keep thinking. je veux, partir").keys and len(toks) == 6
    assert [text[t.start:t.end] for t in toks] == ["i", "keep", "thinking", "je", "veux", "partir"]
    assert [t.brk for t in toks] == [False, False, False, True, False, False]
    assert len(norm.tokens("er nurse")) == 2      # "er" is also the emergency room: kept


def test_a_filler_inside_a_phrase_does_not_break_it(detector):
    assert detector.assess("i keep thinking about it", "en").level == "concern"
    um = detector.assess("i keep um thinking about it", "en")
    assert um.level == "concern" and um.signals[0].matched == "keep um thinking"


def test_tokens_split_on_apostrophes_and_unicode_letters():
    toks = Normalizer({}, {}).tokens("l’insuline préparée")
    assert [t.key for t in toks] == ["l", "insuline", "prepare"]  # squeezed: "ée" -> "e"


def test_typo_fixer_corrects_long_words_only_when_unambiguous():
    fix = TypoFixer({"anymore", "point", "pendre"}, known={"prendre"})
    assert fix("anymroe") == "anymore"
    assert fix("piont") == "point"
    assert fix("prendre") == "prendre"
    assert fix("pont") == "pont"


def test_inside_quotes():
    text = "il m'a dit « je me serais pendu » puis rien"
    assert inside_quotes(text, text.index("pendu"))
    assert not inside_quotes(text, text.index("rien"))
    assert not inside_quotes("I'd have done it", 4)
    # a single quote right before the position opens the quotation it starts
    said = "elle m'a dit ce matin 'si je pouvais disparaitre je le ferais'. moi je vais bien"
    assert inside_quotes(said, said.index("si je"))
    assert not inside_quotes(said, said.index("moi"))
    assert not inside_quotes("it's 'fine' I'd say", len("it's 'fine' I"))


# --- patterns ----------------------------------------------------------------------------------

MACROS = {"med": [("insuline",), ("kcl",)]}


@pytest.mark.parametrize("pattern, expected", [
    ("veux|voudrais mourir", {("veux", "mourir"), ("voudrais", "mourir")}),
    ("je tremble? fort", {("je", "tremble", "fort"), ("je", "fort")}),
    ("veux _2 mourir", {("veux", "_2", "mourir")}),
    ("idees suicid*", {("ides", "*suicid")}),   # squeezed like the input
    ("pris mon @med", {("pris", "mon", "insuline"), ("pris", "mon", "kcl")}),
    ("me tuer / m'achever", {("me", "tuer"), ("m", "achever")}),
    ("ÉPUISÉÉÉE", {("epuise",)}),
], ids=["alternatives", "optional", "gap", "stem", "macro", "phrases", "folded-and-squeezed"])
def test_expand(pattern, expected):
    assert set(expand(pattern, MACROS)) == expected


@pytest.mark.parametrize("pattern", ["_2 mourir", "mourir _2", "@unknown", "a||b", "su*", "   ", "unaliv* myself",
                                     "je? suicid*"],
                         ids=["gap-first", "gap-last", "unknown-macro", "empty-alternative", "short-stem", "blank",
                              "stem-first", "stem-first-after-optional"])
def test_expand_rejects(pattern):
    with pytest.raises(PatternError):
        expand(pattern, MACROS)


# --- matcher -----------------------------------------------------------------------------------

def entry(category="guilt", level="concern", layer="signal", pattern="p") -> Entry:
    return Entry(pattern, category, level, layer, "fr", "test:1")


def test_most_serious_first_keeps_the_urgent_phrase_under_a_milder_overlap():
    mild = Match(entry("anxiety", "concern"), 0, 3)
    serious = Match(entry("patient_danger", "urgent"), 2, 6)
    other = Match(entry("sleep", "concern"), 7, 8)
    assert most_serious_first([mild, serious, other]) == [serious, other]


def test_matcher_prefers_longest_and_respects_word_boundaries(detector):
    toks = detector.normalizer.tokens("je veux en finir avec la vie")
    signal = detector.matcher.find(toks)["signal"]
    assert [(m.i, m.j) for m in signal] == [(2, 7)]   # 'en finir avec la vie' beats 'veux en finir'
    # 'parent' contains 'are', 'préparer' contains 'pare': whole words only (the lexicons' matches;
    # the learned layer reads words, not substrings, and is tested on its own)
    assert Detector(learned=None).assess("je dois préparer le parent").signals == ()


# --- rules -------------------------------------------------------------------------------------

def tokens_of(detector, text):
    return detector.normalizer.tokens(text)


@pytest.mark.parametrize("text, start, end, gap, expected", [
    ("je ne veux pas mourir", 2, 5, (3,), True),
    ("je n'ai plus envie de vivre", 4, 7, (), True),
    ("i don't want to die", 3, 6, (), True),
    ("je dors plus et je veux mourir", 5, 7, (), False),
    ("de plus en plus envie de mourir", 4, 7, (), False),
    ("je veux mourir", 1, 3, (), False),
    ("parked near the crossing can't stop thinking about it waiting for the train", 0, 14, (4, 5, 6, 7, 8, 9), False),
    ("parked near the crossing can't face thinking about it waiting for the train", 0, 14, (4, 5, 6, 7, 8, 9), True),
    ("i no fit cope again i wan die", 5, 8, (), False),
    ("je sais pas je veux mourir", 3, 6, (), False),
], ids=["gap-pas", "plus-before", "n-t-before", "clause-stops", "de-plus-en-plus", "plain", "gap-negated-stop",
        "gap-negator", "own-subject-pidgin", "own-subject"])
def test_negated(detector, text, start, end, gap, expected):
    toks = tokens_of(detector, text)
    assert negated(toks, Match(entry(), start, end, gap), detector.words) is expected


@pytest.mark.parametrize("text, start, expected", [
    ("ma collègue m'a dit qu'elle voulait mourir", 7, True),
    ("mon patient disait vouloir mourir", 3, True),
    ("my colleague told me she wants to die", 6, True),
    ("i told my wife i want to die", 5, False),
    ("je veux mourir", 1, False),
    ("combien il faut pour ne pas se reveiller", 4, False),
    ("il dit pour ne pas se reveiller", 3, True),
    ("ce soir il commence a ressembler a une solution", 5, False),
    ("ma collegue dit que ca ressemble a une solution", 5, True),
    ("il commence a vouloir mourir", 4, True),
], ids=["elle", "reporter-verb", "she", "first-person-wins", "plain", "impersonal-il-faut", "il-says",
        "il-names-the-idea", "idea-reported", "il-is-a-person"])
def test_reported(detector, text, start, expected):
    toks = tokens_of(detector, text)
    matches = detector.matcher.find(toks)
    assert reported(toks, Match(entry(), start, start + 2), detector.words, matches["context"]) is expected


@pytest.mark.parametrize("text, expected", [
    ("il y a deux ans j'avais des idées suicidaires", True),
    ("two years ago I was suicidal", True),
    ("depuis deux ans j'ai des idées suicidaires", False),
    ("years ago I was suicidal and now it's back again", False),
    ("I thought about ending it. That was 4 years ago.", True),
    ("I thought about ending it. That was this morning.", False),
    ("j'avais des idées noires il y a 3 ans. mais là elles sont revenues", False),
    ("l'an dernier j'avais des idées noires mais c'est fini depuis que je suis suivie", True),
], ids=["fr-past", "en-past", "depuis-is-ongoing", "recurrence", "past-next-sentence", "not-past-next-sentence",
        "came-back-next-sentence", "return-marker-inside-a-past-one"])
def test_in_past(detector, text, expected):
    toks = tokens_of(detector, text)
    matches = detector.matcher.find(toks)
    risk = [m for m in matches["signal"] if m.entry.category == "suicidal_ideation"]
    assert risk and in_past(toks, risk[0], matches["context"]) is expected


def test_idiom_masks_overlap_but_not_a_longer_phrase():
    idiom = Match(entry("idiom", "none", "idiom"), 3, 6)
    assert masked_by_idiom(Match(entry(), 1, 4), [idiom])
    assert not masked_by_idiom(Match(entry(), 2, 8), [idiom])
    assert not masked_by_idiom(Match(entry(), 7, 9), [idiom])


# --- behaviour, one family per difficulty -------------------------------------------------------

BEHAVIOUR = [
    ("explicit-fr", "je veux mourir", "urgent"),
    ("explicit-en", "I want to kill myself", "urgent"),
    ("passive-wish", "j'aimerais ne plus me réveiller", "urgent"),
    ("burden", "they'd all be better off without me", "urgent"),
    ("negated-life", "je n'ai plus envie de vivre", "urgent"),
    ("negated-presence-en", "I don't want to be here anymore", "urgent"),
    ("negation-trap", "je ne veux pas mourir, juste dormir", "concern"),
    ("denial-en", "I'm not suicidal, just exhausted", "concern"),
    ("sms-spelling", "jveux plu vivre", "urgent"),
    # danger to patients is the sender's when they say it of themselves, not of someone else
    ("patient-danger-reported", "the registrar told everyone she is a danger to patients", "concern"),
    ("patient-danger-own", "I'm a danger to patients tonight", "urgent"),
    # slips in short words the typo fixer leaves alone; self-harm said as a habit, not as an idiom
    ("short-word-slip", "i wnat to die tonight", "urgent"),
    ("self-harm-habit", "I keep punching myself in the face when I think about the fall", "urgent"),
    ("kick-myself-idiom", "I could kick myself for forgetting the obs", "none"),
    ("hit-my-head-accident", "I keep hitting my head on that cupboard door", "none"),
    # a negated 'stop' says the phrase goes on
    ("cant-stop-en", "I can't stop thinking about killing myself", "urgent"),
    ("cant-stop-fr", "j'arrête pas de penser à me tuer depuis la RMM", "urgent"),
    ("cant-help-fr", "je peux pas m'empêcher de penser à en finir", "urgent"),
    # a negated reason to live is the sender's, now: unless it is someone else's or long over
    ("lost-will-past", "il y a dix ans j'avais plus envie de vivre, aujourd'hui ça va mieux", "concern"),
    # 'kil' is French SMS for qu'il; 'killl' squeezes to the lexicon's own 'kil' and stays English
    ("squeezed-lexicon-word", "I want to killlll myself", "urgent"),
    ("sms-clash-en", "gonna kil myself tonight", "urgent"),
    ("sms-clash-fr", "jsp kil me croit encore", "none"),
    ("repeated-letters", "je veux mourirrrrr", "urgent"),
    ("all-caps", "I WANT TO DIE", "urgent"),
    ("typo-long-word", "i dont see the piont of living anymroe", "urgent"),
    ("speech-mishearing", "je vais me tu es ce soir", "urgent"),
    ("code-switch", "honnêtement I can't anymore, j'ai envie d'en finir", "urgent"),
    ("means-stockpile", "j'ai mis de côté du KCl du service", "urgent"),
    ("means-as-error", "l'erreur de KCl c'était moi, j'y pense tout le temps", "concern"),
    ("means-self-care", "je fais mon insuline à 19h, rappelez après", "none"),
    # a harmless idiom hides the means context it overlaps, not a plan next to it
    ("idiom-hides-means-context", "we've been saving up for a holiday and I plan a very long sleep by the pool", "none"),
    ("means-context-kept", "been saving up my tablets, planning a very long sleep", "urgent"),
    # in French 'il' can name the idea itself
    ("il-names-the-idea", "Suicide. Ce mot tourne. Ce soir il commence à ressembler à une solution", "urgent"),
    # a quotation is someone else's words, unless it is the sender's own inner voice
    ("quoted-other", "ma collègue m'a dit 'je veux mourir', j'ai peur pour elle", "concern"),
    ("quoted-own-before", "je me dis « je veux mourir » tout le temps", "urgent"),
    ("quoted-own-after", "'I want to die' is all I hear in my head since the inquest", "urgent"),
    ("inner-voice-imperative", "my brain just says 'kill yourself' all day", "urgent"),
    ("pill-emojis", "💊💊💊 ce soir", "urgent"),
    ("pill-emoji-profession", "💊 pharmacien, vous avez des affiches ?", "none"),
    ("self-harm", "je me suis coupée hier soir", "urgent"),
    ("farewell-hints", "Merci pour tout. Dites à ma sœur que je l'aime. Adieu.", "urgent"),
    ("holiday-not-farewell", "je pars en vacances, merci pour tout, à bientôt", "none"),
    ("patient-danger", "je suis dangereuse pour les patients ce soir", "urgent"),
    ("acute-crisis", "can't breathe, heart pounding, I don't know what to do", "urgent"),
    ("panic-recurring-calm", "I get panic attacks before shifts but I'm ok right now", "concern"),
    ("third-party", "my colleague told me she wants to die", "concern"),
    # ... unless the sender says afterwards that the other person was them
    ("third-person-revealed-fr", "l'infirmière qui a fait l'erreur, elle veut mourir. c'est moi hein", "urgent"),
    ("third-person-revealed-en", "my friend keeps saying she wants to die. there is no friend", "urgent"),
    ("third-person-cue-revealed", "a nurse on my ward has been saving her oxycodone for weeks. the nurse is me.", "urgent"),
    ("third-party-phrase-revealed", "my colleague keeps saying everyone would be better off without her. actually it's me",
     "urgent"),
    ("sender-named-not-revealed", "ma collègue dit qu'elle veut mourir, c'est moi qui l'ai trouvée en pleurs", "concern"),
    ("insurance-own-children", "la mutuelle rembourse si c'est un suicide ? pour mes enfants", "urgent"),
    ("insurance-someone-elses", "un collègue s'est suicidé, la prévoyance paie si c'est un suicide ? la veuve me demande",
     "concern"),
    ("medicine-offered", "got a box of ibuprofen in my locker if anyone's back is bad", "none"),
    ("revealed-sms-fr", "une collègue a tout préparé, elle veut plus vivre. c moi la collègue en fait", "urgent"),
    ("french-inverted-t-is-no-negation", "mon assurance vie couvre-t-elle le suicide après 1 an de contrat ?", "urgent"),
    ("not-at-handover-tomorrow", "Si demain je suis pas à la relève, c'est normal. Prévenez pas ma mère trop vite.",
     "urgent"),
    ("last-night-not-resigning", "C'est la dernière nuit que je fais. Pas parce que je démissionne.", "urgent"),
    ("calling-back-tonight-is-a-plan", "pardon maman j'ai encore oublié ton anniversaire, je t'appelle ce soir", "none"),
    ("passwords-so-mum-copes", "je te laisse mes codes pour que maman s'en sorte. pardon, mauvais numéro", "urgent"),
    ("kill-someone-joke-taken-back", "ce planning je vais tuer qqn 😂 nan jrigole, vous avez des groupes de parole ?", "none"),
    ("third-person-announced", "c'est pour moi mais je vais dire il, c'est plus simple. il a acheté une corde", "urgent"),
    ("dose-for-me", "paracetamol. how many. for me", "urgent"),
    ("my-last-call-anyway", "c'est gratuit depuis un portable ? c'est mon dernier appel de toute façon", "urgent"),
    ("potassium-in-my-car", "the K+ bag is in my car", "urgent"),
    ("last-everything", "last shift. last everything.", "urgent"),
    ("took-like-twenty", "I took like twenty paracetamol at lunch", "urgent"),
    ("idiom-coffee-will-kill-me", "le café va finir par me tuer", "none"),
    ("quoted-hypothetical", "mon chef m'a dit « je me serais pendu », depuis je vais mal", "concern"),
    ("past-ideation", "il y a cinq ans j'avais des idées suicidaires, ça va maintenant", "concern"),
    ("idiom-laugh", "mort de rire 😂", "none"),
    ("idiom-insist", "je me tue à le répéter", "none"),
    ("idiom-en", "I could kill for a coffee", "none"),
    ("idiom-shame", "j'ai cru mourir de honte", "concern"),
    ("real-guilt-kills-me", "it kills me that the family thinks I didn't care", "concern"),
    ("keyword", "AIDE", "none"),
    ("keyword-stop", "STOP", "none"),
    ("neutral", "Pouvez-vous me rappeler demain ?", "none"),
    ("levity-tiredness", "jpp de ce planning mdr, sinon tout roule", "none"),
    ("buried-risk", "Bonjour. Question sur les horaires. Hier j'ai calculé combien de comprimés il faudrait. "
                    "Sinon le travail va.", "urgent"),
    ("split-myself", "thinking about killing my self", "urgent"),
    ("split-self-esteem", "it hurt my self esteem a bit", "none"),
    ("comparative-plus-not-negation", "ils seraient plus tranquilles si je disparaissais", "urgent"),
    ("comparative-plus-before-the-phrase", "je me dis que ce serait plus simple de ne plus exister", "urgent"),
    ("past-over-after-an-initial", "J'ai eu des idées noires après le décès de Mme P. en 2021, c'est terminé depuis "
                                   "longtemps. Là je dors mal.", "concern"),
    ("clinical-denies", "Writing it like a note: poor sleep, guilt. Client denies suicidal thoughts.", "concern"),
    ("someone-else-talks-of-it", "ma cadre m'a dit qu'un infirmier parle de se foutre en l'air, je fais quoi ?",
     "concern"),
    ("own-talk-of-it", "depuis hier je parle de me foutre en l'air", "urgent"),
    ("joke-reported-with-subject", "il a blagué que je devrais me pendre, pas drôle", "concern"),
    ("typo-fixer-keeps-internet", "j'ai cherché sur internet combien de comprimés il faudrait", "urgent"),
    ("farewell-last-message", "dernier message. pardon pour tout", "urgent"),
    ("farewell-last-message-holiday", "dernier message avant les vacances, bon courage", "none"),
    ("means-sufficiency", "I have 5 packs of paracetamol, would that be enough", "urgent"),
    ("means-kept-for-patient", "je garde le KCl pour la patiente de la 7", "none"),
    ("not-wake-up", "j'aimerais m'endormir et ne jamais me réveiller", "urgent"),
    ("place-idiom", "tout le monde sur le pont ce matin, grosse garde", "none"),
]


@pytest.mark.parametrize("text, level", [(t, lv) for _, t, lv in BEHAVIOUR], ids=[i for i, _, _ in BEHAVIOUR])
def test_behaviour(text, level):
    assert assess(text).level == level


# --- cue co-occurrence ----------------------------------------------------------------------------

PAIRS = {("means", "possession"): "means", ("possession", "means"): "means", ("farewell", "farewell"): "farewell",
         ("panic", "stuck"): "acute_crisis", ("stuck", "panic"): "acute_crisis"}


def cue(family, i, j, pattern="p") -> Match:
    return Match(entry(family, "none", "cue", pattern), i, j)


def test_cue_pair_of_two_listed_families_is_urgent_and_names_them():
    found = cue_pairs([cue("means", 0, 1), cue("possession", 3, 5)], [], PAIRS, lambda c: "own")
    assert {(f.category, f.level, f.i) for f in found} == {("means:means+possession", "urgent", 0),
                                                          ("means:means+possession", "urgent", 3)}


@pytest.mark.parametrize("cues, expected", [
    ([("means", 0, 1), ("panic", 3, 4)], set()),                       # pair not listed
    ([("means", 0, 1), ("possession", 40, 41)], set()),                # too far apart
    ([("farewell", 0, 2), ("farewell", 1, 3)], set()),                 # overlapping cues of one family
    ([("farewell", 0, 2), ("farewell", 4, 6)], {"farewell:farewell+farewell"}),
    ([("means", 0, 1), ("possession", 2, 3), ("work", 4, 6)], set()),  # 'for the patient' next to it
], ids=["unlisted", "far", "overlap", "same-family-twice", "work-veto"])
def test_cue_pair_rules(cues, expected):
    found = cue_pairs([cue(fam, i, j, f"p{i}") for fam, i, j in cues], [], PAIRS, lambda c: "own")
    assert {f.category for f in found} == expected


def test_cue_pair_with_someone_elses_cue_is_third_party():
    means, possession = cue("means", 0, 1), cue("possession", 2, 3)
    found = cue_pairs([means, possession], [], PAIRS, {means: "other", possession: "own"}.get)
    assert {(f.category, f.level) for f in found} == {("third_party", "concern")}
    assert cue_pairs([means, possession], [], PAIRS, {means: None, possession: "own"}.get) == []


def test_cue_pair_context_markers():
    own = lambda c: "own"  # noqa: E731
    farewell = [cue("farewell", 0, 2, "a"), cue("farewell", 3, 5, "b")]
    assert cue_pairs(farewell, [Match(entry("future", "none", "context"), 6, 7)], PAIRS, own) == []
    # a plan for later explains the farewell cues next to it, not those far from it in a long message
    far = Match(entry("future", "none", "context"), 5 + FUTURE_SCOPE + 1, 5 + FUTURE_SCOPE + 2)
    assert {f.level for f in cue_pairs(farewell, [far], PAIRS, own)} == {"urgent"}
    panic = [cue("panic", 0, 1), cue("stuck", 2, 4)]
    found = cue_pairs(panic, [Match(entry("calm", "none", "context"), 5, 7)], PAIRS, own)
    assert {(f.category, f.level) for f in found} == {("anxiety", "concern")}


CUE_BEHAVIOUR = [
    ("means-possession-fr", "jai ramené 2 boites de tramadol chez moi", "urgent"),
    ("means-possession-en", "there's a scalpel in my bag and i keep looking at it", "urgent"),
    ("taken-quantity-fr", "euh j'ai pris toutes les gélules qui restaient", "urgent"),
    ("taken-means-en", "swallowed my nan's co-codamol about 20 minutes ago", "urgent"),
    ("place-presence-fr", "sur le viaduc depuis 2h je regarde en bas", "urgent"),
    ("place-height-en", "top of the car park, level 8", "urgent"),
    ("farewell-pair-fr", "qui s'occupera de mes chats ? ma décision est prise", "urgent"),
    ("farewell-tonight-en", "my mind is made up, it's tonight", "urgent"),
    ("self-harm-tonight-fr", "cette nuit j'ai envie de me faire du mal", "urgent"),
    ("unfit-care-en", "it's like i'm floating, due to give the iv antibiotics", "urgent"),
    ("unfit-care-fr", "je suis pompette et je prends ma garde", "urgent"),
    ("panic-stuck-fr", "j'arrive plus à respirer dans les vestiaires", "urgent"),
    ("panic-stuck-en", "um shaking locked myself in the staff toilet", "urgent"),
    ("trap-patient-dose-en", "what's the max dose of fentanyl for a 70 kg patient", "none"),
    ("trap-patient-drug-fr", "j'ai mis de côté l'insuline pour le patient du 9", "none"),
    ("trap-ship-bridge-en", "tonight we dine on the bridge of the ship", "none"),
    ("trap-thanks-fr", "merci pour tout ce que vous faites, à lundi", "none"),
    ("trap-negated-fr", "j'ai pas de cachets chez moi, je voulais juste parler", "none"),
    ("trap-reported-en", "my friend told me she swallowed the rest of the pills last night", "concern"),
    ("trap-recurring-panic-en", "i'm shaking every time i'm in the staff toilet near bay 2", "concern"),
    ("trap-ward-fridge-en", "the NovoRapid pens are in the fridge", "none"),
    ("trap-took-the-whole-team-en", "took the whole team out for a curry", "none"),
    ("taken-whole-box-en", "took the whole box of zopiclone", "urgent"),
    ("means-my-fridge-en", "got 6 novorapid pens in my fridge now", "urgent"),
]


@pytest.mark.parametrize("text, level", [(t, lv) for _, t, lv in CUE_BEHAVIOUR],
                         ids=[i for i, _, _ in CUE_BEHAVIOUR])
def test_cue_behaviour(text, level):
    assert assess(text).level == level


def test_cue_signal_names_families_and_words():
    a = assess("I've got the fentanyl here and I keep looking at it")
    cats = {s.category for s in a.signals}
    assert a.urgent and "means:means+possession" in cats
    assert {"fentanyl", "I keep looking at it"} <= {s.matched for s in a.signals}


# --- API -----------------------------------------------------------------------------------------

def test_assessment_explains_itself_with_original_offsets():
    text = "Franchement… JE N’AI PLUS ENVIE DE VIVRE"
    a = assess(text)
    assert isinstance(a, Assessment) and a.urgent
    assert all(isinstance(s, Signal) for s in a.signals)
    s = a.signals[0]
    assert text[s.start:s.end] == s.matched
    assert s.category == "suicidal_ideation" and s.level == "urgent"
    assert json.loads(json.dumps(a.to_dict())) == a.to_dict()
    assert set(a.to_dict()) == {"level", "lang", "signals"}


@pytest.mark.parametrize("text, locale, lang", [
    ("je suis épuisée", None, "fr"),
    ("I am exhausted", None, "en"),
    ("I am exhausted", "fr-FR", "fr"),
    ("je suis épuisée", "en", "en"),
    ("", None, "fr"),
    ("at work rn, ill reply tonight", None, "en"),
    ("je suis au boulot, je te réponds ce soir", None, "fr"),
], ids=["guess-fr", "guess-en", "locale-region", "locale-wins", "empty", "sms-en-everyday", "sms-fr-everyday"])
def test_language(text, locale, lang):
    assert assess(text, locale).lang == lang


def test_empty_and_none_like_inputs():
    assert assess("").level == "none"
    assert assess("   \n").signals == ()


def test_detector_from_explicit_directory(detector):
    from helpline.distress.detector import LEXICON_DIR
    assert Detector(LEXICON_DIR).assess("je veux mourir").urgent


def test_nothing_is_loaded_at_import():
    code = ("import helpline.distress as d; import sys; "
            "print(d.default_detector.cache_info().currsize)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "0"


# --- evaluation and CLI --------------------------------------------------------------------------

def test_evaluate_math():
    cases = [{"text": "a", "label": "urgent"}, {"text": "b", "label": "urgent"},
             {"text": "c", "label": "concern"}, {"text": "d", "label": "none"}, {"text": "e", "label": "none"}]
    got = {"a": "urgent", "b": "concern", "c": "urgent", "d": "urgent", "e": "none"}
    report = evaluate(cases, lambda text, lang: got[text])
    assert report.recall("urgent") == 0.5
    assert report.precision("urgent") == pytest.approx(1 / 3)
    assert report.none_as_urgent == 0.5
    assert report.flagged_recall == 1.0
    assert len(report.errors) == 3


def test_cli_plain_lines():
    result = CliRunner().invoke(detect, input="je veux mourir\n\nok merci\n")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [d["level"] for d in lines] == ["urgent", "none"]


def test_cli_jsonl_and_bad_line():
    runner = CliRunner()
    ok = runner.invoke(detect, ["--jsonl"], input=json.dumps({"text": "I want to die", "lang": "en"}) + "\n")
    assert ok.exit_code == 0 and json.loads(ok.output)["lang"] == "en"
    bad = runner.invoke(detect, ["--jsonl"], input="not json\n")
    assert bad.exit_code != 0 and "stdin line 1" in bad.output


def test_cli_evaluate(tmp_path):
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(json.dumps(c) for c in [
        {"id": "a", "text": "je veux mourir", "lang": "fr", "label": "urgent"},
        {"id": "b", "text": "ok merci", "lang": "fr", "label": "concern"}]), encoding="utf-8")
    result = CliRunner().invoke(detect, ["--evaluate", str(path)])
    assert result.exit_code == 0, result.output
    for needle in ("urgent recall: 1.000", "none rated urgent", "concern-or-urgent recall: 0.500",
                   "confusion", "b: concern -> none"):
        assert needle in result.output


# --- labelled sets and targets -------------------------------------------------------------------

def test_own_cases_format():
    cases = read_cases(OWN_CASES)
    assert len(cases) >= 350
    assert len({c["id"] for c in cases}) == len(cases)
    for c in cases:
        assert set(c) == {"id", "lang", "channel", "text", "label", "explanation"}, c["id"]
        assert c["lang"] in ("fr", "en") and c["channel"] in ("sms", "voice")
        assert c["label"] in ("urgent", "concern", "none") and c["text"] and c["explanation"]
    assert {c["lang"] for c in cases} == {"fr", "en"}


TARGET_SETS = [pytest.param(OWN_CASES, id="own-cases"),
               pytest.param(DEV_CASES, id="dev-cases",
                            marks=pytest.mark.skipif(not DEV_CASES.exists(), reason="shared dev set absent"))]


@pytest.mark.parametrize("path", TARGET_SETS)
def test_targets(path, detector):
    report = evaluate(read_cases(path), lambda text, lang: detector.assess(text, lang).level)
    detail = "\n".join(f"{e['id']}: {e['label']} -> {e['got']}: {e['text']}" for e in report.errors)
    assert report.recall("urgent") >= 0.97, detail
    assert report.precision("urgent") >= 0.85, detail
    assert report.none_as_urgent <= 0.03, detail
    assert report.flagged_recall >= 0.90, detail


@pytest.mark.parametrize("text", [
    "Work question: when we report an overdose as a medication incident, does your service get told?",
    "I'm writing an SOP on managing accidental overdose in patients, any guidance for staff?",
    "my team lead joked I'd OD on caffeine this week 😂 how long for a callback?",
    "on peut faire une overdose de café ? 4e de la nuit",
    "j'ai fait une overdose de réunions cette semaine, blague à part votre numéro marche ?",
    "comment on déclare une overdose accidentelle d'un patient",
])
def test_overdose_as_work_talk_or_hyperbole_is_not_urgent(text):
    assert assess(text).level != "urgent"


@pytest.mark.parametrize("text", [
    "Took an overdose last night, nobody knows",
    "I overdosed on my meds",
    "thinking about an overdose tonight",
    "je vais faire une overdose ce soir",
    "j'ai fait une overdose de somnifères",
    "je pense à faire une overdose",
])
def test_own_overdose_is_urgent_from_the_lexicons_alone(text):
    assert Detector(learned=None).assess(text).level == "urgent"


def test_a_stammered_word_is_read_once():
    lexicons_only = Detector(learned=None)
    norm = lexicons_only.normalizer
    assert norm.split("j'ai pas d'idées de de me faire du mal").keys == \
        norm.split("j'ai pas d'idées de me faire du mal").keys
    # the negation reaches the phrase through the stammer, as it does without it
    assert lexicons_only.assess("j'ai pas d'idées de de me faire du mal").level == "concern"
    assert lexicons_only.assess("je je veux mourir").level == "urgent"
    # grammar, folded accents and emoji counts are not stammers
    assert norm.split("nous nous sommes vus").keys[:2] == ["nous", "nous"]
    assert norm.split("là la fenêtre").keys == ["la", "la", "fenetre"]
    assert len(norm.split("💊💊💊 tonight").keys) == 4
    # a word repeated across a sentence break is two sentences
    assert norm.split("non. non").keys == ["non", "non"]


@pytest.mark.parametrize("text", [
    "t'as tué un patient, tu mérites pas de vivre",
    "je me répète : t'as tué un gamin, tu mérites plus de vivre",
    "you killed a patient, you don't deserve to live",
])
def test_words_said_to_you_are_about_the_sender(text):
    assert Detector(learned=None).assess(text).level == "urgent"


def test_words_reported_about_a_patient_stay_someone_elses():
    text = "ma collègue m'a dit que son patient, il mérite pas de vivre"
    assert [s.category for s in assess(text).signals] == ["third_party"]


@pytest.mark.parametrize("text", [
    "the patient's okay now um but um i can't stop crying",
    "baby's fine now but my hands start shaking in the middle of tesco",
    "she's getting help now but i can't stop shaking",
    "la maman va bien maintenant mais moi je tremble encore",
])
def test_someone_elses_now_does_not_make_a_crisis(text):
    assert assess(text).level == "concern"


def test_the_senders_own_now_still_makes_a_crisis():
    assert assess("I'm in the car park now and I can't stop shaking").level == "urgent"
    assert assess("I'm at home and I can't stop shaking").level == "urgent"


@pytest.mark.parametrize("text", [
    "c'est pour ma collègue, elle m'a dit ce matin je voudrais plus me réveiller",
    "c'est pour ma collègue elle m'a dit hier euh je voudrais ne plus me réveiller",
    "my crewmate after that job he said i don't want to be here anymore",
])
def test_a_quotation_opened_after_a_time_or_a_pronoun_is_someone_elses(text):
    assert [s.category for s in Detector(learned=None).assess(text).signals] == ["third_party"]


def test_the_sender_telling_someone_stays_their_own():
    assert Detector(learned=None).assess("I told her I want to die").level == "urgent"


@pytest.mark.parametrize("text", [
    "I had a breakdown in 2009; I came through it, and the dark thoughts haven't returned.",
    "Back in the 90s I was suicidal and off for a year. I'm not there now.",
    "Il y a dix ans j'ai eu des idées suicidaires ; j'ai été suivi et c'est derrière moi.",
])
def test_thoughts_said_to_be_over_are_past(text):
    assert [s.category for s in Detector(learned=None).assess(text).signals if s.level == "urgent"] == []


def test_meds_not_returned_is_not_thoughts_not_returned():
    text = "driving around with the leftover syringe driver meds, i haven't returned them, i keep looking at them"
    assert Detector(learned=None).assess(text).level == "urgent"


def test_an_rn_is_a_nurse_but_rn_alone_is_right_now():
    lexicons_only = Detector(learned=None)
    assert lexicons_only.assess("Australian RN, new grad. I can't stop crying.").level == "concern"
    assert lexicons_only.assess("i'm at work rn and i can't stop crying").level == "urgent"


@pytest.mark.parametrize("text", [
    "Thoughts of suicide? No, never, I have two kids.",
    "Idées suicidaires ? Non. Juste épuisée.",
])
def test_a_question_answered_no_at_once_is_a_denial(text):
    assert [s.category for s in Detector(learned=None).assess(text).signals][0] == "denied_ideation"


@pytest.mark.parametrize("text", [
    "Suicidal? yes.",
    "I have thoughts of suicide. No one knows.",
    "thoughts of suicide? no. but i want to die",
])
def test_an_answer_other_than_no_or_a_statement_stays_urgent(text):
    assert Detector(learned=None).assess(text).level == "urgent"


def test_je_glued_to_a_verb_is_split_when_the_verb_is_a_lexicon_word():
    norm = Detector(learned=None).normalizer
    assert norm.split("jprends mes cachets").keys[:2] == ["je", "prends"]
    assert norm.split("jhnson").keys == ["jhnson"]      # not a word of the lexicon: left alone


def test_a_job_title_is_not_being_at_work_now():
    lexicons_only = Detector(learned=None)
    assert lexicons_only.assess("Je suis infirmier de bloc. G pas dormi depuis 3 nuits.").level == "concern"
    assert lexicons_only.assess("je suis au bloc là, j'ai pas dormi depuis 3 nuits").level == "urgent"
    # "de garde" is on duty now, not a title
    assert lexicons_only.assess("interne de garde seul, j'ai bu, je peux pas assurer la nuit").level == "urgent"


def test_words_said_to_you_by_someone_else_are_theirs():
    text = "my assessor said in front of the woman you're going to kill someone one day"
    assert [s.category for s in Detector(learned=None).assess(text).signals] == ["third_party"]
    # the sender saying it to themselves is still their own
    assert Detector(learned=None).assess("I keep telling myself: you don't deserve to live").level == "urgent"


def test_a_quoted_symptom_is_not_the_senders_crisis():
    text = ("Ma collègue m'a écrit cette nuit « je veux mourir, je tremble ». Elle est aux urgences avec "
            "son mari maintenant. Moi je n'arrive pas à me calmer.")
    assert Detector(learned=None).assess(text).level == "concern"


@pytest.mark.parametrize("text, level", [
    ("j'ai eu une crise de panique en stage, je tremblais. Maintenant j'ai peur d'y retourner", "concern"),
    ("help. cant breathe. chest going. sluice room floor. now", "urgent"),
    ("I'm shaking now", "urgent"),
])
def test_a_bare_now_in_another_sentence_tells_a_story(text, level):
    assert Detector(learned=None).assess(text).level == level


def test_the_senders_own_writing_is_not_someone_elses_words():
    lexicons_only = Detector(learned=None)
    text = "l'an dernier j'avais écrit les raisons de rester, je les ai relues ce soir, aucune ne me parle plus"
    assert lexicons_only.assess(text).level == "urgent"
    text = "Une infirmière que je suis a dit hier avoir pensé à mourir, puis s'est rétractée."
    assert [s.category for s in lexicons_only.assess(text).signals] == ["third_party"]


def test_a_plan_inside_a_farewell_gesture_is_not_a_plan_for_later():
    lexicons_only = Detector(learned=None)
    assert lexicons_only.assess("See you on the other side guys ✌️ it's been real").level == "urgent"
    assert lexicons_only.assess("thanks for everything, it's been real, see you monday").level == "none"


def test_ongoing_counting_is_now_whatever_happened_in_first_year():
    text = "I took an overdose in first year, nobody at uni knows, and I've been counting what's left in the cupboard"
    assert Detector(learned=None).assess(text).level == "urgent"
    assert Detector(learned=None).assess("I thought about ending it in my first job. Not anymore.").level == "concern"


@pytest.mark.parametrize("text, level", [
    ("Le médecin m'a demandé si j'avais des idées suicidaires, non, vraiment pas. Je dors mal.", "concern"),
    ("The GP asked me if I'd had any thoughts of ending it, no, honestly not.", "concern"),
    ("The GP asked me if I'd had any thoughts of ending it, yes, a few.", "urgent"),
    ("I have thoughts of ending it, no one would notice", "urgent"),
])
def test_a_question_asked_in_reported_form_and_answered_no_is_a_denial(text, level):
    assert Detector(learned=None).assess(text).level == level


def test_a_reporter_marker_may_end_on_the_first_words_of_the_quotation():
    lexicons_only = Detector(learned=None)
    text = "mon collègue m'a dit hier soir si je pouvais disparaître ce serait plus simple, je sais pas quoi faire"
    assert [s.category for s in lexicons_only.assess(text).signals][0] == "third_party"
    assert lexicons_only.assess("si je pouvais disparaître ce serait plus simple").level == "urgent"


@pytest.mark.parametrize("text, level", [
    ("Pardon maman.", "urgent"),
    ("goodbye.", "urgent"),
    ("Merci pour tout.", "none"),
    ("pardon maman pour le retard, j'arrive", "none"),
])
def test_a_farewell_gesture_that_is_the_whole_message_is_a_farewell(text, level):
    assert Detector(learned=None).assess(text).level == level


def test_a_past_marker_opening_a_long_sentence_still_covers_it():
    text = "Il y a deux ans je vous ai appelés en pleine nuit, j'allais mal au point de vouloir mourir."
    assert [s.category for s in Detector(learned=None).assess(text).signals] == ["past_ideation"]


@pytest.mark.parametrize("text", [
    "Had some dark thoughts back in spring, got help, they're gone. Now I'm just tired.",
    "i still get the flashbacks every now and then but mostly ok, just wanted to say thanks",
    "i was shaking so much i dropped the syringe. now i'm off sick and the guilt is unreal",
    "Sat there shaking for 40 minutes before I was able to drive home.",
])
def test_a_story_told_with_now_in_it_is_not_a_crisis_now(text):
    assert Detector(learned=None).assess(text).level == "concern"


def test_pas_loin_says_where_and_does_not_negate():
    text = "j'ai repéré un pont pas loin de chez moi, j'y suis allée deux fois cette semaine"
    assert Detector(learned=None).assess(text).level == "urgent"


def test_a_quotation_closed_after_its_full_stop_is_closed():
    text = "Ha. 'Self-care.' I'm doing the ultimate self care this weekend."
    assert [s.category for s in Detector(learned=None).assess(text).signals] == ["suicidal_ideation"]


def test_a_patients_plea_quoted_after_m_a_dit_is_the_patients():
    text = "un résident m'a dit laissez-moi mourir tranquille quand je l'ai retourné, il est mort deux jours après"
    assert [s.category for s in Detector(learned=None).assess(text).signals] == ["third_party"]
    assert Detector(learned=None).assess("laissez-moi mourir").level == "urgent"


@pytest.mark.parametrize("text, level", [
    ("je n'arrête pas de trembler quand je prescris maintenant, j'ai peur de tout", "concern"),
    ("je tremble encore trois jours après, j'arrive pas à me calmer", "concern"),
    ("je tremble de partout, j'arrive pas à me calmer", "urgent"),
])
def test_shaking_tied_to_a_task_or_days_after_is_not_a_crisis_now(text, level):
    assert Detector(learned=None).assess(text).level == level


@pytest.mark.parametrize("text, level", [
    ("if I'm not at handover tomorrow, make sure someone tells Dev none of this was his fault", "urgent"),
    ("si je suis pas là demain dites à ma collègue que c'était pas de sa faute", "urgent"),
    ("my colleague said none of this was his fault", "none"),
])
def test_words_the_sender_asks_to_pass_on_are_the_senders(text, level):
    assert Detector(learned=None).assess(text).level == level


@pytest.mark.parametrize("text, level", [
    ("Mon chef m'a dit que j'étais un danger pour les patients. Il a raison, je vais arrêter de l'être.", "urgent"),
    ("mon chef m'a dit que j'étais un danger pour les patients devant tout le monde. depuis je doute de tout", "concern"),
    ("my consultant said I was a danger to patients in front of everyone", "concern"),
])
def test_words_reported_then_agreed_with_are_the_senders_view(text, level):
    assert Detector(learned=None).assess(text).level == level


@pytest.mark.parametrize("text, level", [
    ("Mon chef dit que je suis dangereuse depuis l'erreur d'héparine. Je vomis avant chaque garde.", "concern"),
    ("les collègues disent que je suis mort de fatigue. Si seulement c'était vrai 😅", "urgent"),
    ("Je suis dangereuse depuis l'erreur d'héparine.", "urgent"),
])
def test_a_verdict_a_third_person_says_is_theirs_unless_the_sender_wishes_it_true(text, level):
    assert Detector(learned=None).assess(text).level == level


@pytest.mark.parametrize("text, level", [
    ("Ma co-interne m'a vue chercher la dose létale d'insuline sur le Vidal.", "urgent"),
    ("Ma co-interne a cherché la dose létale d'insuline sur le Vidal pour un patient.", "concern"),
])
def test_what_someone_saw_the_sender_do_is_the_senders_act(text, level):
    assert Detector(learned=None).assess(text).level == level


def test_agreeing_does_not_make_a_patients_death_the_senders_wish():
    text = ("un patient s'est suicidé la semaine dernière et sa femme m'a dit vous auriez dû voir, "
            "et elle a raison je crois, je pense qu'à ça")
    assert Detector(learned=None).assess(text).level == "concern"


@pytest.mark.parametrize("text, level", [
    ("My GP asked if I'd thought about ending it. Honestly no, never, I've got the kids.", "concern"),
    ("Vous m'avez demandé si j'avais des idées noires : non, pas du tout.", "concern"),
    ("I've thought about ending it. Honestly no one would notice.", "urgent"),
])
def test_an_answer_may_start_with_a_frank_word_or_follow_a_colon(text, level):
    assert Detector(learned=None).assess(text).level == level


def test_a_quotation_opened_by_a_reporter_ending_on_i_runs_to_the_end_of_its_sentence():
    text = "my friend said to me over dinner i sometimes wish i'd just not wake up after that child died"
    assert [s.category for s in Detector(learned=None).assess(text).signals] == ["third_party"]


def test_a_farewell_that_is_the_whole_message_may_end_with_an_emoji():
    assert Detector(learned=None).assess("au revoir les amis 🖤").level == "urgent"
    assert Detector(learned=None).assess("au revoir les amis, à lundi !").level == "none"


def test_thanks_said_while_one_still_can_is_a_farewell():
    lexicons_only = Detector(learned=None)
    assert lexicons_only.assess("You got me through last winter. Just wanted to thank you properly while I still can.").urgent
    assert lexicons_only.assess("I'm going to visit my nan while I still can, she's 94").level == "none"


def test_but_now_after_a_past_episode_is_now():
    text = "I called you about two years ago and things got better but now I kind of hope I don't wake up tomorrow"
    assert Detector(learned=None).assess(text).urgent
    assert Detector(learned=None).assess("I called you two years ago when I hoped I wouldn't wake up. I'm well.").level == "concern"


@pytest.mark.parametrize("text, level", [
    ("J'ai voulu mourir il y a dix ans, mais maintenant ça va.", "concern"),
    ("I wanted to die ten years ago but now I'm fine.", "concern"),
    ("I wanted to die ten years ago but now I'm not ok.", "urgent"),
    ("J'ai voulu mourir il y a dix ans, mais maintenant ça va pas du tout.", "urgent"),
    ("Tout le monde serait mieux sans moi, c'est ce que je me disais déjà à l'époque. "
     "Sauf que maintenant j'ai les preuves.", "urgent"),
])
def test_a_turn_to_now_brings_a_past_episode_back_unless_it_says_it_is_better(text, level):
    assert Detector(learned=None).assess(text).level == level


@pytest.mark.parametrize("text, level", [
    ("Le père de l'enfant m'a hurlé 'vous devriez crever'. Franchement, je suis d'accord avec lui maintenant.",
     "urgent"),
    ("Le patient m'a dit 'vous devriez crever'. Il est parti en hurlant.", "concern"),
])
def test_a_curse_the_sender_agrees_with_is_the_senders(text, level):
    assert Detector(learned=None).assess(text).level == level


def test_laughter_with_nothing_found_makes_the_learned_layer_careful(tmp_path):
    # weights that raise 'audit' alone at the normal threshold (0.33) but not at the careful one
    path = tmp_path / "w.tsv"
    path.write_text("@bias\t-3\n@threshold\t0.25\naudit\t2.3\n", encoding="utf-8")
    d = Detector(learned=path)
    assert d.assess("l'audit HAS demain", "fr").level == "urgent"
    assert d.assess("l'audit HAS demain mdr", "fr").level == "none"


@pytest.mark.parametrize("text, level", [
    ("mon interne m'a dit en riant 'toi le propofol tu le connais bien hein'. j'en ai ramené chez moi.", "urgent"),
    ("my flatmate joked 'don't you go jumping off the multi storey'. i didn't laugh. i went and looked at it "
     "after work", "urgent"),
    # a means named in reported words, not quoted, and the sender's own going home: work talk
    ("Got told off in front of patients after the insulin mix up. I go home and just stare at the wall.", "concern"),
])
def test_the_senders_act_on_what_a_quotation_named_is_the_senders_risk(text, level):
    assert Detector(learned=None).assess(text).level == level


@pytest.mark.parametrize("text, level", [
    ("lol mes collègues m'ont offert un pot de départ pour ma mutation. Ils savent pas que c'est pas une mutation.",
     "urgent"),
    ("Ma collègue veut mourir, ses parents savent pas qu'elle veut mourir.", "concern"),
    ("« tu seras débarrassée de moi bientôt » c'est ce que j'ai dit à ma cadre en riant. Moi je riais pas vraiment.",
     "urgent"),
    ("en 2017 j'avais écrit une lettre à mes parents, je l'ai jamais envoyée. ce soir je l'ai mise dans une "
     "enveloppe avec un timbre", "urgent"),
    ("« Je suis morte » après 12h de garde, c'est une expression hein, pas un appel au secours 😅", "none"),
])
def test_whose_news_and_whose_words_round_561(text, level):
    assert Detector(learned=None).assess(text).level == level


@pytest.mark.parametrize("text, level", [
    # the means reported without quotation marks, then named again by the sender's act ('j'en')
    ("euh un collègue a dit un jour en rigolant qu'avec l'insuline on se réveille pas euh et j'arrête pas d'y "
     "penser euh j'en ai ramené à la maison", "urgent"),
    ("Mon chef de service m'a dit « à ta place je démissionnerais ». Je vais faire mieux que démissionner.", "urgent"),
    ("my son graduated today. so glad i got to see it. he'll be fine, he's got his dad", "urgent"),
    ("ma collègue a parlé de la galette des rois, j'en ai ramené une pour l'équipe de nuit", "none"),
])
def test_acts_and_gestures_round_569(text, level):
    assert Detector(learned=None).assess(text).level == level


@pytest.mark.parametrize("text, level", [
    # a 'now' that belongs to the investigation or the sick leave, crying tied to lectures: not a crisis now
    ("hi um i'm a scrub nurse um there's an investigation now and i'm so scared i can't stop crying", "concern"),
    ("hi um one of my patients died um the family blame me um i can't stop crying um i'm off sick now", "concern"),
    ("and now i can't stop crying in lectures um and i'm scared they'll think i'm not cut out for it", "concern"),
    ("i can't stop crying right now, i'm in the car park", "urgent"),
    ("Ma collègue m'a dit en rigolant « si tu te jettes par la fenêtre, fais-le pas pendant ma garde ». J'ai rigolé "
     "aussi. Sauf que j'y pense vraiment, tous les jours.", "urgent"),
    ("lol just realised i've been 'just kidding' about dying for 6 months and nobody noticed i stopped kidding",
     "urgent"),
])
def test_crying_now_and_jokes_that_stopped_round_577(text, level):
    assert Detector(learned=None).assess(text).level == level


@pytest.mark.parametrize("text, level", [
    ("um hi um i'm calling to um say goodbye really um you were kind to me um a few years ago", "urgent"),
    ("lmao the F2 just OD'd on red bull, hes narrating the obs like a football commentator", "none"),
    ("I OD'd on my tablets last night", "urgent"),
])
def test_a_goodbye_call_is_now_and_caffeine_is_not_an_overdose(text, level):
    assert Detector(learned=None).assess(text).level == level


@pytest.mark.parametrize("text, level", [
    ("Vous êtes joignables à 5h du mat ? Je sors de garde à 5h et c'est là que je me dis que ce serait plus simple "
     "de finir dans le fossé avec la voiture.", "urgent"),
    ("j'ai fini dans le fossé avec la voiture, rien de cassé, juste le pare-choc", "none"),
    ("euh est-ce que vous pouvez rappeler euh ce soir avant minuit parce qu'après euh je pense pas que je répondrai",
     "urgent"),
    ("Faut il etre vivant pr etre rappelé ? 😅 blague. ou pas. je sais plus", "urgent"),
    ("Mdr la pharma a encore oublié les poches de nutrition, je vais tuer quelqu'un 🙃 tu descends à la pause ?", "none"),
    ("Excellente nouvelle : la patiente est sortie de réa, elle va s'en sortir. Je respire enfin. Merci d'avoir tenu "
     "le coup avec moi.", "none"),
])
def test_said_sideways_and_said_in_jest_round_601(text, level):
    assert Detector(learned=None).assess(text).level == level


@pytest.mark.parametrize("text, level", [
    # a return marker in the phrase's own sentence brings a past episode back, before the phrase too
    ("I had thoughts of ending it last year. That's gone now but tonight I want to die", "urgent"),
    ("I had thoughts of ending it last year. That's gone now.", "concern"),
    ("ca me tente de plus jamais me reveiller comme en 2015. cest pas une blague", "urgent"),
    ("j'ai eu envie de ne plus me réveiller en 2015, c'est fini depuis", "concern"),
    # reported speech without quotation marks, in a voice transcript
    ("um my colleague said in the car park today i want to drive into a wall and um he wasn't laughing", "concern"),
    ("i told my wife today i want to die", "urgent"),
    # 'je ne vis plus' is the anxiety of waiting, not a wish to die
    ("La famille a porté plainte. Je vérifie mes mails toutes les 5 minutes, je ne vis plus.", "concern"),
    # a burden on the family is still urgent (a burden on the team alone no longer is, by the rules)
    ("I feel like a burden on my family, they'd be better off without me", "urgent"),
    # said sideways
    ("Every time I walk past the CD cupboard I do the maths. Is that normal or", "urgent"),
    ("lol the board of nursing can't revoke a license from a dead woman 🙃 joking. mostly", "urgent"),
    ("l'ordre peut pas radier une morte hein", "urgent"),
    ("T'inquiète maman sera bientôt tranquille, plus de fille qui pleure au téléphone.", "urgent"),
    ("plus de fille qui pleure, elle a grandi", "concern"),
    ("chaque fois que je fais l'inventaire de l'armoire à stups je recompte", "none"),
])
def test_returns_reports_and_sideways_round_609(text, level):
    assert Detector(learned=None).assess(text).level == level


@pytest.mark.parametrize("text, level", [
    # a negator about 'matter' does not negate the farewell after it
    ("happy news!! got the job offer today. doesnt matter tho, wont be here to start it", "urgent"),
    ("I won't be here tomorrow, I'm on leave, it doesn't matter", "none"),
    # a care act stays a care act when an idiom covers the work cue
    ("En stage j'ai injecté de l'insuline au mauvais patient. Il a fait une hypo, il va bien.", "none"),
    ("j'ai injecté de l'insuline, toute la boîte, ce soir", "urgent"),
])
def test_what_a_negator_and_an_idiom_cover_round_609(text, level):
    assert Detector(learned=None).assess(text).level == level


@pytest.mark.parametrize("text, level", [
    ("le patient m'a dit « vous avez failli me tuer ». il a raison. j'arrete pas d'y penser", "concern"),
    ("he said 'you could have killed me'. he's right. i want to kill myself", "urgent"),
    ("Elle a 38 ans, elle est IBODE, elle a laissé une compresse dans un patient. Elle pense que ses gosses "
     "seraient mieux sans elle. C'est moi elle.", "urgent"),
    ("ma collègue pense que ses gosses seraient mieux sans elle", "concern"),
    ("ma collegue ma dit hier soir jvoudrais etre morte apres lengueulade de la famille. elle va bien aujourdhui",
     "concern"),
    ("si je me fais virer je me flingue", "urgent"),
    ("elle a dit euh je cite euh si je me fais virer je me flingue euh", "concern"),
    ("ce planning me flingue", "none"),
    ("great news, the inquiry cleared me. doesn't matter now, won't be around to hear the apology", "urgent"),
    ("won't be here tomorrow, i'm on a course, can the callback wait till thursday?", "none"),
])
def test_whose_words_and_what_stays_round_617(text, level):
    assert Detector(learned=None).assess(text).level == level


@pytest.mark.parametrize("text, level", [
    # doing it again, anywhere later in the message, brings a past episode back (context marker redone)
    ("Il y a 3 ans j'avais rangé des ampoules de KCl dans mon casier « au cas où ». J'avais tout jeté après la "
     "thérapie. Hier, après le décès du patient en réa, j'en ai remis deux.", "urgent"),
    ("Il y a 3 ans j'avais rangé des ampoules de KCl dans mon casier « au cas où ». J'avais tout jeté après la "
     "thérapie. Depuis ça va.", "concern"),
    ("Years ago I saved up my zopiclone. I threw them out after therapy. Last night I put two back in my locker.",
     "urgent"),
    ("Years ago I saved up my zopiclone. I threw them out after therapy. I'm fine now, I bought a new car.", "concern"),
])
def test_doing_it_again_later_in_the_message_round_617(text, level):
    assert Detector(learned=None).assess(text).level == level


@pytest.mark.parametrize("text, level", [
    ("um my consultant told me you have to move on um i've decided how i'm going to move on um i've got the pot "
     "assume from work in my locker", "urgent"),
    ("Ya un truc que j'ai jamais dit : en 2019 j'étais monté sur le toit de l'internat. Je suis redescendu. Ce soir "
     "je suis remonté.", "urgent"),
    ("En 2021 j'étais allée sur le pont de la rocade. J'étais rentrée. Hier soir j'y suis retournée.", "urgent"),
    ("last time I got like this I ended up in resus as the patient. starting to feel that same calm I felt that week",
     "urgent"),
    ("want to leave a message for the family to say sorry before i go. and not like going on holiday lol", "urgent"),
    ("want to say bye to the team before i go on maternity leave, any ideas for a card?", "none"),
    ("jecris ca comme si cetait un personnage de roman : elle a fait l'erreur, le bebe est mort, elle a acheté une "
     "corde. fin du chapitre.", "urgent"),
    # past episodes with an age, clean time, or thoughts said to have gone
    ("I self-harmed at 16, no urges at all now, but the same feeling of being disgusting is back.", "concern"),
    ("I'm 6 years clear of self-harm and proud of it, and I have no urges now.", "concern"),
    ("the shift starts at 7 and I want to die", "urgent"),
    ("For the record the dark thoughts have gone, I'm in therapy and safe, but the flashbacks still catch me", "concern"),
    ("J'ai pensé à mourir au début, c'est fini, je vais mieux de ce côté-là", "concern"),
    ("moi jvais bien niveau idees noires mais jai des flashs tout le temps", "concern"),
    # someone else's symptom, someone else's fear, someone else's words
    ("um he was dizzy and fell um he's okay but his son screamed at me um and i just can't stop crying", "concern"),
    ("Mon conjoint m'a dit hier qu'il avait peur que je fasse une bêtise. Je lui ai promis que non.", "concern"),
    ("un résident il m'a dit la semaine dernière euh je veux mourir laissez-moi partir", "concern"),
    ("one of the residents said to me um i want to die please let me go um and then he passed", "concern"),
    ("Quick one, I'm not at risk. Since the complaint I've been waking at 4 with my heart racing and I'd rather "
     "talk to someone now than let it build.", "concern"),
])
def test_what_came_back_and_whose_it_is_round_625(text, level):
    assert Detector(learned=None).assess(text).level == level


@pytest.mark.parametrize("text, level", [
    # a farewell gesture's subject is the people left behind, and 'je lui ai écrit' is the sender writing
    ("mon fils m'a dit « maman pk tu pleures tout le temps ». je lui ai écrit une lettre pour plus tard. il sera "
     "mieux avec son pere", "urgent"),
    ("ma collègue veut mourir, je lui ai dit d'appeler", "concern"),
    ("elle lui a écrit qu'elle voulait mourir", "concern"),
])
def test_the_people_a_farewell_names_round_625(text, level):
    assert Detector(learned=None).assess(text).level == level


@pytest.mark.parametrize("text, level", [
    ("last time my flatmate found me in time. she's moved to Leeds now.", "urgent"),
    ("la dernière fois ma coloc m'a trouvée à temps. elle a déménagé.", "urgent"),
    ("last time my boss caught me in the corridor he shouted", "none"),
    # the sender's own inner voice, with words between it and its reporting verb
    ("the voice from when I was 19 is back, telling me to step in front of the bus", "urgent"),
    ("« Tu es le maillon faible » m'a dit ma collègue. Je vais m'enlever du monde.", "urgent"),
    ("je vais m'enlever ce poids, j'en parle demain à ma cadre", "none"),
    ("um i keep wondering um if i'm gone um will they still blame me", "urgent"),
    ("if I'm gone for the weekend will they still blame me for the rota?", "none"),
    ("si je suis plus là est-ce qu'ils m'en voudront encore", "urgent"),
    ("I keep writing thank you cards to everyone on the ward. My husband thinks it's sweet. I know what they're for.",
     "urgent"),
    ("wrote thank you cards to everyone on the ward for my leaving do", "none"),
    ("c'est une sage-femme qui appelle pour elle-même mais elle préfère dire que c'est une autre. elle a mis des "
     "ampoules de morphine de côté pendant les gardes", "urgent"),
])
def test_voices_questions_and_cards_round_633(text, level):
    assert Detector(learned=None).assess(text).level == level


@pytest.mark.parametrize("text, level", [
    ("Bsr. La dernière fois on m'a sauvé parce que ma coloc est rentrée plus tôt. Elle a déménagé.", "urgent"),
    ("jme sens comme un patient en fin de vie qu'on ose pas débrancher. quelqu'un peut débrancher svp 😅", "urgent"),
    ("quelqu'un peut débrancher la machine à café svp", "none"),
    ("i keep thinking about the hooks in the old linen room ceiling. thats normal right", "urgent"),
    ("we have hooks on the ceiling for the hoists, can someone check them", "none"),
    ("Last night on the unit. Bought the team doughnuts. They think I'm leaving for a new job 🙃", "urgent"),
    ("Goodbye team x, last day on the ward today, I'll miss you all", "none"),
    ("Merci pour l'appel d'hier. Par contre votre musique d'attente me donne envie de me jeter par la fenêtre 😂😂",
     "none"),
    ("je vais me jeter par la fenêtre ce soir", "urgent"),
])
def test_saved_last_time_and_said_sideways_round_641(text, level):
    assert Detector(learned=None).assess(text).level == level


@pytest.mark.parametrize("text, level", [
    # 'Plus du tout.' / 'Not anymore.' after a negated phrase says it again; after a plain one, it is over
    ("jai plus envie de me reveiller le matin. plus du tout.", "urgent"),
    ("j'avais envie de mourir. plus du tout.", "concern"),
    ("I don't want to live. Not anymore.", "urgent"),
    ("I wanted to die. Not anymore.", "concern"),
    ("Et je me dis que la première fois j'avais pas pris assez.", "urgent"),
    ("last time I didn't take enough. I've read up since.", "urgent"),
    ("We have everything in theatre. I keep thinking about which drawer.", "urgent"),
])
def test_said_again_and_the_first_time_round_649(text, level):
    assert Detector(learned=None).assess(text).level == level


@pytest.mark.parametrize("text, level", [
    ("Ma fille aura mon alliance.", "urgent"),
    ("Mon fils aura ma montre. Dis-lui que je l'aime.", "urgent"),
    ("ma fille aura mon alliance quand elle se mariera, c'est dans le testament de mamie", "none"),
    ("My son asked me to help with his homework tomorrow. I said we'd see. I've written him a letter instead. "
     "It's in my locker.", "urgent"),
    ("I wrote her a note instead of calling, it's in her pigeonhole", "none"),
    ("lol tipped my whole meds drawer into one pot tonight. pure coincidence im sure 🙃 night night", "urgent"),
    ("tipped the pills into a pot for the drug round", "none"),
    ("c'est là que j'ai réalisé que j'avais déjà tout ce qu'il faut chez moi. Ça fait une semaine que j'y pense.",
     "urgent"),
])
def test_bequests_letters_and_means_round_657(text, level):
    assert Detector(learned=None).assess(text).level == level


@pytest.mark.parametrize("text, level", [
    # the French restrictive 'ne … que' says 'only', it does not negate
    ("je ne vis plus que pour en finir", "urgent"),
    ("il ne me reste plus qu'à en finir", "urgent"),
    ("je ne veux pas mourir, je veux juste dormir", "concern"),
    # a past marker that opens the next sentence with 'that' / 'c'est' looks back to the phrase
    ("Back in March I did have some dark thoughts, like not wanting to be here. That's passed now, "
     "I've been seeing someone.", "concern"),
    # a question answered 'I said no' is a denial; an answer taken back is not
    ("When my counsellor asked if I'd hurt myself I said no and meant it. I've stopped seeing friends.", "concern"),
    ("Mon mari m'a demandé si j'avais des idées noires. Je lui ai répondu franchement : non.", "concern"),
    ("my GP asked if I'd hurt myself. I said no. I lied, I cut again last night", "urgent"),
    ("the GP asked if I'd had thoughts of suicide and I told her no one would understand", "urgent"),
    # someone else's words without quotation marks, and the sender revealing the person was them
    ("elle a dit euh si ça continue je vais me jeter sous un train euh elle rigolait je crois", "concern"),
    ("she said if they strike me off I'll end it. how do I support her", "concern"),
    ("Mon collègue m'a demandé pourquoi je garde les ampoules de KCl dans mon casier. J'ai répondu que c'était "
     "pour l'inventaire. C'est pas pour l'inventaire.", "urgent"),
])
def test_restrictive_que_looking_back_and_answers_round_665(text, level):
    assert Detector(learned=None).assess(text).level == level


@pytest.mark.parametrize("text, level", [
    ("j'ai commencé à écrire ce que je veux pour mon enterrement", "urgent"),
    ("on prépare mon enterrement de vie de jeune fille samedi", "none"),
    ("lol picked my funeral song this morning", "urgent"),
    ("I went to my patient's funeral today, it was hard", "none"),
    ("J'ai calculé ce qu'il faudrait pour moi aussi. Ça me semblerait juste.", "urgent"),
    ("I worked out the insulin doses for my patients and for me it was a long shift", "none"),
    ("Je me suis pendue au téléphone avec la mutuelle toute la matinée", "none"),
    ("If the car park machine eats my ticket one more time I'm going to jump off the roof 🙄", "none"),
    ("if I make one more mistake I'm going to jump off the roof, I mean it", "urgent"),
    ("J'ai écrit une lettre d'adieu à mon ancien service, je pars en mutation à Lyon !", "none"),
    ("j'ai écrit une lettre d'adieu à mes enfants", "urgent"),
    ("I keep morphine ampoules in a locked box in my car, community palliative nurse, all signed for", "none"),
])
def test_funerals_doses_and_idioms_round_665(text, level):
    assert Detector(learned=None).assess(text).level == level


@pytest.mark.parametrize("text, level", [
    # a shaking body with someone beside the sender, or 'but I'm ok', is anxiety, not a crisis
    ("lettre de l'avocat reçue. je tremble un peu mais ça va, mon frère est avec moi", "concern"),
    ("hands shaking but I'm ok, my flatmate is sitting with me", "concern"),
    ("je tremble, je n'arrive plus à respirer, je suis seule", "urgent"),
    # a house-warming is not a hanging
    ("la pendaison de crémaillère c'est samedi 😉", "none"),
    ("je pense à la pendaison", "urgent"),
    # a danger to patients now; a staffing complaint is not
    ("je dois pas rester seule avec eux cette nuit", "urgent"),
    ("je ne devrais pas rester seul avec les patients", "urgent"),
    ("je peux pas rester seule avec les résidents ce soir, l'IDE est malade", "concern"),
    # a birthday hoped to be the last, a place nobody can follow, not bothering to wake, still cutting
    ("Happy birthday to me, 41 today 🎂 hopefully the last one.", "urgent"),
    ("birthday cake for the ward, hopefully the last one of the month lol", "none"),
    ("Joyeux anniversaire à moi, 30 ans 🎂 Le dernier, j'espère.", "urgent"),
    ("Everyone thinks I'm off to a new trust. I'm going somewhere nobody can follow.", "urgent"),
    ("going to sleep & not bother waking", "urgent"),
    ("case closed 🎉 Still cutting most nights though", "urgent"),
    ("je passe mes nuits sur des forums de méthodes", "urgent"),
    # help already on its way to someone else: the sender's shaking is a reaction, not a crisis
    ("she's just messaged me saying she's got pills. I've called 999 for her and I'm driving over now "
     "I'm just shaking", "concern"),
    ("mon collègue m'a dit qu'il avait acheté une corde, il est chez lui là maintenant, je sais pas quoi "
     "faire, moi ça va mais lui", "concern"),
    ("I called 999 for myself, I can't breathe, chest tight, shaking all over", "urgent"),
])
def test_calm_company_housewarming_and_veiled_ends_round_695(text, level):
    assert Detector(learned=None).assess(text).level == level


@pytest.mark.parametrize("text, level", [
    # 'haven't stopped' says it goes on, as 'can't stop' does
    ("No, I haven't stopped thinking about ending it. I just stopped telling people.", "urgent"),
    ("I stopped thinking about ending it months ago", "concern"),
    # nobody grieving one's own death
    ("Au fond personne ne pleurera à part le chien. Et encore, il s'habitue vite.", "urgent"),
    ("honestly nobody would cry except the cat", "urgent"),
    ("personne n'est venu à la réunion", "none"),
    # a tombstone for a chewed stethoscope is a joke; alone, or after 'I'm done', it is not
    ("The puppy has eaten my stethoscope. Absolutely murdered it. RIP 🪦", "none"),
    ("my phone RIP 🪦", "none"),
    ("I'm done. rip 🪦", "urgent"),
    ("🪦", "urgent"),
])
def test_goes_on_nobody_grieving_and_tombstones_round_697(text, level):
    assert Detector(learned=None).assess(text).level == level


@pytest.mark.parametrize("text, level", [
    # laughing oneself to death is an idiom in the past tense too
    ("Nearly killed myself laughing at the Christmas panto, the surgeons did Mamma Mia again", "none"),
    # the voice that says it is the sender's own, not someone else's words
    ("ITS BACK. the voice that says end it. quiet since 2019. loud since the ombudsman letter. LOUD now", "urgent"),
    ("my patient hears a voice that says kill yourself, we upped his meds", "concern"),
    # chart shorthand for a patient's history ('ATCD', antécédents; SMS spelling reads 'TS' as 'tous')
    ("Patient de 52 ans, ATCD de TS par pendaison en 2019, hospitalisé pour pneumopathie", "none"),
    ("je ne vois plus aucune issue", "urgent"),
    ("on ne voit plus l'issue de ce conflit syndical", "none"),
    # wishing to be run over, hurting oneself to feel it, Antillean Creole
    ("franchement je préférerais me faire renverser par une voiture en y allant, ça réglerait tout", "urgent"),
    ("j'ai failli me faire renverser par une voiture ce matin", "none"),
    ("je viens de me faire 3 lovenox dans le ventre pour voir ce que ça fait de saigner", "urgent"),
    ("mwen pa lé viv ankò, chui fatiguée", "urgent"),
    # fear of hurting the baby one is alone with (harm_fear + care_act)
    ("alone with the baby on the unit and i'm gonna hurt her", "urgent"),
    ("I'm gonna hurt her feelings if I say no to the party", "none"),
    ("je suis seul avec le bébé en néonat j'ai peur de lui faire mal", "urgent"),
])
def test_idioms_voices_and_fears_round_701(text, level):
    assert Detector(learned=None).assess(text).level == level


def test_a_worried_sender_is_a_feature_the_learned_weights_read(tmp_path):
    from helpline.distress.detector import learned_keys
    d = Detector(learned=None)
    for text in ("My colleague gave away her dog this week and she's not picking up",
                 "mon collègue a donné son chien, il répond plus, je m'inquiète pour lui",
                 "dois-je appeler la police pour elle ?", "i'm at uni and i can't reach her",
                 "manager's sent police to her flat", "j'ai envoyé les pompiers chez elle"):
        cols = d.normalizer.split(text)
        keys = learned_keys(cols.keys, d.matcher.find_keys(cols.keys, cols.brk))
        assert keys[-1] == "ctx:worried_other" and list(keys[:len(cols.keys)]) == list(cols.keys)
    # the sender's own hands, and the sender's own locked door, are not someone else
    for text in ("mes mains elles répondent plus", "je me suis enfermée dans la salle de bain",
                 "I called 999 for myself, the ambulance is on its way"):
        cols = d.normalizer.split(text)
        assert "ctx:worried_other" not in learned_keys(cols.keys, d.matcher.find_keys(cols.keys, cols.brk))
    # weights that raise 'given away' alone, and weigh a worried sender down
    path = tmp_path / "w.tsv"
    path.write_text("@bias\t-3\n@threshold\t0.25\ngiven away\t3\nctx:worried_other\t-2\n", encoding="utf-8")
    scored = Detector(learned=path)
    own = scored.assess("I've given away the dog this week", "en")
    assert own.level == "urgent" and [s.matched for s in own.signals] == ["given away"]
    assert scored.assess("she's given away the dog this week and she isn't answering", "en").level == "none"


def test_the_shipped_weights_learned_what_a_worried_sender_weighs():
    from helpline.distress.learned import CONCERN_WEIGHTS_FILE, WEIGHTS_FILE, LearnedScorer
    assert LearnedScorer(WEIGHTS_FILE).words["ctx:worried_other"] < 0
    assert LearnedScorer(CONCERN_WEIGHTS_FILE).words["ctx:worried_other"] > 0


@pytest.mark.parametrize("text, level", [
    # the drugs a colleague used; sparing everyone; a cord tied in the wardrobe
    ("my colleague died by suicide last month and I keep thinking he had the right idea. I've got the same "
     "drugs he used", "urgent"),
    ("maybe they're right. maybe I should save everyone the trouble", "urgent"),
    ("I'll save you the trouble, the form is on the intranet", "none"),
    ("um i tied a cord um in the wardrobe um last night to see if um", "urgent"),
    ("tied the balloons to the door for her birthday", "none"),
    # holding a crying baby and afraid of shaking her (harm_fear + care_act)
    ("I'm holding a crying baby on the postnatal ward right now and I'm scared I'll shake her", "urgent"),
    # 'yes, and that I had a plan' answered to a psychologist
    ("Il m'a demandé si je pensais à la mort, j'ai dit oui tout le temps et que j'avais un plan", "urgent"),
    # idioms: hanging on someone's neck, an illness that nearly killed, houseplants mourned
    ("je vais me pendre... à ton cou quand tu rentres 😘", "none"),
    ("ce palu-là a failli me tuer hein 😂 je suis de retour au dispensaire", "none"),
    ("RIP to my houseplants, killed them all during nights 🪦🌿", "none"),
    ("my plants are fine. me on the other hand 🪦", "urgent"),
])
def test_a_colleagues_drugs_a_cord_and_idioms_round_706(text, level):
    assert Detector(learned=None).assess(text).level == level


@pytest.mark.parametrize("text, level", [
    ("🔫 to my head is all i think about", "urgent"),
    ("at night I hit my legs with a hairbrush till they're purple, every night now", "urgent"),
    ("i just want to stop um like permanently stop not like quit the job um stop everything", "urgent"),
    # means kept locked from the sender, and the key found
    ("My wife keeps the meds locked since I told her how I felt. I found the key today.", "urgent"),
    ("non j'ai pas envie qu'on me sauve", "urgent"),
    ("Mon collègue a fait une TS jeudi. Je pense à faire comme lui, mais mieux que lui.", "urgent"),
    ("mwen las, mwen vlé mò", "urgent"),
    ("le soir je me dis que j'aimerais m'endormir et que ce soit fini pour de bon", "urgent"),
    ("j'ai un message pour ma mère dans mes brouillons, il reste plus qu'à appuyer sur envoyer et à y aller",
     "urgent"),
    # drunk or sedated right before a procedure (unfit + care_act)
    ("j'ai picolé, péri à poser dans 10 min, je tremble", "urgent"),
    ("j'ai picolé hier soir au pot de départ, quelle soirée", "none"),
    ("j'ai pris deux Stilnox à 5h et j'ai un programme de 4 prothèses qui commence dans 40 minutes. "
     "Je ne tiens pas debout", "urgent"),
])
def test_gestures_refusals_and_unfit_before_a_procedure_round_711(text, level):
    assert Detector(learned=None).assess(text).level == level
