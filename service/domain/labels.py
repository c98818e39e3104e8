"""The words people read for Lägesbild's vocabularies, Swedish first, English second.

One catalogue for how a sector, an impact level, a trend, a management level, an
urgency, a need's status, an incident's severity and status, a role, the exercise
marker and a time are written: web pages (through `service.web.i18n`), exports, e-mail
and the texts of messages to other systems read them here, so a reworded label changes
everywhere at once. A foreign system's own vocabulary (the level words a WIS node
reads back) is a wire table of its adapter, not a label.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")
Lang = Literal["sv", "en"]
LANGS: tuple[Lang, ...] = ("sv", "en")

# Every view, export and message of an exercise says this (docs/design.md, "What it is for").
EXERCISE_MARK = "ÖVNING"

# key: (Swedish, English); keys are `<vocabulary>.<code>` with the codes of schemas/common.py.
LABELS: Mapping[str, tuple[str, str]] = {
    "exercise": (EXERCISE_MARK, "EXERCISE"),
    "exercise_banner": (
        f"{EXERCISE_MARK} – detta är en övning, inte en verklig händelse",
        "EXERCISE – this is an exercise, not a real incident",
    ),
    "severity.low": ("Låg", "Low"),
    "severity.medium": ("Medel", "Medium"),
    "severity.high": ("Hög", "High"),
    "severity.very_high": ("Mycket hög", "Very high"),
    "status.active": ("Pågår", "Active"),
    "status.closed": ("Avslutad", "Closed"),
    "role.reporter": ("rapportör", "reporter"),
    "role.viewer": ("läsare", "viewer"),
    "role.duty_officer": ("tjänsteperson i beredskap", "duty officer"),
    "role.admin": ("administratör", "administrator"),
    # the domain's words, as Swedish actors use them (WIS scale for impact)
    "sector.water": ("Vatten och avlopp", "Water and sewerage"),
    "sector.energy": ("El och värme", "Electricity and heating"),
    "sector.food": ("Mat och livsmedel", "Food"),
    "sector.care": ("Vård, omsorg och vardagsstöd", "Health, care and daily support"),
    "sector.communication": (
        "Information, elektronisk kommunikation och samverkan",
        "Information, electronic communication and coordination",
    ),
    "sector.transport": ("Transporter", "Transport"),
    "sector.other": ("Övrigt", "Other"),
    "sector_short.water": ("Vatten", "Water"),
    "sector_short.energy": ("El/värme", "Power/heat"),
    "sector_short.food": ("Livsmedel", "Food"),
    "sector_short.care": ("Vård/omsorg", "Care"),
    "sector_short.communication": ("Kommunikation", "Comms"),
    "sector_short.transport": ("Transport", "Transport"),
    "sector_short.other": ("Övrigt", "Other"),
    "impact.none": ("Ingen", "None"),
    "impact.moderate": ("Måttlig", "Moderate"),
    "impact.significant": ("Betydande", "Significant"),
    "impact.serious": ("Allvarlig", "Serious"),
    "impact.critical": ("Kritisk", "Critical"),
    "impact.unknown": ("Okänd", "Unknown"),
    "trend.improving": ("Förbättras", "Improving"),
    "trend.stable": ("Oförändrat", "Stable"),
    "trend.worsening": ("Försämras", "Worsening"),
    "trend.unknown": ("Okänt", "Unknown"),
    "management.normal": ("Vardag", "Normal"),
    "management.reinforced": ("Förstärkt TiB", "Reinforced duty officer"),
    "management.staff": ("Stab", "Staff"),
    "management.crisis_board": ("Krisledningsnämnd", "Crisis board"),
    "urgency.low": ("Låg", "Low"),
    "urgency.medium": ("Medel", "Medium"),
    "urgency.high": ("Hög", "High"),
    "urgency.critical": ("Akut", "Critical"),
    "need.open": ("Öppet", "Open"),
    "need.resolved": ("Löst", "Resolved"),
}


def label(key: str, lang: Lang = "sv") -> str:
    """The label of `key` (`impact.serious`, `sector.water`, `exercise`) in `lang`.

    An unknown key is a KeyError: a code without a label is a mistake, not a text.
    """
    return LABELS[key][LANGS.index(lang)]


def local_time(value: datetime | str | None) -> str:
    """`2026-11-22 14:00`, in Stockholm time: how Swedish staff write a time (`–` for none)."""
    if value is None or value == "":
        return "–"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")
