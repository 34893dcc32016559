"""SMS reply texts (English msgids, translated at the edge) and the builders that fill them.

Every reply stays within MAX_SEGMENTS (tests fill each template with the longest realistic values).
The catalog wording avoids characters outside GSM-7 (no curly quotes, no guillemets, no a/e/i/o/u with a
circumflex, no lowercase c-cedilla), so a French reply costs 153 characters a part rather than 67. Data
from the institution file goes through `gsm_friendly` and is clipped, for the same reason.
"""
from __future__ import annotations

import functools

from helpline.config import Institution, Resource
from helpline.i18n import N_, Catalogs, get_catalogs, translate
from helpline.lines import CNOM, KEY_MESSAGE, SPS
from helpline.numbers import french_display

from .segments import count_segments

MAX_SEGMENTS = 3
MAX_NAME, MAX_HOURS = 60, 60

HELP = N_("{key_message}\nSPS, psychologists 24/7, free: {sps}\nPhysicians and interns (CNOM), 24/7: {cnom}\n"
          "Text SPS, CNOM, RESOURCES, LEGAL, CALLBACK or FRANCAIS.")
MEDIA_ONLY = N_("We cannot open pictures or files here.")
SPS_INFO = N_("SPS helpline: {sps}. Free and anonymous: psychologists answer 24 hours a day, 7 days a week, "
              "for anyone who works or studies in health care.")
CNOM_INFO = N_("Listening and support line of the Ordre des médecins: {cnom}. Free and anonymous, 24 hours a "
               "day, 7 days a week, for physicians and interns. Other professions: SPS, {sps}.")
RESOURCES_HEAD = N_("Support offered by {institution}:")
RESOURCES_HEAD_PAGED = N_("Support offered by {institution} ({page}/{pages}):")
RESOURCE_LINE = N_("{name}: {phone} ({hours})")
RESOURCE_LINE_NO_HOURS = N_("{name}: {phone}")
RESOURCES_MORE = N_("More: text RESOURCES {page}")
RESOURCES_NONE = N_("{institution} has not listed its support services here yet. The SPS helpline answers "
                    "24/7: {sps}.")
LEGAL = N_("If legal or disciplinary consequences worry you, your professional liability insurance and your "
           "legal protection cover can advise and support you. Your employer also owes you protection (ask "
           "human resources). SPS 24/7: {sps}.")
CALLBACK_ASK = N_("For someone from the support team of {institution} to call you back at this number, reply "
                  "YES within {minutes} minutes. Your number will be used only for this call.")
CALLBACK_DONE = N_("Thank you. Someone from the support team will call you back within {hours} hours. If you no "
                   "longer want this call, reply NO. SPS 24/7: {sps}.")
CALLBACK_NOT_STORED = N_("Your request could not be recorded just now. Please text CALLBACK again a little later. "
                         "The SPS helpline answers 24/7: {sps}.")
CONSENT_NONE = N_("No callback request is waiting for an answer. To ask for one, text CALLBACK.")
DECLINED = N_("Understood, we will not call you. The SPS helpline answers 24/7: {sps}.")
DECLINED_URGENT = N_("Understood, we will not call you. The SPS helpline answers 24/7: {sps}. In immediate "
                     "danger: 3114, 15 or 112.")
NOTHING_TO_DECLINE = N_("No call is planned for this number. Text INFO for the helplines.")
URGENT = N_("Thank you for writing to us. You do not have to face this alone: someone from the support team "
            "will call you at this number as soon as possible. If you do not want this call, reply NO.\n"
            "SPS, psychologists 24/7: {sps}\nIn immediate danger: 3114, 15 or 112.")
URGENT_NO_NUMBER = N_("Thank you for writing to us. You do not have to face this alone.\nSPS, psychologists "
                      "24/7: {sps}\nIn immediate danger: 3114, 15 or 112.")
# Free text the detector did not rate urgent still carries the emergency numbers: it misses some
# urgent messages (see the README's blind figures), and a reply is the last chance to give them.
CONCERN = N_("{key_message}\nSPS, psychologists 24/7, free: {sps}\nIn immediate danger: 3114, 15 or 112.\n"
             "For someone from the support team of {institution} to call you back, text CALLBACK.")
FREE = N_("{key_message}\nSPS, psychologists 24/7, free: {sps}\nIn immediate danger: 3114, 15 or 112.\n"
          "Text CALLBACK to be called back, HELP for the other helplines.")
OPTOUT_DONE = N_("You will receive no more messages from this number. To receive them again, text START.")
SAFETY_NET = N_("{key_message}\nSPS, psychologists 24/7, free: {sps}\nIn immediate danger: 3114, 15 or 112.")
RATE_LIMITED = N_("You have sent many messages in a short time: we will answer again in a minute. SPS 24/7: "
                  "{sps}. In immediate danger: 3114, 15 or 112.")

# Characters outside GSM-7 that institution data often holds, and a close GSM-7 spelling.
_GSM_FRIENDLY = str.maketrans({
    "â": "a", "ê": "e", "î": "i", "ô": "o", "û": "u", "ë": "e", "ï": "i", "ÿ": "y", "ç": "c",
    "Â": "A", "Ê": "E", "Î": "I", "Ô": "O", "Û": "U", "Ë": "E", "Ï": "I", "È": "E", "À": "A", "Ù": "U",
    "œ": "oe", "Œ": "OE", "’": "'", "‘": "'", "«": '"', "»": '"', "“": '"', "”": '"',
    "–": "-", "—": "-", "…": "...", "°": "o", "·": ".", "\u00a0": " ", "\u202f": " ", "\t": " ",
})


def gsm_friendly(text: str, limit: int) -> str:
    """Institution data in GSM-7 where a close spelling exists, on one line, at most `limit` characters."""
    text = " ".join(str(text).translate(_GSM_FRIENDLY).split())
    return text if len(text) <= limit else text[:limit - 3].rstrip() + "..."


def institution_name(institution: Institution) -> str:
    return gsm_friendly(institution.name, MAX_NAME)


def common(locale: str, institution: Institution) -> dict:
    """The values most templates use (a fresh dict each time: callers add to it)."""
    return dict(_common(get_catalogs(), locale, institution))


@functools.lru_cache(maxsize=64)
def _common(catalogs: Catalogs, locale: str, institution: Institution) -> tuple:
    """Worked out once per app's catalogs, locale and institution: the same for every message."""
    return tuple({"sps": SPS.display, "cnom": CNOM.display, "institution": institution_name(institution),
            "key_message": catalogs.gettext(locale, KEY_MESSAGE)}.items())


def text(locale: str, institution: Institution, message: str, **params) -> str:
    """One template, filled with the common values and `params`."""
    return translate(locale, message, **{**common(locale, institution), **params})


def help_text(locale: str, institution: Institution, *, media: bool = False, template: str = HELP) -> str:
    body = text(locale, institution, template)
    return f"{translate(locale, MEDIA_ONLY)}\n{body}" if media else body


def resource_line(locale: str, resource: Resource) -> str:
    params = {"name": gsm_friendly(resource.name, MAX_NAME), "phone": french_display(resource.phone)}
    if resource.hours:
        return translate(locale, RESOURCE_LINE, hours=gsm_friendly(resource.hours, MAX_HOURS), **params)
    return translate(locale, RESOURCE_LINE_NO_HOURS, **params)


def resource_pages(locale: str, institution: Institution) -> list[list[str]]:
    """Resource lines split into pages that fit MAX_SEGMENTS even with the widest header and footer."""
    widest = {"institution": institution_name(institution), "page": 99, "pages": 99}
    frame = [translate(locale, RESOURCES_HEAD_PAGED, **widest), translate(locale, RESOURCES_MORE, page=99)]
    pages: list[list[str]] = [[]]
    for line in (resource_line(locale, r) for r in institution.resources):
        candidate = "\n".join([frame[0], *pages[-1], line, frame[1]])
        if pages[-1] and count_segments(candidate).segments > MAX_SEGMENTS:
            pages.append([])
        pages[-1].append(line)
    return pages


def resources_text(locale: str, institution: Institution, page: int = 1) -> str:
    """One page of the institution's resources; 'RESSOURCES 2' asks for the next one."""
    if not institution.resources:
        return text(locale, institution, RESOURCES_NONE)
    pages = resource_pages(locale, institution)
    page = page if 1 <= page <= len(pages) else 1
    name = institution_name(institution)
    head = (translate(locale, RESOURCES_HEAD_PAGED, institution=name, page=page, pages=len(pages))
            if len(pages) > 1 else translate(locale, RESOURCES_HEAD, institution=name))
    lines = [head, *pages[page - 1]]
    if page < len(pages):
        lines.append(translate(locale, RESOURCES_MORE, page=page + 1))
    return "\n".join(lines)

