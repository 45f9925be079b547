"""Risk signals and crisis resources: when to show a plain message with where to get help.

moodtune is not a medical device and does not diagnose. It cannot tell whether someone is in
danger; it only notices two coarse signals and then makes sure help is one glance away:

- a very high self-rated Depression or Anxiety score (``SCORE_THRESHOLD`` or more on the
  survey's 0-10 scale), and
- a check-in note containing self-harm or suicide language (``RISK_PHRASES``, matched as whole
  words so "killer playlist" or "this track kills" do not trigger it).

When either fires, the caller shows ``RiskAssessment.message`` with the resources for the
listener's country *alongside* anything else (never a playlist alone). A false positive costs a
short, kind message; a false negative could cost far more, so the phrase list errs towards
matching. Nothing here is stored or sent anywhere by this module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moodtune.config import Settings, get_settings
from moodtune.errors import InputError

__all__ = [
    "CRISIS_RESOURCES",
    "ISO_COUNTRY_CODES",
    "NOT_A_MEDICAL_DEVICE",
    "RISK_PHRASES",
    "SCORE_THRESHOLD",
    "TITLE_EXCLUSIONS",
    "CrisisResource",
    "RiskAssessment",
    "assess_risk",
    "check_country_code",
    "crisis_resources",
    "help_resources",
    "screen_note",
    "screen_scores",
]

NOT_A_MEDICAL_DEVICE = (
    "moodtune is not a medical device: it does not diagnose, treat or prevent any condition, "
    "and it is no substitute for professional care."
)

SCORE_THRESHOLD = 9.0
"""Depression or Anxiety at or above this (0-10 self-rating) shows the support message.

The survey's scores are single self-rated items, not a validated clinical scale, so no clinical
cut-off exists; 9-10 is the top tenth of the scale ("close to the worst it could be"). In the
MxMH survey 23 % of respondents rate either score 9 or more (docs/privacy-and-safety.md gives the
command), which is why the message is written to be useful and unalarming for all of them.
"""

RISK_PHRASES: tuple[str, ...] = (
    "suicide",
    "suicidal",
    "kill myself",
    "killing myself",
    "end my life",
    "ending my life",
    "end it all",
    "take my own life",
    "taking my own life",
    "want to die",
    "wanna die",
    "wish i was dead",
    "wish i were dead",
    "better off dead",
    "better off without me",
    "no reason to live",
    "nothing to live for",
    "don't want to live",
    "dont want to live",
    "do not want to live",
    "don't want to be alive",
    "dont want to be alive",
    "do not want to be alive",
    "self harm",
    "self-harm",
    "selfharm",
    "hurt myself",
    "hurting myself",
    "harm myself",
    "harming myself",
    "cut myself",
    "cutting myself",
    "overdose",
    "kms",
    "unalive",
    "unalive myself",
    "want to disappear",
    "wanna disappear",
    "wish i could disappear",
    "disappear forever",
    "don't want to wake up",
    "dont want to wake up",
    "do not want to wake up",
)
"""Self-harm and suicide language, matched case-insensitively as whole words or phrases.

"kms" ("kill myself") counts only as a word of its own and not after a number ("ran 5 kms"
is distance). Deliberately absent: single words that are mostly musical slang ("killer",
"kills", "dead", "dying", "die" on its own), which would fire on "killer playlist" or "I'd die
for this chorus".
"""

TITLE_EXCLUSIONS: tuple[str, ...] = (
    "suicide squad",
    "suicidal tendencies",
    "suicide silence",
    "suicide solution",
    "suicide blonde",
    "suicide is painless",
)
"""Band, film and song names that contain a risk phrase; they are removed before screening.

Only the title itself is ignored: "suicide squad soundtrack" does not fire, "listening to
Suicidal Tendencies because I feel suicidal" still does (the second "suicidal" is screened).
"""

_PHRASE_GUARDS = {"kms": r"(?<!\d )(?<!\d)"}
"""Extra conditions in front of a phrase: "kms" after a number is kilometres."""


def _phrase_pattern(phrase: str) -> str:
    # Whole words; any run of spaces/hyphens between words; straight or curly apostrophes.
    words = re.split(r"[\s-]+", phrase)
    parts = [re.escape(w).replace("'", "['’]?") for w in words]
    return _PHRASE_GUARDS.get(phrase, "") + r"\b" + r"[\s-]*".join(parts) + r"\b"


_RISK_REGEX = re.compile(
    "|".join(f"(?P<p{i}>{_phrase_pattern(p)})" for i, p in enumerate(RISK_PHRASES)),
    re.IGNORECASE,
)
_TITLE_REGEX = re.compile("|".join(_phrase_pattern(t) for t in TITLE_EXCLUSIONS), re.IGNORECASE)


@dataclass(frozen=True)
class CrisisResource:
    """One place to get help: a name, how to reach it and when."""

    name: str
    contact: str
    note: str = ""


@dataclass(frozen=True)
class CountryResources:
    """Emergency number and support lines for one country (or the international default)."""

    label: str
    emergency: str
    lines: tuple[CrisisResource, ...]


_FIND_A_HELPLINE = CrisisResource(
    "Find A Helpline (free, confidential lines in many countries)",
    "https://findahelpline.com",
)

CRISIS_RESOURCES: dict[str, CountryResources] = {
    "international": CountryResources(
        "International",
        "your local emergency number (112 in the EU and many countries, 911 in North America)",
        (_FIND_A_HELPLINE,),
    ),
    "US": CountryResources(
        "United States",
        "911",
        (CrisisResource("988 Suicide & Crisis Lifeline", "call or text 988", "24/7"),),
    ),
    "CA": CountryResources(
        "Canada",
        "911",
        (CrisisResource("9-8-8 Suicide Crisis Helpline", "call or text 988", "24/7"),),
    ),
    "GB": CountryResources(
        "United Kingdom",
        "999 (or 112)",
        (
            CrisisResource("Samaritans", "call 116 123 (free)", "24/7"),
            CrisisResource("Shout", "text SHOUT to 85258", "24/7"),
        ),
    ),
    "IE": CountryResources(
        "Ireland",
        "112 or 999",
        (CrisisResource("Samaritans Ireland", "call 116 123 (free)", "24/7"),),
    ),
    "AU": CountryResources(
        "Australia",
        "000",
        (CrisisResource("Lifeline Australia", "call 13 11 14 or text 0477 13 11 14", "24/7"),),
    ),
    "NZ": CountryResources(
        "New Zealand",
        "111",
        (CrisisResource("Need to talk?", "call or text 1737", "24/7"),),
    ),
    "DE": CountryResources(
        "Germany",
        "112",
        (CrisisResource("TelefonSeelsorge", "call 0800 111 0 111 or 0800 111 0 222", "24/7"),),
    ),
    "FR": CountryResources(
        "France",
        "112 (or 15)",
        (CrisisResource("Numéro national de prévention du suicide", "call 3114", "24/7"),),
    ),
    "NL": CountryResources(
        "Netherlands",
        "112",
        (CrisisResource("113 Zelfmoordpreventie", "call 113 or 0800 0113", "24/7"),),
    ),
}
"""Built-in resources, by ISO 3166 alpha-2 code (``UK`` is accepted for ``GB``).

Add or override countries without code changes in ``DATA_DIR/crisis_resources.json``:
``{"SE": {"label": "Sweden", "emergency": "112",
"lines": [{"name": "Mind Självmordslinjen", "contact": "call 90101"}]}}``.
"""

_ASSIGNED_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW XK
"""
ISO_COUNTRY_CODES: frozenset[str] = frozenset(_ASSIGNED_CODES.split())
"""The 249 officially assigned ISO 3166-1 alpha-2 codes, plus XK (Kosovo, user-assigned but in
wide use). Other user-assigned codes (AA, QM-QZ, XA-XZ, ZZ) name no country and are refused."""

_ALIASES = {
    "UK": "GB",
    "INT": "international",
    "INTERNATIONAL": "international",
    "": "international",
}


def _normalise_country(country: str | None) -> str:
    code = (country or "").strip()
    upper = code.upper()
    return _ALIASES.get(upper, upper)


def check_country_code(country: str, *, field: str = "country") -> str:
    """A listener's country as stored: an upper-case ISO 3166-1 alpha-2 code or "international".

    ``UK`` is read as ``GB``; anything else that is not an assigned code is an ``InputError``.
    """
    code = _normalise_country(country)
    if code == "international" or code in ISO_COUNTRY_CODES:
        return code
    shape = (
        "is not an assigned ISO 3166-1 country code"
        if re.fullmatch(r"[A-Z]{2}", code)
        else "must be a two-letter ISO 3166-1 country code"
    )
    raise InputError(
        f"country {country!r} {shape}",
        field=field,
        value=country,
        allowed="an assigned two-letter code such as US, GB, DE, IN, BR, or 'international'",
    )


def _load_custom(path: Path) -> dict[str, CountryResources]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON: {exc.msg} at line {exc.lineno}", file=str(path)
        ) from None
    if not isinstance(raw, Mapping):
        raise InputError("expected an object keyed by country code", file=str(path))
    out: dict[str, CountryResources] = {}
    for code, entry in raw.items():
        try:
            lines = tuple(
                CrisisResource(str(x["name"]), str(x["contact"]), str(x.get("note", "")))
                for x in entry["lines"]
            )
            out[_normalise_country(code)] = CountryResources(
                str(entry.get("label", code)), str(entry["emergency"]), lines
            )
        except (KeyError, TypeError) as exc:
            raise InputError(
                f"country {code!r} needs 'emergency' and 'lines' of {{name, contact}} ({exc})",
                file=str(path),
                field=str(code),
            ) from None
    return out


def crisis_resources(
    country: str | None = None, *, settings: Settings | None = None
) -> tuple[CountryResources, bool]:
    """Resources for ``country`` (default: ``Settings.crisis_country``).

    Returns ``(resources, exact)``; ``exact`` is False when the country is unknown and the
    international resources were used instead (the international list is never empty).
    """
    settings = settings or get_settings()
    table = dict(CRISIS_RESOURCES)
    custom = settings.data_dir / "crisis_resources.json"
    if custom.is_file():
        table.update(_load_custom(custom))
    code = _normalise_country(country if country else settings.crisis_country)
    if code in table:
        return table[code], True
    return table["international"], False


def screen_note(note: str | None) -> list[str]:
    """The risk phrases found in a free-text note (lower-cased, in order of appearance)."""
    if not note:
        return []
    # Blank out known titles (same length, so nothing else moves) before looking for phrases.
    text = _TITLE_REGEX.sub(lambda m: " " * len(m.group(0)), note)
    return [m.group(0).lower() for m in _RISK_REGEX.finditer(text)]


def screen_scores(*, depression: float | None, anxiety: float | None) -> list[str]:
    """Which of the survey scores reach ``SCORE_THRESHOLD``."""
    found = []
    if depression is not None and depression >= SCORE_THRESHOLD:
        found.append(f"depression score {depression:g}/10")
    if anxiety is not None and anxiety >= SCORE_THRESHOLD:
        found.append(f"anxiety score {anxiety:g}/10")
    return found


@dataclass(frozen=True)
class RiskAssessment:
    """Whether to show the support message, why, and the message itself."""

    at_risk: bool
    reasons: tuple[str, ...] = ()
    country: str = "international"
    resources: CountryResources | None = None
    message: str = ""
    disclaimer: str = NOT_A_MEDICAL_DEVICE
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (for ``--json`` output and the web layer)."""
        resources = self.resources
        return {
            "at_risk": self.at_risk,
            "reasons": list(self.reasons),
            "country": self.country,
            "message": self.message,
            "emergency": resources.emergency if resources else None,
            "resources": [
                {"name": r.name, "contact": r.contact, "note": r.note}
                for r in (resources.lines if resources else ())
            ],
            "disclaimer": self.disclaimer,
        }


def _message(resources: CountryResources, exact: bool, requested: str) -> str:
    lines = [
        "It sounds like things may be really hard right now. You don't have to go through it "
        "alone: talking to someone can help, and these services are free and confidential.",
    ]
    for line in resources.lines:
        lines.append(f"  - {line.name}: {line.contact}" + (f" ({line.note})" if line.note else ""))
    if not exact:
        lines.append(
            f"  (No local list for {requested!r} yet: findahelpline.com lists lines by country.)"
        )
    lines.append(
        f"If you might act on thoughts of harming yourself, or are in danger now, call "
        f"{resources.emergency} or go to the nearest emergency department."
    )
    lines.append(
        "The music is here whenever you want it, alongside that support, not instead of it."
    )
    return "\n".join(lines)


def assess_risk(
    *,
    depression: float | None = None,
    anxiety: float | None = None,
    note: str | None = None,
    country: str | None = None,
    settings: Settings | None = None,
) -> RiskAssessment:
    """Check survey scores and a note; when anything signals risk, build the support message."""
    reasons = screen_scores(depression=depression, anxiety=anxiety)
    phrases = screen_note(note)
    if phrases:
        reasons.append("check-in note mentions: " + ", ".join(dict.fromkeys(phrases)))
    settings = settings or get_settings()
    requested = _normalise_country(country if country else settings.crisis_country)
    if not reasons:
        return RiskAssessment(at_risk=False, country=requested)
    resources, exact = crisis_resources(requested, settings=settings)
    return RiskAssessment(
        at_risk=True,
        reasons=tuple(reasons),
        country=requested if exact else "international",
        resources=resources,
        message=_message(resources, exact, requested),
    )


def help_resources(
    country: str | None = None, *, settings: Settings | None = None
) -> RiskAssessment:
    """The crisis resources for anyone who asks ("Need help now?"), with no screen run."""
    settings = settings or get_settings()
    requested = _normalise_country(country if country else settings.crisis_country)
    resources, exact = crisis_resources(requested, settings=settings)
    return RiskAssessment(
        at_risk=False,
        country=requested if exact else "international",
        resources=resources,
        message=_message(resources, exact, requested),
    )
