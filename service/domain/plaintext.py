"""The plain-text report: one line per field, Swedish keywords, read back tolerantly.

`render(content)` writes a report as text; `parse(text)` reads it back as a
`ParsedReport` or as `ParseErrors`, one per line it cannot read, worded in Swedish
first and English second. Every channel that takes reports as text (e-mail, SMS,
invitation links) uses this one parser and then `service.domain.text_reports`.

The form (docs/design.md, "The plain-text report"):

    Händelse: K7Q-4M2 – Storm i Sjuhärad
    Läge: Stormen har fällt träd över elledningar.
    Utveckling: försämras – Vinden ökar igen i kväll.
    El och värme: allvarlig – 1 200 hushåll utan ström
    Vidtagen åtgärd: Krisledningsstab aktiverad 09:00
    Planerad åtgärd: Värmestuga öppnar i sporthallen 18:00
    Behov gen-1: hög – Två reservelverk
    Ledning: stab – Staben möts var fjärde timme
    Information till allmänheten: Webben och lokalradion varje timme.
    Kontakt: ISK Vårgårda
    Telefon: +46 322 600 000
    E-post: isk@example.se
    Nästa rapport: 2026-11-22 18:00

A line that starts with a space or a tab continues the text of the line above (up
to two spaces, or one tab, of indentation are removed; the rest is kept as
written). Lines starting with `#` are comments; a line `--` (an e-mail signature)
ends the report. `Oförändrat` alone means "as in my previous report".

Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import ValidationError

from schemas.common import IMPACTS, SECTORS, TRENDS
from schemas.report import ReportContent
from service.domain.labels import LABELS, STOCKHOLM, Lang, label, local_time

# --- the incident's short code -------------------------------------------------------

# Crockford's base32: digits and letters without I, L, O and U, so a code read out on
# the radio or typed on a phone is not mistaken (O is read as 0, I and L as 1).
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CODE_READS_AS = {"O": "0", "I": "1", "L": "1"}
CODE_LENGTH = 6


def incident_code(incident_id: uuid.UUID) -> str:
    """`K7Q-4M2`: the first 30 bits of the incident id, in two groups of three."""
    bits = incident_id.int >> (128 - 5 * CODE_LENGTH)
    chars = [_CODE_ALPHABET[(bits >> (5 * (CODE_LENGTH - 1 - i))) & 31] for i in range(6)]
    return "".join(chars[:3]) + "-" + "".join(chars[3:])


def normalise_code(written: str) -> str | None:
    """A code as someone wrote it (`k7q4m2`, `K7Q 4M2`, `k7q-4m2`) in its shown form."""
    chars = [_CODE_READS_AS.get(c, c) for c in re.sub(r"[\s\-–.]", "", written.upper())]
    if len(chars) != CODE_LENGTH or any(c not in _CODE_ALPHABET for c in chars):
        return None
    return "".join(chars[:3]) + "-" + "".join(chars[3:])


# --- results -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineError:
    """A line that cannot be read: its number (1 is the first line) and why."""

    line: int
    sv: str
    en: str

    def text(self, lang: Lang = "sv") -> str:
        return f"Rad {self.line}: {self.sv}" if lang == "sv" else f"Line {self.line}: {self.en}"


@dataclass(frozen=True, slots=True)
class ParseErrors:
    errors: tuple[LineError, ...]

    def text(self, lang: Lang = "sv") -> str:
        return "\n".join(error.text(lang) for error in self.errors)


@dataclass(frozen=True, slots=True)
class ParsedReport:
    """A report read from text: its content, or `unchanged`; the incident code if named."""

    content: ReportContent
    unchanged: bool = False
    incident_code: str | None = None
    incident_line: int | None = None


# --- the vocabulary: keywords of the text form, level words from the catalogue ------------

LineKind = Literal[
    "incident",
    "situation",
    "development",
    "sector",
    "measure_taken",
    "measure_planned",
    "need",
    "management",
    "public_information",
    "contact_name",
    "contact_phone",
    "contact_email",
    "next_report_at",
    "unchanged",
]

# The keywords the text form writes (first: Swedish, second: English), then other
# spellings it reads. The level, trend and sector words are the catalogue's (labels.py).
KEYWORDS: Mapping[str, tuple[str, ...]] = {
    "incident": ("Händelse", "Incident"),
    "situation": ("Läge", "Situation", "Aktuellt läge", "Lägesbild", "Current situation"),
    "development": (
        "Utveckling",
        "Development",
        "Förväntad utveckling",
        "Händelseutveckling",
        "Expected development",
        "Trend",
    ),
    "measure_taken": (
        "Vidtagen åtgärd",
        "Measure taken",
        "Vidtagna åtgärder",
        "Åtgärd vidtagen",
        "Measures taken",
        "Action taken",
    ),
    "measure_planned": (
        "Planerad åtgärd",
        "Measure planned",
        "Planerade åtgärder",
        "Åtgärd planerad",
        "Measures planned",
        "Planned measure",
        "Planned action",
    ),
    "need": ("Behov", "Need", "Behov av stöd"),
    "management": ("Ledning", "Management", "Krisledning", "Ledningsnivå", "Management level"),
    "public_information": (
        "Information till allmänheten",
        "Public information",
        "Info till allmänheten",
        "Allmänheten",
    ),
    "contact_name": ("Kontakt", "Contact", "Kontaktperson", "Contact person"),
    "contact_phone": ("Telefon", "Phone", "Tel", "Telephone", "Mobil"),
    "contact_email": ("E-post", "E-mail", "Epost", "Mejl", "Mail", "Email"),
    "next_report_at": ("Nästa rapport", "Next report", "Nästa lägesrapport"),
    "unchanged": (label("trend.stable"), "Unchanged", "Oförändrad", "Inget nytt", "No change"),
}


def _fold(text: str) -> str:
    """How words are compared: case, accents, punctuation and spacing do not count."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w ]|_", lambda m: " " if m.group() == "_" else "", bare).split())


def _osa_distance(a: str, b: str) -> int:
    """Edits (insert, delete, replace, swap two neighbours) from `a` to `b`."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def _allowed_edits(word: str) -> int:
    """Misspellings forgiven: none in short words, one from 4 letters, two from 9."""
    return 0 if len(word) < 4 else 1 if len(word) < 9 else 2


class Ambiguous(Exception):
    def __init__(self, vocabulary: Vocabulary, candidates: Sequence[str]) -> None:
        super().__init__(", ".join(candidates))
        self.vocabulary = vocabulary
        self.candidates = candidates

    def words(self, lang: Lang) -> str:
        return " / ".join(self.vocabulary.shown(code, lang) for code in self.candidates)


class Vocabulary:
    """Spellings of codes; `match` forgives a few misspellings but never guesses between two."""

    def __init__(self, spellings: Iterable[tuple[str, str]]) -> None:
        self.by_fold: dict[str, str] = {}
        self.names: dict[str, list[str]] = {}  # code → its spellings, Swedish then English
        for code, spelling in spellings:
            folded = _fold(spelling)
            if self.by_fold.setdefault(folded, code) != code:
                raise ValueError(f"{spelling!r} would mean both {self.by_fold[folded]} and {code}")
            self.names.setdefault(code, []).append(spelling)

    def shown(self, code: str, lang: Lang) -> str:
        """How a message names a code: its first spelling in Swedish, its second in English."""
        names = self.names[code]
        return names[0] if lang == "sv" or len(names) == 1 else names[1]

    def match(self, written: str) -> str | None:
        folded = _fold(written)
        if not folded:
            return None
        if folded in self.by_fold:
            return self.by_fold[folded]
        allowed = _allowed_edits(folded)
        if allowed == 0:
            return None
        best: dict[str, int] = {}
        for candidate, code in self.by_fold.items():
            if abs(len(candidate) - len(folded)) > allowed:
                continue  # more edits away than forgiven
            distance = _osa_distance(folded, candidate)
            if distance <= allowed and distance <= best.get(code, distance):
                best[code] = distance
        if not best:
            return None
        nearest = min(best.values())
        codes = sorted(code for code, distance in best.items() if distance == nearest)
        if len(codes) > 1:
            raise Ambiguous(self, codes)
        return codes[0]


def _catalogue(
    kind: str, codes: Iterable[str], *, prefix: str | None = None
) -> list[tuple[str, str]]:
    """A vocabulary's spellings: the catalogue's words in both languages, and the codes."""
    pairs: list[tuple[str, str]] = []
    for code in codes:
        key = f"{kind}.{code}"
        named = code if prefix is None else f"{prefix}.{code}"
        pairs += [(named, LABELS[key][0]), (named, LABELS[key][1]), (named, code)]
    return pairs


_URGENCIES = ("low", "medium", "high", "critical")
_NEED_STATUSES = ("open", "resolved")
_MANAGEMENT_LEVELS = ("normal", "reinforced", "staff", "crisis_board")

# Keywords and sector names in one vocabulary: no spelling may mean two lines.
_KEYWORDS = Vocabulary(
    [(kind, spelling) for kind, spellings in KEYWORDS.items() for spelling in spellings]
    + _catalogue("sector", SECTORS, prefix="sector")
    + _catalogue("sector_short", SECTORS, prefix="sector")
)
_IMPACTS = Vocabulary(_catalogue("impact", IMPACTS))
_TRENDS = Vocabulary(_catalogue("trend", TRENDS))
_MANAGEMENT = Vocabulary(_catalogue("management", _MANAGEMENT_LEVELS))
_NEED_WORDS = Vocabulary(
    _catalogue("urgency", _URGENCIES, prefix="urgency")
    + _catalogue("need", _NEED_STATUSES, prefix="status")
)
_NEED_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


def _lower_first(word: str) -> str:
    """`Förstärkt TiB` → `förstärkt TiB`: a level word inside a line."""
    return word[:1].lower() + word[1:]


def _words(kind: str, codes: Iterable[str], lang: Lang) -> str:
    return ", ".join(_lower_first(label(f"{kind}.{code}", lang)) for code in codes)


# --- rendering -------------------------------------------------------------------------


def _kw(kind: str, lang: Lang) -> str:
    return KEYWORDS[kind][0 if lang == "sv" else 1]


def _with_text(head: str, text: str) -> str:
    return f"{head} – {text}" if text else head


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _dash(text: str) -> str:
    return " –" if text else ""


def _lines(first: str, text: str) -> list[str]:
    """A field's line and its text; each further line of the text indented by two spaces."""
    parts = _LINE_BREAK.split(text)
    value = f"{first} {parts[0]}" if parts[0] else first
    return [value] + [f"  {part}" if part else "" for part in parts[1:]]


def render_time(moment: datetime) -> str:
    """Stockholm wall time; seconds when there are any; the offset when the hour repeats."""
    local = moment.astimezone(STOCKHOLM)
    shown = local_time(moment)
    if local.second or local.microsecond:
        shown += f":{local.second:02d}"
        if local.microsecond:
            shown += f".{local.microsecond:06d}"
    naive = local.replace(tzinfo=None)
    if (
        naive.replace(tzinfo=STOCKHOLM, fold=0).utcoffset()
        != naive.replace(tzinfo=STOCKHOLM, fold=1).utcoffset()
    ):
        offset = local.utcoffset() or timedelta(0)
        minutes = int(offset.total_seconds()) // 60
        sign = "+" if minutes >= 0 else "-"
        shown += f" {sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return shown


@dataclass(frozen=True, slots=True)
class Header:
    """The first line of a template: which incident the report is for."""

    code: str
    title: str = ""
    exercise: bool = False


def render(
    content: ReportContent,
    *,
    header: Header | None = None,
    lang: Lang = "sv",
    hints: bool = False,
) -> str:
    """The report as text, every field on its line (empty fields as empty lines).

    Sectors come in the report's order, then the rest in the usual order; needs and
    measures in the report's order. `parse(render(c))` gives `c` back.
    """
    out: list[str] = []
    if header is not None:
        title = " ".join(header.title.split())
        title = f"{label('exercise', lang)} – {title}" if header.exercise else title
        out.append(_with_text(f"{_kw('incident', lang)}: {header.code}", title.strip()))
    out += _lines(f"{_kw('situation', lang)}:", content.situation)
    development = content.development
    if development.trend == "unknown" and not development.text:
        out.append(f"{_kw('development', lang)}:")
    else:
        trend = label(f"trend.{development.trend}", lang).lower()
        out += _lines(
            f"{_kw('development', lang)}: {trend}" + _dash(development.text), development.text
        )
    given = {entry.sector: entry for entry in content.sectors}
    order = [entry.sector for entry in content.sectors] + [s for s in SECTORS if s not in given]
    for sector in order:
        name = label(f"sector.{sector}", lang)
        if sector not in given:
            out.append(f"{name}:")
            continue
        entry = given[sector]
        out += _lines(
            f"{name}: {label(f'impact.{entry.status}', lang).lower()}" + _dash(entry.text),
            entry.text,
        )
    for kind, measures in (
        ("measure_taken", content.measures_taken),
        ("measure_planned", content.measures_planned),
    ):
        for measure in measures:
            out += _lines(f"{_kw(kind, lang)}:", measure)
        if not measures:
            out.append(f"{_kw(kind, lang)}:")
    for need in content.needs:
        head = label(f"urgency.{need.urgency}", lang).lower()
        if need.status != "open":
            head += f", {label(f'need.{need.status}', lang).lower()}"
        out += _lines(f"{_kw('need', lang)} {need.need_id}: {head} –", need.text)
    if content.management is None:
        out.append(f"{_kw('management', lang)}:")
    else:
        level = _lower_first(label(f"management.{content.management.level}", lang))
        out += _lines(
            f"{_kw('management', lang)}: {level}" + _dash(content.management.text),
            content.management.text,
        )
    out += _lines(f"{_kw('public_information', lang)}:", content.public_information)
    if content.contact is not None:
        out += _lines(f"{_kw('contact_name', lang)}:", content.contact.name)
        out += _lines(f"{_kw('contact_phone', lang)}:", content.contact.phone)
        out += _lines(f"{_kw('contact_email', lang)}:", content.contact.email)
    next_at = content.next_report_at
    out.append(f"{_kw('next_report_at', lang)}:" + (f" {render_time(next_at)}" if next_at else ""))
    if hints:
        out += _hints(lang)
    return "\n".join(out) + "\n"


def _hints(lang: Lang) -> list[str]:
    if lang == "sv":
        return [
            "",
            f"# Påverkan: {_words('impact', IMPACTS, 'sv')}.",
            f"# Utveckling: {_words('trend', TRENDS, 'sv')}.",
            f"# Behov ID: {_words('urgency', _URGENCIES, 'sv')}"
            f" (och {label('need.resolved').lower()} när det är löst) – text.",
            f"# Ledning: {_words('management', _MANAGEMENT_LEVELS, 'sv')}.",
            "# Fortsätt en text på nästa rad med ett blanksteg först. Tomma rader och rader"
            " som börjar med # läses inte.",
            f"# Inget nytt sedan förra rapporten? Skicka bara ordet {label('trend.stable')}.",
        ]
    return [
        "",
        f"# Impact: {_words('impact', IMPACTS, 'en')}.",
        f"# Development: {_words('trend', TRENDS, 'en')}.",
        f"# Need ID: {_words('urgency', _URGENCIES, 'en')} (and resolved once it is) – text.",
        f"# Management: {_words('management', _MANAGEMENT_LEVELS, 'en')}.",
        "# Continue a text on the next line with a space first. Empty lines and lines"
        " starting with # are not read.",
        "# Nothing new since the previous report? Send just the word Unchanged.",
    ]


# --- parsing ---------------------------------------------------------------------------

# A keyword and its value: `Läge: …`, `Läge – …`, `Läge - …`.
_KEY_SEPARATORS = (re.compile(r":"), re.compile(r"\s+[–—-]\s*|[–—]\s*"))
# A level word and the text after it: `allvarlig – …`, `allvarlig - …`, `allvarlig: …`.
_HEAD = re.compile(r"^([^\W\d_](?:[^\W\d_]|[ ,/])*?)[ \t]*(?:[–—:]|-)[ \t]*(.*)$", re.DOTALL)
_SIGNATURE = re.compile(r"^-- ?$")
_CODE_WRITTEN = re.compile(r"^\s*([0-9A-Za-z]{3}[ \-–.]?[0-9A-Za-z]{3})(?![0-9A-Za-z])")


@dataclass
class _Entry:
    kind: str
    line: int
    key_rest: str  # what follows the keyword before the separator (a need's id)
    value_lines: list[str]
    sector: str | None = None

    @property
    def value(self) -> str:
        return "\n".join(self.value_lines)


@dataclass
class _Reader:
    errors: list[LineError] = field(default_factory=list)

    def error(self, line: int, sv: str, en: str) -> None:
        self.errors.append(LineError(line, sv, en))


def _continuation(line: str) -> str:
    if line.startswith("\t"):
        return line[1:]
    return line[2:] if line.startswith("  ") else line[1:]


def _split_key(line: str) -> tuple[str, str, str] | None:
    """(kind, what follows the keyword, value) of a keyword line, or None.

    Ambiguous when the first key that is near a keyword is near two and none is exact.
    """
    doubt: Ambiguous | None = None
    for separator in _KEY_SEPARATORS:
        for found in separator.finditer(line):
            key, value = line[: found.start()], line[found.end() :]
            try:
                kind = _key_kind(key)
            except Ambiguous as exc:
                doubt = doubt or exc
                continue
            if kind is not None:
                return kind[0], kind[1], value.lstrip(" \t")
    try:
        kind = _key_kind(line)  # a keyword alone: `Oförändrat`, or an empty `Läge`
    except Ambiguous as exc:
        doubt = doubt or exc
        kind = None
    if kind is None and doubt is not None:
        raise doubt
    return None if kind is None else (kind[0], kind[1], "")


def _key_kind(key: str) -> tuple[str, str] | None:
    """The kind a keyword names (a sector's as `sector.<code>`), and a need's id after it."""
    if not key.strip():
        return None
    doubt: Ambiguous | None = None
    try:
        kind = _KEYWORDS.match(key)
    except Ambiguous as exc:
        doubt, kind = exc, None
    if kind is not None and kind != "need":
        return kind, ""
    words = key.split()
    for size in range(min(3, len(words) - 1), 0, -1):
        try:
            if _KEYWORDS.match(" ".join(words[:size])) == "need":
                return "need", " ".join(words[size:])
        except Ambiguous:
            continue
    if kind == "need":
        return "need", ""
    if doubt is not None:
        raise doubt  # near two keywords: the caller names them
    return None


# `allvarlig påverkan` as WIS writes it: the word for impact after a level is not needed.
_IMPACT_WORDS = {"paverkan", "impact"}


def _level(vocabulary: Vocabulary, written: str) -> str | None:
    code = vocabulary.match(written)
    words = written.split()
    if code is None and len(words) > 1 and _fold(words[-1]) in _IMPACT_WORDS:
        code = vocabulary.match(" ".join(words[:-1]))
    return code


def _head(value: str, vocabulary: Vocabulary) -> tuple[str | None, str]:
    """The vocabulary word a value starts with, and the text after it.

    `allvarlig – text`, `allvarlig: text`, `allvarlig` or `allvarlig text`; `(None,
    value)` when it starts with no word of the vocabulary. Ambiguous raises.
    """
    found = _HEAD.match(value)
    if found is not None:
        code = _level(vocabulary, found.group(1))
        if code is not None:
            return code, found.group(2)
    if re.fullmatch(r"[^\W\d_](?:[^\W\d_]|[ ,/])*", value.strip()):
        code = _level(vocabulary, value)
        if code is not None:
            return code, ""
    words = value.split(" ")
    lettered = 0  # level words are letters only: `allvarlig 1 200 …` is `allvarlig`
    while lettered < min(3, len(words) - 1) and re.fullmatch(r"[^\W\d_]+", words[lettered]):
        lettered += 1
    for size in range(lettered, 0, -1):
        try:
            code = _level(vocabulary, " ".join(words[:size]))
        except Ambiguous:
            continue  # free text that happens to look like two words: not a level
        if code is not None:
            return code, " ".join(words[size:]).lstrip(" \t")
    return None, value


def _entries(text: str, reader: _Reader) -> list[_Entry]:
    entries: list[_Entry] = []
    pending: list[str] = []  # whitespace-only lines, kept if the text goes on after them
    for number, line in enumerate(_LINE_BREAK.split(text), start=1):
        if _SIGNATURE.match(line):
            break
        if line[:1] in (" ", "\t"):
            if not line.strip(" \t"):
                pending.append(_continuation(line))
                continue
            if entries:
                entries[-1].value_lines += [*pending, _continuation(line)]
                pending = []
                continue
            pending = []
            line = line.strip()  # an indented first line: read as written
        if not line.strip():
            if entries and entries[-1].value_lines:
                pending.append("")
            continue
        pending = []
        if line.lstrip().startswith("#"):
            continue
        try:
            split = _split_key(line.lstrip())
        except Ambiguous as exc:
            _ambiguous_message(number, line.split(":")[0], exc, reader)
            continue
        if split is None:
            reader.error(
                number,
                f"kan inte läsas: {_shown(line)}. En rad börjar med ett nyckelord, t.ex. "
                f"”{_kw('situation', 'sv')}:” eller ”{label('sector.energy')}:”",
                f"cannot be read: {_shown(line, 'en')}. A line starts with a keyword, e.g. "
                f"“{_kw('situation', 'en')}:” or “{label('sector.energy', 'en')}:”",
            )
            continue
        kind, rest, value = split
        sector = None
        if kind.startswith("sector."):
            kind, sector = "sector", kind.removeprefix("sector.")
        entries.append(_Entry(kind, number, rest, [value] if value else [], sector))
    return entries


def _shown(line: str, lang: Lang = "sv") -> str:
    line = line.strip()
    line = f"{line[:60]}…" if len(line) > 60 else line
    return f"”{line}”" if lang == "sv" else f"“{line}”"


def _ambiguous_message(number: int, written: str, doubt: Ambiguous, reader: _Reader) -> None:
    reader.error(
        number,
        f"”{written.strip()}” kan betyda flera saker ({doubt.words('sv')}); skriv ut ordet",
        f"“{written.strip()}” could mean several things ({doubt.words('en')}); spell it out",
    )


def parse(text: str) -> ParsedReport | ParseErrors:
    """Read a report written as text. Lines it cannot read are errors, never dropped."""
    reader = _Reader()
    entries = _entries(text.removeprefix("\ufeff"), reader)
    body: dict[str, Any] = {}
    lines_of: dict[tuple[str | int, ...], int] = {}
    seen: dict[str, int] = {}
    code: str | None = None
    code_line: int | None = None
    unchanged_line: int | None = None
    contact: dict[str, str] = {}
    for entry in entries:
        once = entry.kind if entry.kind not in ("sector", "need") else None
        if entry.kind == "sector":
            once = f"sector:{entry.sector}"
        if once is not None and entry.kind not in ("measure_taken", "measure_planned"):
            if once in seen:
                reader.error(
                    entry.line,
                    f"står redan på rad {seen[once]}; varje uppgift står en gång",
                    f"already given on line {seen[once]}; each field is given once",
                )
                continue
            seen[once] = entry.line
        value = entry.value
        try:
            if entry.kind == "incident":
                written = _CODE_WRITTEN.match(value)
                code = None if written is None else normalise_code(written.group(1))
                code_line = entry.line
                if code is None:
                    reader.error(
                        entry.line,
                        "händelsens kod ska vara sex tecken, t.ex. K7Q-4M2",
                        "the incident's code is six characters, e.g. K7Q-4M2",
                    )
            elif entry.kind == "unchanged":
                unchanged_line = entry.line
            elif entry.kind == "situation":
                body["situation"] = value
                lines_of[("situation",)] = entry.line
            elif entry.kind == "public_information":
                body["public_information"] = value
                lines_of[("public_information",)] = entry.line
            elif entry.kind in ("measure_taken", "measure_planned"):
                if value.strip():
                    key = "measures_taken" if entry.kind == "measure_taken" else "measures_planned"
                    lines_of[(key, len(body.setdefault(key, [])))] = entry.line
                    body[key].append(value)
            elif entry.kind == "development":
                _development(entry, body, lines_of, reader)
            elif entry.kind == "sector":
                _sector(entry, body, lines_of, reader)
            elif entry.kind == "need":
                _need(entry, body, lines_of, reader)
            elif entry.kind == "management":
                _management(entry, body, lines_of, reader)
            elif entry.kind.startswith("contact_"):
                contact[entry.kind.removeprefix("contact_")] = value
                lines_of[("contact", entry.kind.removeprefix("contact_"))] = entry.line
            elif entry.kind == "next_report_at":
                _next_report(entry, body, lines_of, reader)
        except Ambiguous as exc:
            _ambiguous_message(entry.line, value.split("–")[0], exc, reader)
    if contact:
        body["contact"] = contact
    if unchanged_line is not None:
        carried = sorted(
            e.line for e in entries if e.kind not in ("unchanged", "incident") and e.value.strip()
        )
        if carried:
            reader.error(
                unchanged_line,
                f"{label('trend.stable')} står ensamt: ta bort raderna "
                f"{', '.join(map(str, carried))} eller raden {label('trend.stable')}",
                "Unchanged stands alone: remove lines "
                f"{', '.join(map(str, carried))} or the line Unchanged",
            )
    if not entries and not reader.errors:
        reader.error(
            1,
            f"rapporten är tom; fyll i mallen eller skriv {label('trend.stable')}",
            "the report is empty; fill in the template or write Unchanged",
        )
    content = ReportContent()
    if not reader.errors and unchanged_line is None:
        try:
            content = ReportContent.model_validate(body)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                reader.errors.append(_schema_error(error, lines_of, entries))
    if reader.errors:
        return ParseErrors(tuple(sorted(reader.errors, key=lambda e: e.line)))
    return ParsedReport(
        content=content,
        unchanged=unchanged_line is not None,
        incident_code=code,
        incident_line=code_line,
    )


def _development(
    entry: _Entry, body: dict[str, Any], lines_of: dict[tuple[str | int, ...], int], reader: _Reader
) -> None:
    lines_of[("development",)] = entry.line
    if not entry.value.strip():
        return
    trend, text = _head(entry.value, _TRENDS)
    body["development"] = {"trend": trend or "unknown", "text": text}


def _sector(
    entry: _Entry, body: dict[str, Any], lines_of: dict[tuple[str | int, ...], int], reader: _Reader
) -> None:
    if not entry.value.strip():
        return
    status, text = _head(entry.value, _IMPACTS)
    if status is None:
        reader.error(
            entry.line,
            f"påverkan saknas eller kan inte läsas; skriv en av: {_words('impact', IMPACTS, 'sv')}"
            f", sedan – och texten",
            f"the impact is missing or unreadable; write one of: {_words('impact', IMPACTS, 'en')}"
            ", then – and the text",
        )
        return
    sectors = body.setdefault("sectors", [])
    lines_of[("sectors", len(sectors))] = entry.line
    sectors.append({"sector": entry.sector, "status": status, "text": text})


def _need(
    entry: _Entry, body: dict[str, Any], lines_of: dict[tuple[str | int, ...], int], reader: _Reader
) -> None:
    need_id = entry.key_rest.strip()
    if not need_id or not _NEED_ID.match(need_id):
        reader.error(
            entry.line,
            "behovet behöver ett id direkt efter ordet Behov, t.ex. ”Behov gen-1: hög – två "
            "reservelverk” (bokstäver, siffror, punkt, bindestreck)",
            "the need needs an id right after the word Need, e.g. “Need gen-1: high – two "
            "generators” (letters, digits, dot, hyphen)",
        )
        return
    needs = body.setdefault("needs", [])
    if any(need["need_id"] == need_id for need in needs):
        reader.error(
            entry.line,
            f"behovet {need_id} står redan på en rad ovanför",
            f"the need {need_id} is already given above",
        )
        return
    need: dict[str, str] = {"need_id": need_id}
    found = _HEAD.match(entry.value)
    words = None if found is None else _need_words(found.group(1))
    if words is not None and found is not None:
        text = found.group(2)
    elif (words := _need_words(entry.value)) is not None:
        text = ""  # only the words: no text
    else:  # no urgency or status: all of it is the need's text
        words, text = {}, entry.value
    need.update(words)
    need["text"] = text
    if not text.strip():
        reader.error(
            entry.line,
            "behovet saknar text: skriv vad som behövs efter –",
            "the need has no text: write what is needed after –",
        )
        return
    lines_of[("needs", len(needs))] = entry.line
    needs.append(need)


def _need_words(head: str) -> dict[str, str] | None:
    """`hög, löst` → {urgency: high, status: resolved}; None if a part is no such word."""
    parts = [part for part in re.split(r"[,/]", head) if part.strip()]
    found: dict[str, str] = {}
    for part in parts:
        try:
            codes = [_NEED_WORDS.match(part)]
            if codes[0] is None:
                codes = [_NEED_WORDS.match(word) for word in part.split()]
        except Ambiguous:
            return None
        for code in codes:
            if code is None:
                return None
            kind, value = code.split(".", 1)
            if kind in found:
                return None
            found[kind] = value
    return found or None


def _management(
    entry: _Entry, body: dict[str, Any], lines_of: dict[tuple[str | int, ...], int], reader: _Reader
) -> None:
    if not entry.value.strip():
        return
    level, text = _head(entry.value, _MANAGEMENT)
    if level is None:
        reader.error(
            entry.line,
            f"ledningsnivån saknas eller kan inte läsas; skriv en av: "
            f"{_words('management', _MANAGEMENT_LEVELS, 'sv')}",
            f"the management level is missing or unreadable; write one of: "
            f"{_words('management', _MANAGEMENT_LEVELS, 'en')}",
        )
        return
    lines_of[("management",)] = entry.line
    body["management"] = {"level": level, "text": text}


_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\s+kl\.?)?[\sT]+(\d{1,2})[:.](\d{2})(.*)$", re.I)


def _next_report(
    entry: _Entry, body: dict[str, Any], lines_of: dict[tuple[str | int, ...], int], reader: _Reader
) -> None:
    value = entry.value.strip()
    if not value:
        return
    moment = read_time(value)
    if moment is None:
        reader.error(
            entry.line,
            f"tiden kan inte läsas: {_shown(value)}; skriv t.ex. 2026-11-22 18:00 (svensk tid)",
            f"the time cannot be read: {_shown(value, 'en')}; write e.g. 2026-11-22 18:00 "
            "(Swedish time)",
        )
        return
    lines_of[("next_report_at",)] = entry.line
    body["next_report_at"] = moment


def read_time(value: str) -> datetime | None:
    """`2026-11-22 18:00` (Stockholm time), with seconds or an offset if given; else None."""
    found = _TIME.match(value.strip())
    if found is None:
        return None
    date, hour, minute, rest = found.groups()
    rest = rest.strip()
    offset = re.search(r"\s*(Z|[+-]\d{2}:?\d{2})$", rest)
    zone = ""
    if offset is not None:
        zone = offset.group(1)
        rest = rest[: offset.start()]
    if rest and not re.fullmatch(r":\d{2}(?:\.\d{1,6})?", rest):
        return None
    try:
        moment = datetime.fromisoformat(f"{date}T{int(hour):02d}:{minute}{rest}{zone}")
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=STOCKHOLM)
    return moment


_SCHEMA_MESSAGES: Mapping[str, Callable[[Mapping[str, Any]], tuple[str, str]]] = {
    "string_too_long": lambda ctx: (
        f"texten är för lång (högst {ctx.get('max_length')} tecken)",
        f"the text is too long (at most {ctx.get('max_length')} characters)",
    ),
    "too_long": lambda ctx: (
        f"för många rader av det här slaget (högst {ctx.get('max_length')})",
        f"too many lines of this kind (at most {ctx.get('max_length')})",
    ),
    "string_too_short": lambda ctx: ("texten saknas", "the text is missing"),
}


def _schema_error(
    error: Mapping[str, Any],
    lines_of: Mapping[tuple[str | int, ...], int],
    entries: Sequence[_Entry],
) -> LineError:
    loc = tuple(error["loc"])
    line = next(
        (lines_of[loc[:size]] for size in range(len(loc), 0, -1) if loc[:size] in lines_of),
        entries[0].line if entries else 1,
    )
    if error["type"] == "too_long" and loc:
        counted = [number for key, number in lines_of.items() if key[:1] == loc[:1]]
        line = max(counted, default=line)
    worded = _SCHEMA_MESSAGES.get(error["type"])
    if worded is not None:
        sv, en = worded(error.get("ctx") or {})
    else:
        sv, en = (
            f"värdet godtas inte ({error['msg']})",
            f"the value is not accepted ({error['msg']})",
        )
    return LineError(line, sv, en)
