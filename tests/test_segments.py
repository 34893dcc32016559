"""Exact SMS segment counting: GSM-7 vs UCS-2, boundaries, French text."""
from __future__ import annotations

import pytest

from sms.segments import GSM7, UCS2, count_segments, is_gsm7

EMOJI = "\N{GRINNING FACE}"  # outside the BMP: a surrogate pair in UTF-16


@pytest.mark.parametrize("text, encoding, units, segments", [
    pytest.param("", GSM7, 0, 1, id="empty"),
    pytest.param("a" * 160, GSM7, 160, 1, id="gsm-160-fits-one"),
    pytest.param("a" * 161, GSM7, 161, 2, id="gsm-161-splits"),
    pytest.param("a" * 306, GSM7, 306, 2, id="gsm-153x2"),
    pytest.param("a" * 307, GSM7, 307, 3, id="gsm-153x2-plus-1"),
    pytest.param("a" * 459, GSM7, 459, 3, id="gsm-153x3"),
    pytest.param("a" * 460, GSM7, 460, 4, id="gsm-153x3-plus-1"),
    pytest.param("€" * 80, GSM7, 160, 1, id="80-euro-are-160-units"),
    pytest.param("€" * 81, GSM7, 162, 2, id="81-euro-split"),
    pytest.param("a" * 159 + "[", GSM7, 161, 2, id="extension-char-tips-over"),
    pytest.param("a" * 152 + "{" + "a" * 9, GSM7, 163, 2,
                 id="escape-pair-not-split-still-2"),
    pytest.param("a" * 152 + "|" + "a" * 152, GSM7, 306, 3,
                 id="escape-pair-pushed-to-next-part"),
    pytest.param("ê" * 70, UCS2, 70, 1, id="ucs2-70-fits-one"),
    pytest.param("ê" * 71, UCS2, 71, 2, id="ucs2-71-splits"),
    pytest.param("ê" * 134, UCS2, 134, 2, id="ucs2-67x2"),
    pytest.param("ê" * 135, UCS2, 135, 3, id="ucs2-67x2-plus-1"),
    pytest.param(EMOJI, UCS2, 2, 1, id="emoji-is-2-units"),
    pytest.param(EMOJI * 35, UCS2, 70, 1, id="35-emoji-fit-one"),
    pytest.param(EMOJI * 36, UCS2, 72, 2, id="36-emoji-split"),
    pytest.param("a" * 66 + EMOJI + "a" * 66, UCS2, 134, 3,
                 id="surrogate-pair-not-split-across-parts"),
    pytest.param("a" * 159 + "ç", UCS2, 160, 3, id="one-non-gsm-char-switches-all"),
])
def test_boundaries(text, encoding, units, segments):
    result = count_segments(text)
    assert (result.encoding, result.units, result.segments) == (encoding, units, segments)


@pytest.mark.parametrize("text, encoding, explanation", [
    pytest.param("Vous serez rappelé très vite.", GSM7, "é and è are GSM-7", id="e-acute"),
    pytest.param("Où êtes-vous ?", UCS2, "ê is not GSM-7", id="e-circumflex"),
    pytest.param("Ça va ?", GSM7, "capital Ç is GSM-7 (0x09)", id="capital-c-cedilla"),
    pytest.param("Reçu, merci.", UCS2, "lowercase ç is not GSM-7", id="lowercase-c-cedilla"),
    pytest.param("C’est noté.", UCS2, "the curly apostrophe is not GSM-7", id="curly-apostrophe"),
    pytest.param("C'est noté.", GSM7, "the straight apostrophe is", id="straight-apostrophe"),
    pytest.param("« Appelez le 3114 »", UCS2, "French quotes are not GSM-7", id="guillemets"),
    pytest.param("Un cœur", UCS2, "œ is not GSM-7", id="oe-ligature"),
    pytest.param("Tarif: 0€", GSM7, "€ is in the extension table", id="euro"),
])
def test_french_examples(text, encoding, explanation):
    assert count_segments(text).encoding == encoding, explanation
    assert is_gsm7(text) is (encoding == GSM7)


@pytest.mark.parametrize("char", list("éèùìòÇØøÅåÄÖÑÜ§¿àäöñüÉÆæßΔΦΓΛΩΠΨΣΘΞ¡£¥¤@$_\n\r"))
def test_gsm7_basic_characters(char):
    assert is_gsm7(char)
    assert count_segments(char).units == 1


@pytest.mark.parametrize("char", list("^{}\\[~]|€\f"))
def test_gsm7_extension_characters_count_double(char):
    assert is_gsm7(char)
    assert count_segments(char).units == 2


@pytest.mark.parametrize("char", list("âêîôûëïçœŒ«»’‘“”…`áíóúÁÀÈÙÂÊ\t"))
def test_not_gsm7(char):
    assert not is_gsm7(char)
    assert count_segments("abc" + char).encoding == UCS2


def test_result_explains_what_forced_ucs2():
    result = count_segments("Reçu, à bientôt, reçu")
    assert result.non_gsm_chars == ("ç", "ô")
    assert "ç" in str(result) and "UCS-2" in str(result)
    assert count_segments("Merci").non_gsm_chars == ()
