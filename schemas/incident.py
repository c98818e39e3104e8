"""Incidents: activation, change, closure, and how they are returned."""

from __future__ import annotations

import functools
import re
import uuid
from datetime import datetime, time
from typing import Annotated, Literal
from zoneinfo import available_timezones

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from schemas.common import AwareDatetime, LongText, NoNul, OrgCode, Severity, WireModel


@functools.cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


_TIME = re.compile(r"\A([01][0-9]|2[0-3]):[0-5][0-9]\Z")


class IntervalSchedule(WireModel):
    """A deadline every `interval_minutes`, the first at `first_due_at`."""

    kind: Literal["interval"] = "interval"
    interval_minutes: int = Field(ge=15, le=7 * 24 * 60)
    first_due_at: AwareDatetime


class DailySchedule(WireModel):
    """Deadlines at fixed local times every day, e.g. 08:00, 14:00 and 20:00."""

    kind: Literal["daily"] = "daily"
    times: Annotated[list[str], Field(min_length=1, max_length=24)]
    timezone: str = "Europe/Stockholm"

    @field_validator("times")
    @classmethod
    def _times_are_hh_mm(cls, value: list[str]) -> list[str]:
        for entry in value:
            if not _TIME.match(entry):
                raise ValueError(f"{entry!r} is not a time of day as HH:MM")
        if len(set(value)) != len(value):
            raise ValueError("each time may appear only once")
        return sorted(value)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        # Only names from the IANA list: ZoneInfo() alone also tries paths ("Europe" is a
        # folder) and fails in ways that are not "unknown timezone".
        if value not in _timezones():
            raise ValueError(
                f"unknown timezone {value!r}; use an IANA name such as Europe/Stockholm"
            )
        return value

    def local_times(self) -> list[time]:
        return [time.fromisoformat(entry) for entry in self.times]


Schedule = Annotated[IntervalSchedule | DailySchedule, Field(discriminator="kind")]


def _infer_schedule_kind(value: object) -> object:
    """Accept a schedule without `kind`, deciding by its fields as docs/design.md describes it."""
    if isinstance(value, dict) and "kind" not in value:
        if "interval_minutes" in value or "first_due_at" in value:
            return {**value, "kind": "interval"}
        if "times" in value:
            return {**value, "kind": "daily"}
    return value


Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul
]
CountyCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{2}$")]
Participants = Annotated[list[OrgCode], Field(min_length=1, max_length=1000)]


class IncidentCreate(WireModel):
    title: Title
    description: LongText = ""
    county: CountyCode
    severity: Severity = "medium"
    exercise: bool = False
    participants: Participants
    schedule: Schedule

    @model_validator(mode="before")
    @classmethod
    def _schedule_kind(cls, data: object) -> object:
        if isinstance(data, dict) and "schedule" in data:
            return {**data, "schedule": _infer_schedule_kind(data["schedule"])}
        return data

    @field_validator("participants")
    @classmethod
    def _no_repeats(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each participant may appear only once")
        return value


class IncidentPatch(WireModel):
    """`PATCH /incidents/{id}`: any subset of these; at least one."""

    title: Title | None = None
    description: LongText | None = None
    severity: Severity | None = None
    participants: Participants | None = None
    schedule: Schedule | None = None

    @model_validator(mode="before")
    @classmethod
    def _schedule_kind(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("schedule") is not None:
            return {**data, "schedule": _infer_schedule_kind(data["schedule"])}
        return data

    @model_validator(mode="after")
    def _something_to_change(self) -> IncidentPatch:
        given = {name for name in self.model_fields_set if getattr(self, name) is not None}
        if not given:
            raise ValueError(
                "nothing to change: give at least one of " + ", ".join(type(self).model_fields)
            )
        return self

    @field_validator("participants")
    @classmethod
    def _no_repeats(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("each participant may appear only once")
        return value


class IncidentClose(WireModel):
    summary: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000), NoNul
    ]


class Incident(BaseModel):
    """An incident as returned by the API."""

    model_config = ConfigDict(frozen=True)

    id: uuid.UUID
    title: str
    description: str
    county: str
    owner: str
    severity: Severity
    exercise: bool
    status: Literal["active", "closed"]
    participants: list[str]
    shared_with: list[str] = Field(
        default_factory=list,
        description="County boards of other counties the incident is shared with (they read it)",
    )
    schedule: Schedule
    due_at: datetime | None = Field(description="The current reporting deadline; none once closed")
    activated_at: datetime
    activated_by: str
    closed_at: datetime | None = None
    closed_by: str | None = None
    summary: str | None = None
    seq: int = Field(description="The seq of the incident's latest event")
