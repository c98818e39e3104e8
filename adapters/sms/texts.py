"""What an SMS says and how long it may be: phone numbers, the reply's wording, and the
split of a long reply into the parts a phone receives. Pure: no I/O.

A part is 160 characters of the GSM 7-bit alphabet (Swedish å, ä, ö and é are in it;
`€ [ ] { } \\ ~ ^ |` take two), or 70 characters of anything else (UCS-2). A reply
longer than one part goes as numbered parts (`1/3 …`) of 153 or 67 characters, at
word boundaries; one longer than `max_parts` parts is shortened and ends `(förkortat)`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from service.domain.labels import EXERCISE_MARK
from service.domain.plaintext import ParseErrors

_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = frozenset("^{}\\[~]|€\f")
SHORTENED = " (förkortat)"


def text_digest(text: str) -> bytes:
    """What makes two messages the same text: their SHA-256 after trimming whitespace
    at the ends and of each line (phones and gateways add and drop it)."""
    lines = [line.strip() for line in text.strip().replace("\r\n", "\n").split("\n")]
    return hashlib.sha256("\n".join(lines).encode()).digest()


def _cost(char: str) -> int:
    return 2 if char in _GSM_EXTENDED else 1


def is_gsm(text: str) -> bool:
    return all(c in _GSM_BASIC or c in _GSM_EXTENDED for c in text)


def length(text: str) -> int:
    """Septets in the GSM alphabet, or characters for UCS-2."""
    return sum(_cost(c) for c in text) if is_gsm(text) else len(text)


@dataclass(frozen=True, slots=True)
class Parts:
    parts: tuple[str, ...]
    shortened: bool


def split(text: str, *, max_parts: int) -> Parts:
    """The parts `text` goes as (see the module's docstring)."""
    gsm = is_gsm(text + SHORTENED)
    single, part = (160, 153) if gsm else (70, 67)
    if length(text) <= single:
        return Parts((text,), shortened=False)
    for count in range(2, max_parts + 1):
        chunks = _chunks(text, part - len(f"{count}/{count} "))
        if len(chunks) <= count:
            return Parts(_numbered(chunks), shortened=False)
    budget = part - len(f"{max_parts}/{max_parts} ")
    chunks = _chunks(text, budget)[:max_parts]
    last = chunks[-1]
    while length(last + SHORTENED) > budget:
        last = last[:-1]
    chunks[-1] = last.rstrip() + SHORTENED
    return Parts(_numbered(chunks), shortened=True)


def _numbered(chunks: list[str]) -> tuple[str, ...]:
    return tuple(f"{n}/{len(chunks)} {chunk}" for n, chunk in enumerate(chunks, start=1))


def _chunks(text: str, budget: int) -> list[str]:
    """Greedy at spaces; a word longer than the budget is cut."""
    chunks: list[str] = []
    current = ""
    for word in re.split(r"(?<=\s)", text):
        if length(current + word) <= budget:
            current += word
            continue
        if current.strip():
            chunks.append(current.rstrip())
        current = word.lstrip(" ")
        while length(current) > budget:
            cut = budget
            while length(current[:cut]) > budget:
                cut -= 1
            chunks.append(current[:cut])
            current = current[cut:]
    if current.strip():
        chunks.append(current.rstrip())
    return chunks or [""]


# --- the reply -----------------------------------------------------------------------------

PREFIX = "Lägesbild"


def stored(*, code: str, organisation: str, version: int, at: str, exercise: bool) -> str:
    """A new report was stored: which incident, whose, its version and time."""
    return (
        f"{_prefix(exercise)}: rapport mottagen från {organisation} för {code}, "
        f"version {version}, {at}."
    )


def repeat(*, code: str, version: int, exercise: bool) -> str:
    return f"{_prefix(exercise)}: redan mottagen för {code}, version {version}. Inget nytt sparat."


def unreadable(errors: ParseErrors, *, exercise: bool) -> str:
    lines = " ".join(error.text("sv") + "." for error in errors.errors)
    return f"{_prefix(exercise)}: rapporten kunde inte läsas, inget sparat. {lines}"


def no_incident(organisation: str) -> str:
    return (
        f"{PREFIX}: {organisation} deltar inte i någon pågående händelse med den koden. "
        "Inget sparat."
    )


def which_incident(organisation: str, codes: list[str]) -> str:
    return (
        f"{PREFIX}: {organisation} deltar i flera händelser ({', '.join(codes)}). "
        "Skriv första raden Händelse: KOD. Inget sparat."
    )


REFUSALS = {
    "incident-closed": "händelsen är avslutad",
    "not-participant": "organisationen deltar inte längre i händelsen",
    "report-conflict": "ett annat meddelande med samma id finns redan",
}


def refused(slug: str, *, exercise: bool) -> str:
    why = REFUSALS.get(slug, "rapporten togs inte emot")
    return f"{_prefix(exercise)}: {why}. Inget sparat."


def _prefix(exercise: bool) -> str:
    return f"{PREFIX} {EXERCISE_MARK}" if exercise else PREFIX
