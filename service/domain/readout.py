"""The Rakel read-out: the picture as a short Swedish script to read aloud on the radio.

`county(picture, now)` speaks the consolidated picture: the worst impacts and where,
who has not reported, the open critical needs, the municipalities getting worse and the
next deadline. `organisation(picture, code, report, now)` speaks one organisation's own
latest report. An exercise says ÖVNING first and last.

A script must be read in under a minute, so it has a word budget (`MAX_WORDS`, about
fifty seconds at a calm reading pace): the exercise marks, the opening and the next
deadline are always said, the rest sentence by sentence in order of importance while
they fit; what did not fit is counted and the script says that more is in Lägesbild.
Numbers are words and times are said as on the radio ("klockan fjorton trettio"), so
that neither a person nor a speech synthesiser stumbles over "1 200" or "09:00".

Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from schemas.common import IMPACTS, SECTORS
from schemas.report import StoredReport
from service.domain.labels import EXERCISE_MARK, STOCKHOLM, label

# About fifty seconds read aloud: espeak-ng's Swedish voice says about two words a second
# with its pauses at commas and stops, a calm pace for a radio call.
MAX_WORDS = 100
# How many names a sentence lists before it says "och N till".
NAMES_SAID = 3
# How many critical needs are read, and how many words of each.
NEEDS_SAID = 2
NEED_WORDS = 8
# How many sector sentences the worst impacts take before the rest are counted.
IMPACTS_SAID = 2
# How many words of a reporter's own text are read before "med mera".
TEXT_WORDS = 12

_EXERCISE = f"{EXERCISE_MARK}, {EXERCISE_MARK}, {EXERCISE_MARK}."
_MORE = "Mer finns i Lägesbild."
# Worst first: the levels a read-out names, and what it calls them.
_SPOKEN_LEVELS = ("critical", "serious")
_URGENT = "critical"


@dataclass(frozen=True, slots=True)
class Script:
    """A read-out: the sentences in the order they are said, and what was left out."""

    sentences: tuple[str, ...]
    left_out: int

    @property
    def text(self) -> str:
        return "\n".join(self.sentences)

    @property
    def words(self) -> int:
        return sum(_word_count(sentence) for sentence in self.sentences)


# --- numbers and times as words ------------------------------------------------------------

_ONES = (
    "noll",
    "ett",
    "två",
    "tre",
    "fyra",
    "fem",
    "sex",
    "sju",
    "åtta",
    "nio",
    "tio",
    "elva",
    "tolv",
    "tretton",
    "fjorton",
    "femton",
    "sexton",
    "sjutton",
    "arton",
    "nitton",
)
_TENS = ("", "", "tjugo", "trettio", "fyrtio", "femtio", "sextio", "sjuttio", "åttio", "nittio")
_MONTHS = (
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
)


def number_words(n: int, *, common: bool = False) -> str:
    """`1200` → `ett tusen två hundra`; `common` says "en" for one (en kommun, ett behov).

    Numbers of a million or more are left as digits (a read-out does not count them).
    """
    if n < 0:
        return "minus " + number_words(-n)
    if n == 1 and common:
        return "en"
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (_ONES[ones] if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        head = f"{_ONES[hundreds]} hundra"
        return head if rest == 0 else f"{head} {number_words(rest)}"
    if n < 1_000_000:
        thousands, rest = divmod(n, 1000)
        head = f"{number_words(thousands)} tusen"
        return head if rest == 0 else f"{head} {number_words(rest)}"
    return str(n)


def clock_words(hour: int, minute: int) -> str:
    """`14:30` → `fjorton trettio`, `08:05` → `åtta noll fem`, `14:00` → `fjorton`."""
    if minute == 0:
        return number_words(hour)
    if minute < 10:
        return f"{number_words(hour)} noll {number_words(minute)}"
    return f"{number_words(hour)} {number_words(minute)}"


def when_words(moment: datetime | str, now: datetime) -> str:
    """A moment as said on the radio, in Stockholm time: `klockan fjorton`, `i morgon
    klockan åtta`, `den tjugotre november klockan åtta`."""
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    local = value.astimezone(STOCKHOLM)
    today = now.astimezone(STOCKHOLM).date()
    clock = f"klockan {clock_words(local.hour, local.minute)}"
    day = local.date()
    if day == today:
        return clock
    if day == today + timedelta(days=1):
        return f"i morgon {clock}"
    if day == today - timedelta(days=1):
        return f"i går {clock}"
    return f"den {number_words(day.day)} {_MONTHS[day.month - 1]} {clock}"


_TIME_IN_TEXT = re.compile(r"\b([01]?\d|2[0-3])[:.]([0-5]\d)\b")
# 1 200 and 12 000 (a space between groups of three, as Swedes write them) or plain digits.
_NUMBER_IN_TEXT = re.compile(r"\b\d{1,3}(?:[  ]\d{3})+\b|\b\d+\b")
# Line breaks, tabs and the rest: a read-out is one line of speech per sentence.
_SPACE = re.compile(r"\s+")


def speakable(text: str, *, max_words: int = TEXT_WORDS) -> str:
    """A reporter's own text made fit to read aloud: one line, times and numbers as
    words, cut after `max_words` words with "med mera", without a trailing stop."""
    flat = _SPACE.sub(" ", text).strip()
    flat = _TIME_IN_TEXT.sub(
        lambda m: "klockan " + clock_words(int(m.group(1)), int(m.group(2))), flat
    )
    flat = _NUMBER_IN_TEXT.sub(lambda m: number_words(int(re.sub(r"\D", "", m.group(0)))), flat)
    words = flat.split(" ")
    if len(words) > max_words:
        flat = " ".join(words[:max_words]).rstrip(",;:–-") + " med mera"
    return flat.rstrip(" .")


def _word_count(sentence: str) -> int:
    return len([word for word in sentence.split() if any(ch.isalnum() for ch in word)])


def _names(names: Sequence[str]) -> str:
    """`Ale`, `Ale och Lerum`, `Ale, Lerum och Borås`."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} och {names[-1]}"


def _places(names: Sequence[str], noun: tuple[str, str] = ("kommun", "kommuner")) -> str:
    """Up to `NAMES_SAID` names; more are counted: `tolv kommuner, bland annat A, B och C`."""
    if len(names) <= NAMES_SAID:
        return _names(names)
    return f"{number_words(len(names))} {noun[1]}, bland annat {_names(names[:NAMES_SAID])}"


def _lower(key: str) -> str:
    text = label(key)
    return text[:1].lower() + text[1:]


# --- the script ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Parts:
    """Sentences in the order they are said: the opening and closing always; each body
    item is said in the first of its wordings that fits (the longest first)."""

    opening: list[str]
    body: list[tuple[str, ...]]
    closing: list[str]


def _fit(parts: _Parts, exercise: bool, budget: int) -> Script:
    head = ([_EXERCISE] if exercise else []) + parts.opening
    tail = parts.closing + ([_EXERCISE] if exercise else [])
    used = sum(_word_count(s) for s in head + tail)
    whole = [wordings[0] for wordings in parts.body]
    if used + sum(_word_count(s) for s in whole) <= budget:
        return Script(sentences=(*head, *whole, *tail), left_out=0)
    # Not all fits: keep room for saying so, and take each item, in order, that fits.
    room = budget - used - _word_count(_MORE)
    body: list[str] = []
    for wordings in parts.body:
        fitting = [w for w in wordings if _word_count(w) <= room]
        if fitting:
            body.append(fitting[0])
            room -= _word_count(fitting[0])
    left_out = len(parts.body) - len(body)
    return Script(sentences=(*head, *body, _MORE, *tail), left_out=left_out)


def _by_worry(organisations: Mapping[str, Any], codes: Iterable[str]) -> list[str]:
    """Names, those getting worse first, then in alphabetical order."""
    chosen = [organisations[code] for code in codes if code in organisations]
    chosen.sort(key=lambda org: (org.get("trend") != "worsening", str(org.get("name", ""))))
    return [str(org.get("name") or "") for org in chosen]


def _impact_sentences(organisations: Mapping[str, Any]) -> list[str]:
    sentences = []
    named: list[str] = []  # the sector of each sentence
    for level in _SPOKEN_LEVELS:
        for sector in SECTORS:
            hit = [
                c for c, org in organisations.items() if org.get("sectors", {}).get(sector) == level
            ]
            if hit:
                where = _places(_by_worry(organisations, hit))
                sector_said = _lower(f"sector.{sector}")
                sentences.append(f"{label(f'impact.{level}')} påverkan på {sector_said} i {where}.")
                named.append(sector)
    if len(sentences) > IMPACTS_SAID:
        more = len(set(named[IMPACTS_SAID:]) - set(named[:IMPACTS_SAID]))
        if more == 0:
            return sentences[:IMPACTS_SAID]
        return [
            *sentences[:IMPACTS_SAID],
            f"Allvarlig eller kritisk påverkan också inom {number_words(more)} "
            f"{'område' if more == 1 else 'områden'} till.",
        ]
    if sentences:
        return sentences
    # Nothing serious: say the worst there is, or that nothing is known.
    known = [
        (IMPACTS.index(level), sector, code)
        for code, org in organisations.items()
        for sector, level in org.get("sectors", {}).items()
        if level in IMPACTS and level != "unknown"
    ]
    if not known:
        return ["Ingen påverkan är rapporterad ännu."]
    worst = max(rank for rank, _, _ in known)
    level = IMPACTS[worst]
    if level == "none":
        return ["Ingen kommun rapporterar påverkan."]
    for sector in SECTORS:
        hit = [code for rank, s, code in known if rank == worst and s == sector]
        if hit:
            where = _places(_by_worry(organisations, hit))
            sentences.append(
                f"Som värst {_lower(f'impact.{level}')} påverkan på "
                f"{_lower(f'sector.{sector}')} i {where}."
            )
    return sentences


def county(picture: Mapping[str, Any], now: datetime, *, budget: int = MAX_WORDS) -> Script:
    """The consolidated picture read aloud."""
    incident = picture.get("incident", {})
    organisations: Mapping[str, Any] = picture.get("organisations", {})
    reporting = picture.get("reporting", {})
    title = speakable(str(incident.get("title", "")), max_words=12)
    opening = [f"Samlad lägesbild för {title}, {when_words(now, now)}."]
    expected = int(reporting.get("expected", len(organisations)))
    received = int(reporting.get("received", 0))
    if expected:
        opening.append(
            f"{number_words(received, common=True).capitalize()} av "
            f"{number_words(expected, common=True)} har rapporterat."
        )
    body: list[tuple[str, ...]] = [(sentence,) for sentence in _impact_sentences(organisations)]
    overdue = [str(code) for code in reporting.get("overdue", [])]
    if overdue:
        names = sorted(str(organisations.get(c, {}).get("name") or c) for c in overdue)
        body.append((f"Har inte rapporterat i tid: {_places(names)}.",))
    needs = sorted(
        (need for need in picture.get("needs", {}).values() if need.get("urgency") == _URGENT),
        key=lambda need: str(need.get("since", "")),
    )
    if needs:
        said = [
            f"{organisations.get(n['organisation'], {}).get('name') or n['organisation']!s}: "
            f"{speakable(str(n.get('text', '')), max_words=NEED_WORDS)}"
            for n in needs[:NEEDS_SAID]
        ]
        extra = len(needs) - len(said)
        tail = f", och {number_words(extra, common=False)} till" if extra else ""
        places = {
            str(organisations.get(n["organisation"], {}).get("name") or n["organisation"])
            for n in needs
        }
        count = (
            "Ett akut behov"
            if len(needs) == 1
            else f"{number_words(len(needs)).capitalize()} akuta behov"
        )
        short = f"{count} i {_places(sorted(places))}."
        body.append((f"Akuta behov: {'; '.join(said)}{tail}.", short))
    worse = [code for code, org in organisations.items() if org.get("trend") == "worsening"]
    if worse:
        body.append((f"Läget försämras i {_places(_by_worry(organisations, worse))}.",))
    closing = []
    if incident.get("status") == "closed":
        closing.append("Händelsen är avslutad.")
    elif reporting.get("due_at"):
        closing.append(f"Nästa rapporteringstid {when_words(reporting['due_at'], now)}.")
    return _fit(_Parts(opening, body, closing), bool(incident.get("exercise")), budget)


def organisation(
    picture: Mapping[str, Any],
    code: str,
    report: StoredReport | None,
    now: datetime,
    *,
    budget: int = MAX_WORDS,
) -> Script:
    """One organisation's own latest report read aloud (`report` None: none yet)."""
    incident = picture.get("incident", {})
    exercise = bool(incident.get("exercise"))
    entry = picture.get("organisations", {}).get(code, {})
    name = str(entry.get("name") or code)
    if report is None:
        parts = _Parts([f"{name} har ännu inte lämnat någon lägesrapport."], [], [])
        return _fit(parts, exercise, budget)
    opening = [
        f"Lägesrapport från {name}, version {number_words(report.version)}, "
        f"läget {when_words(report.as_of, now)}."
    ]
    ranked = sorted(
        (s for s in report.sectors if s.status not in ("none", "unknown")),
        key=lambda s: -IMPACTS.index(s.status),
    )
    body: list[tuple[str, ...]] = []
    if ranked:
        body.append((f"Övergripande påverkan: {_lower(f'impact.{ranked[0].status}')}.",))
    else:
        body.append(("Ingen påverkan rapporterad.",))
    for sector in ranked:
        said = speakable(sector.text)
        detail = f", {said}" if said else ""
        body.append(
            (f"{label(f'sector.{sector.sector}')}: {_lower(f'impact.{sector.status}')}{detail}.",)
        )
    development = report.development
    if development.trend != "unknown" or development.text:
        trend = _lower(f"trend.{development.trend}")
        said = speakable(development.text)
        body.append((f"Utveckling: {trend}" + (f", {said}." if said else "."),))
    if report.situation:
        body.append((f"Läget: {speakable(report.situation, max_words=2 * TEXT_WORDS)}.",))
    for need in [n for n in report.needs if n.status == "open"]:
        urgency = _lower(f"urgency.{need.urgency}")
        body.append((f"Behov, {urgency}: {speakable(need.text)}.",))
    if report.management is not None:
        body.append((f"Ledning: {_lower(f'management.{report.management.level}')}.",))
    closing = []
    if report.next_report_at is not None:
        closing.append(f"Nästa rapport {when_words(report.next_report_at, now)}.")
    return _fit(_Parts(opening, body, closing), exercise, budget)
