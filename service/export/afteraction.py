"""The after-action document (efterhandsrapport): what the HTML export shows, read from
the incident's log alone. Pure: `AfterAction` is shown each event in order (`observe`)
and then gives the document (`document`), so the log can be read a chunk at a time and
never held whole.

The document holds the incident and its timeline, impact over time per sector (the
number of participants with at least moderate impact, after every change, and the
worst level at every closed round), every round with who was on time, late or missing
(as known now: a late report moves its sender from missing to late), every need with
how long it stayed open, the measures each organisation reported, the journal entries
marked significant (`journal.entry`), the published summaries, the closing summary and
the latest evaluation; for a reporting drill, each participant's response; and an
exercise's inject timeline (`inject.delivered`: which inject reached whom, when; the
texts are not in the log).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from schemas.common import IMPACT_SCALE, SECTORS
from schemas.drill import DrillFigures, DrillParticipant
from service.drills.log import DrillLog
from service.drills.result import figures
from service.picture.fold import Picture, apply, empty_picture
from service.rounds.plan import ReportTimes, classify

# Levels that count as "affected" in the chart: moderate impact or worse.
AFFECTED = frozenset(level for level in IMPACT_SCALE if level not in ("none", "unknown"))
# Kinds that make a line of the timeline, with their Swedish words.
_TIMELINE = {
    "incident.activated": "Händelsen aktiverades",
    "incident.updated": "Händelsen ändrades",
    "incident.shared": "Delad med",
    "incident.unshared": "Delas inte längre med",
    "summary.published": "Samlad lägesbild publicerad",
    "incident.closed": "Händelsen avslutades",
    "incident.evaluated": "Utvärdering registrerad",
    "drill.started": "Rapporteringsövningen startades",
}


def _moment(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


@dataclass
class Need:
    organisation: str
    need_id: str
    text: str
    urgency: str
    opened_at: datetime
    closed_at: datetime | None = None
    resolved: bool = False

    def open_for(self, until: datetime) -> str:
        """How long it stayed open (`3 h 20 min`, `2 d 4 h`), until closed or `until`."""
        minutes = int(((self.closed_at or until) - self.opened_at).total_seconds() // 60)
        days, rest = divmod(max(minutes, 0), 24 * 60)
        hours, minutes = divmod(rest, 60)
        if days:
            return f"{days} d {hours} h"
        return f"{hours} h {minutes} min" if hours else f"{minutes} min"


@dataclass(frozen=True)
class RoundLine:
    n: int
    due_at: datetime
    on_time: tuple[str, ...]
    late: tuple[str, ...]
    missing: tuple[str, ...]
    worst: dict[str, str]  # sector → worst known level at the deadline (the round's picture)


@dataclass(frozen=True)
class Point:
    at: datetime
    affected: tuple[int, ...]  # per sector, in SECTORS order


@dataclass(frozen=True)
class InjectLine:
    """One delivered inject, as the log has it (number, times, audience; no text)."""

    number: int
    scheduled_at: datetime
    delivered_at: datetime
    audience: tuple[str, ...] | None  # None: every participant


def inject_line(at: datetime, data: dict[str, Any]) -> InjectLine:
    audience = data.get("audience")
    return InjectLine(
        number=int(data["number"]),
        scheduled_at=_moment(data["scheduled_at"]),
        delivered_at=at,
        audience=None if audience is None else tuple(str(code) for code in audience),
    )


@dataclass
class Document:
    picture: Picture
    names: dict[str, str]
    timeline: list[tuple[datetime, str, str]]
    points: list[Point]
    rounds: list[RoundLine]
    needs: list[Need]
    measures: dict[str, dict[str, list[tuple[datetime, str]]]]  # org → taken/planned
    journal: list[dict[str, Any]]
    summaries: list[dict[str, Any]]
    evaluation: dict[str, Any] | None
    evaluations: int
    ended_at: datetime | None
    participants: int
    # A reporting drill's responses (service/drills/log.py), when the incident is one.
    drill: list[DrillParticipant] | None = None
    drill_figures: DrillFigures | None = None
    drill_respond_by: datetime | None = None
    # An exercise's delivered injects, in log order (`InjectLine`).
    injects: list[InjectLine] = field(default_factory=list)

    def name(self, code: str) -> str:
        return self.names.get(code) or code


@dataclass
class AfterAction:
    """Fold the log into the document, one event at a time."""

    names: dict[str, str] = field(default_factory=dict)
    picture: Picture = field(default_factory=empty_picture)
    _timeline: list[tuple[datetime, str, str]] = field(default_factory=list)
    _points: list[Point] = field(default_factory=list)
    _rounds: list[dict[str, Any]] = field(default_factory=list)
    _reports: list[ReportTimes] = field(default_factory=list)
    _open: dict[tuple[str, str], Need] = field(default_factory=dict)
    _needs: list[Need] = field(default_factory=list)
    _measures: dict[str, dict[str, dict[str, datetime]]] = field(default_factory=dict)
    _journal: dict[int, dict[str, Any]] = field(default_factory=dict)
    _summaries: list[dict[str, Any]] = field(default_factory=list)
    _evaluation: dict[str, Any] | None = None
    _evaluations: int = 0
    _ended: datetime | None = None
    # Whether the reader may see a drill's results (`policy.can_see_drills`): the county
    # board may, the participants may not (their readiness figures are the board's).
    drill_results: bool = True
    _drill: DrillLog = field(default_factory=DrillLog)
    _injects: list[InjectLine] = field(default_factory=list)

    def observe(self, event: dict[str, Any]) -> None:
        self._drill.observe(event)
        before = self.picture
        self.picture, patch = apply(self.picture, event)
        kind = event.get("kind", "")
        at = _moment(event["at"])
        data = event.get("data") or {}
        try:
            self._observe(kind, at, data, event)
        except (KeyError, TypeError, ValueError):
            return  # as the fold: an event the document cannot read adds nothing
        if "sectors" in patch or (kind == "incident.activated" and "incident" not in before):
            self._points.append(Point(at, self._affected()))

    def _affected(self) -> tuple[int, ...]:
        sectors = self.picture["sectors"]
        return tuple(
            sum(n for level, n in sectors[s].items() if level in AFFECTED) for s in SECTORS
        )

    def _observe(self, kind: str, at: datetime, data: dict[str, Any], event: Any) -> None:
        if kind in _TIMELINE:
            self._timeline.append((at, _TIMELINE[kind], self._detail(kind, data, event)))
        if kind == "incident.activated":
            for participant in data.get("participants") or []:
                self.names.setdefault(participant["code"], participant.get("name") or "")
        elif kind == "incident.updated":
            for participant in data.get("participants_added") or []:
                self.names.setdefault(participant["code"], participant.get("name") or "")
        elif kind == "report.submitted":
            self._report(data["report"])
        elif kind == "round.closed":
            worst = {s: str(self.picture["sectors"][s]["worst"]) for s in SECTORS}
            self._rounds.append({**data, "worst": worst})
        elif kind == "journal.entry":
            # A correction replaces the entry it corrects; it is listed if significant.
            if data.get("corrects") is not None:
                self._journal.pop(int(data["corrects"]), None)
            if data.get("significant"):
                self._journal[int(data["number"])] = data
        elif kind == "summary.published":
            self._summaries.append(data)
        elif kind == "incident.closed":
            self._ended = at
        elif kind == "incident.evaluated":
            self._evaluation = data
            self._evaluations += 1
        elif kind == "inject.delivered":
            self._injects.append(inject_line(at, data))

    def _detail(self, kind: str, data: dict[str, Any], event: Any) -> str:
        if kind == "incident.updated":
            changed = sorted(data.get("changes") or {})
            added = [p["code"] for p in data.get("participants_added") or []]
            removed = list(data.get("participants_removed") or [])
            parts = [f"ändrat: {', '.join(changed)}"] if changed else []
            parts += [f"tillkom: {', '.join(added)}"] if added else []
            parts += [f"utgick: {', '.join(removed)}"] if removed else []
            return "; ".join(parts)
        if kind in ("incident.shared", "incident.unshared"):
            return str(data.get("organisation", ""))
        if kind == "summary.published":
            return f"nr {data.get('number')} av {data.get('published_by')}"
        if kind == "incident.evaluated":
            return f"av {data.get('by')}"
        return f"av {event.get('actor', '')}"

    def _report(self, report: dict[str, Any]) -> None:
        code = str(report["organisation"])
        received = _moment(report["received_at"])
        self._reports.append(ReportTimes(code, _moment(report["as_of"]), received))
        seen: set[str] = set()
        for need in report.get("needs") or []:
            key = (code, str(need["need_id"]))
            seen.add(key[1])
            if need.get("status", "open") == "open":
                if key not in self._open:
                    opened = Need(code, key[1], str(need["text"]), str(need["urgency"]), received)
                    self._open[key] = opened
                    self._needs.append(opened)
                else:
                    self._open[key].text = str(need["text"])
                    self._open[key].urgency = str(need["urgency"])
            elif key in self._open:
                closing = self._open.pop(key)
                closing.closed_at, closing.resolved = received, True
        for key in [k for k in self._open if k[0] == code and k[1] not in seen]:
            self._open.pop(key).closed_at = received  # left out of a later report
        measures = self._measures.setdefault(code, {"taken": {}, "planned": {}})
        for which, name in (("taken", "measures_taken"), ("planned", "measures_planned")):
            for text in report.get(name) or []:
                measures[which].setdefault(str(text), received)

    def document(self) -> Document:
        rounds = []
        previous: datetime | None = None
        for closed in self._rounds:
            due = _moment(closed["due_at"])
            outcome = classify(closed["expected"], self._reports, previous=previous, due_at=due)
            rounds.append(
                RoundLine(
                    n=int(closed["n"]),
                    due_at=due,
                    on_time=outcome.on_time,
                    late=outcome.late,
                    missing=outcome.overdue,
                    worst=closed["worst"],
                )
            )
            previous = due
        measures = {
            code: {
                which: sorted(((at, text) for text, at in found.items()), key=lambda m: m[0])
                for which, found in kinds.items()
            }
            for code, kinds in sorted(self._measures.items())
            if kinds["taken"] or kinds["planned"]
        }
        journal = [self._journal[number] for number in sorted(self._journal)]
        return Document(
            picture=self.picture,
            names=self.names,
            timeline=self._timeline,
            points=self._points,
            rounds=rounds,
            needs=self._needs,
            measures=measures,
            journal=journal,
            summaries=self._summaries,
            evaluation=self._evaluation,
            evaluations=self._evaluations,
            ended_at=self._ended,
            participants=len(self.picture.get("organisations", {})),
            **self._drill_part(),
            injects=self._injects,
        )

    def _drill_part(self) -> dict[str, Any]:
        found = self._drill.participants()
        if found is None or not self.drill_results:
            return {}
        return {
            "drill": found,
            "drill_figures": figures(found),
            "drill_respond_by": self._drill.respond_by(),
        }


@dataclass(frozen=True)
class Panel:
    """One sector's small chart: a step line of the affected count over the incident."""

    sector: str
    path: str  # SVG path data in a WIDTH × HEIGHT box
    peak: int


WIDTH, HEIGHT = 300, 60


def ticks(moments: list[datetime], start: datetime, end: datetime) -> list[float]:
    """Where the moments (the rounds' deadlines) fall on a chart's x axis."""
    span = max((end - start).total_seconds(), 1.0)
    return [
        round((moment - start).total_seconds() / span * WIDTH, 1)
        for moment in moments
        if start <= moment <= end
    ]


def chart(points: list[Point], participants: int, start: datetime, end: datetime) -> list[Panel]:
    """Per sector, the number affected over time as a step line: one value per pixel
    column (the highest in it), so a long incident draws as small as a short one."""
    span = max((end - start).total_seconds(), 1.0)
    top = max(participants, 1)
    panels = []
    for index, sector in enumerate(SECTORS):
        columns: dict[int, int] = {}
        for point in points:
            x = min(WIDTH, max(0, round((point.at - start).total_seconds() / span * WIDTH)))
            columns[x] = max(columns.get(x, 0), point.affected[index])
        steps: list[str] = []
        y_last: float = HEIGHT
        for x in sorted(columns):
            y = round(HEIGHT - columns[x] / top * HEIGHT, 1)
            steps.append(f"H{x}V{y}" if steps else f"M{x},{y}")
            y_last = y
        if steps:
            steps.append(f"H{WIDTH}")
        else:
            steps = [f"M0,{y_last}H{WIDTH}"]
        peak = max((point.affected[index] for point in points), default=0)
        panels.append(Panel(sector, "".join(steps), peak))
    return panels
