"""Vocabularies shared by reports, pictures and incidents."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

Sector = Literal["water", "energy", "food", "care", "communication", "transport", "other"]
SECTORS: tuple[Sector, ...] = (
    "water",
    "energy",
    "food",
    "care",
    "communication",
    "transport",
    "other",
)

Impact = Literal["none", "moderate", "significant", "serious", "critical", "unknown"]
# Known levels from least to most severe; `unknown` is not on the scale.
IMPACT_SCALE: tuple[Impact, ...] = ("none", "moderate", "significant", "serious", "critical")
IMPACTS: tuple[Impact, ...] = (*IMPACT_SCALE, "unknown")
_IMPACT_RANK: dict[str, int] = {level: rank for rank, level in enumerate(IMPACT_SCALE)}


def worst_impact(levels: Iterable[str]) -> Impact:
    """The overall impact of a set of sectors: the most severe known level among `levels`.

    `unknown` when no level is known; an unknown (or unreadable) level never makes the
    whole better or worse. An organisation's impact is the worst of its sectors; a sector's
    worst is the worst of the organisations; the county's is the worst of the sectors.
    """
    worst = -1
    for level in levels:
        rank = _IMPACT_RANK.get(level, -1)
        if rank > worst:
            worst = rank
    return IMPACT_SCALE[worst] if worst >= 0 else "unknown"


Trend = Literal["improving", "stable", "worsening", "unknown"]
TRENDS: tuple[Trend, ...] = ("improving", "stable", "worsening", "unknown")

Urgency = Literal["low", "medium", "high", "critical"]
NeedStatus = Literal["open", "resolved"]
ManagementLevel = Literal["normal", "reinforced", "staff", "crisis_board"]
Severity = Literal["low", "medium", "high", "very_high"]
Role = Literal["reporter", "viewer", "duty_officer", "admin", "adapter"]
ROLES: tuple[Role, ...] = ("reporter", "viewer", "duty_officer", "admin", "adapter")
OrganisationKind = Literal["municipality", "county_board", "region", "agency", "other"]


# Times the service accepts: anything a crisis report can mean, and far from the edges
# of what datetime can represent, so deadline arithmetic never overflows.
EARLIEST_YEAR, LATEST_YEAR = 1970, 2199


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must include a timezone offset, e.g. 2026-11-22T14:00:00+01:00")
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"must lie between the years {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value.astimezone(UTC)


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refuse it here rather than fail on insert.
    if "\x00" in value:
        raise ValueError("must not contain NUL (\\u0000) characters")
    return value


# A timezone-aware time, normalised to UTC (the offset a client used is not kept).
AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
NoNul = AfterValidator(_no_nul)
OrgCode = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")
]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), NoNul
]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000), NoNul]


class WireModel(BaseModel):
    """Base for inbound bodies: unknown fields are refused, so typos are not silently lost."""

    model_config = ConfigDict(extra="forbid", frozen=True)
