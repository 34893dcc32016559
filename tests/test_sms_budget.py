"""Every SMS reply, in every locale, with the longest realistic values, costs at most 3 segments."""
from __future__ import annotations

import dataclasses

import pytest

from helpline.config import Institution, Resource
from helpline.i18n import SUPPORTED, translate
from sms import replies
from sms.segments import count_segments, is_gsm7

# Every reply template of the SMS line: the upper-case string constants of sms.replies.
TEMPLATES = {name: value for name, value in vars(replies).items()
             if name.isupper() and isinstance(value, str) and name not in ("KEY_MESSAGE",)}
LONG_NAME = "Centre Hospitalier Universitaire de Pointe-à-Pitre/Abymes – Hôpital Ricou et Centre Gérontologique"
LONG_HOURS = "du lundi au vendredi de 8 h 30 à 18 h 30, le samedi de 9 h à 12 h 30"
LONG_RESOURCES = tuple(
    Resource(kind="other", name=f"Cellule d'accompagnement psychologique des soignants n°{i} (hôpital)",
             phone=f"+3314444444{i}", hours=LONG_HOURS)
    for i in range(8))
LONGEST = Institution(name=LONG_NAME, resources=LONG_RESOURCES, callback_within_hours=168)
WIDEST = {"minutes": 1440, "hours": 168, "page": 99, "pages": 99, "name": "x" * replies.MAX_NAME,
          "phone": "01 44 44 44 44"}


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def fill(locale: str, template: str) -> str:
    params = dict(WIDEST)
    if template == replies.RESOURCE_LINE:  # here {hours} is a resource's opening hours, clipped to MAX_HOURS
        params["hours"] = "x" * replies.MAX_HOURS
    return replies.text(locale, LONGEST, template, **params)


def test_the_table_is_not_empty():
    assert len(TEMPLATES) >= 20


@pytest.mark.parametrize("locale", SUPPORTED)
@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_fits_three_segments(ctx, name, locale):
    text = fill(locale, TEMPLATES[name])
    cost = count_segments(text)
    assert cost.segments <= replies.MAX_SEGMENTS, f"{name} [{locale}]: {cost}\n{text}"


@pytest.mark.parametrize("locale", SUPPORTED)
@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_is_gsm7_even_with_institution_data(ctx, name, locale):
    """Our wording and the GSM-friendly institution name keep every reply at 153 characters a part."""
    text = fill(locale, TEMPLATES[name])
    assert is_gsm7(text), f"{name} [{locale}]: {count_segments(text)}"


@pytest.mark.parametrize("locale", SUPPORTED)
@pytest.mark.parametrize("media", [False, True], ids=["text", "media-only"])
def test_help_fits(ctx, locale, media):
    text = replies.help_text(locale, LONGEST, media=media)
    assert count_segments(text).segments <= replies.MAX_SEGMENTS
    assert replies.SPS.display in text and replies.CNOM.display in text


@pytest.mark.parametrize("locale", SUPPORTED)
def test_eight_long_resources_are_paginated_within_budget(ctx, locale):
    pages = replies.resource_pages(locale, LONGEST)
    assert len(pages) >= 2, "eight long resources do not fit one reply"
    texts = [replies.resources_text(locale, LONGEST, page) for page in range(1, len(pages) + 1)]
    for number, text in enumerate(texts, start=1):
        cost = count_segments(text)
        assert cost.segments <= replies.MAX_SEGMENTS, f"page {number}: {cost}\n{text}"
        assert is_gsm7(text), text
        assert f"({number}/{len(pages)})" in text
    keyword = "RESSOURCES" if locale == "fr" else "RESOURCES"
    assert all(f"{keyword} {n + 1}" in t for n, t in enumerate(texts[:-1], start=1))
    assert keyword not in texts[-1], "the last page offers no next page"
    every_line = "\n".join(texts)
    for index in range(8):
        assert f"01 44 44 44 4{index}" in every_line, f"resource {index} is on no page"


@pytest.mark.parametrize("locale", SUPPORTED)
def test_thirty_resources_still_fit(ctx, locale):
    many = dataclasses.replace(LONGEST, resources=LONG_RESOURCES * 4)
    pages = replies.resource_pages(locale, many)
    assert sum(len(p) for p in pages) == 32
    for page in range(1, len(pages) + 1):
        assert count_segments(replies.resources_text(locale, many, page)).segments <= replies.MAX_SEGMENTS


@pytest.mark.parametrize("locale", SUPPORTED)
def test_a_page_out_of_range_gives_the_first(ctx, locale):
    assert replies.resources_text(locale, LONGEST, 42) == replies.resources_text(locale, LONGEST, 1)


@pytest.mark.parametrize("locale", SUPPORTED)
def test_no_resources(ctx, locale):
    text = replies.resources_text(locale, Institution(name=LONG_NAME))
    assert replies.SPS.display in text and count_segments(text).segments <= replies.MAX_SEGMENTS


def test_gsm_friendly_institution_data():
    assert replies.gsm_friendly("Hôpital « Nord » – l’accueil", 60) == 'Hopital " Nord " - l\'accueil'
    clipped = replies.gsm_friendly(LONG_NAME, replies.MAX_NAME)
    assert len(clipped) == replies.MAX_NAME and clipped.endswith("...") and is_gsm7(clipped)


@pytest.mark.parametrize("locale", SUPPORTED)
def test_french_and_english_differ(ctx, locale):
    """The French catalog is really French (a missing translation would fall back to English)."""
    fr, en = fill("fr", replies.URGENT), fill("en", replies.URGENT)
    assert fr != en and "3114" in fr and "3114" in en
    assert translate(locale, replies.KEY_MESSAGE) in fill(locale, replies.HELP)
