"""The situation report (lägesrapport) as a reporter sends it and as it is stored."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from schemas.common import (
    AwareDatetime,
    Impact,
    LongText,
    ManagementLevel,
    NeedStatus,
    NoNul,
    OrgCode,
    Sector,
    ShortText,
    Trend,
    Urgency,
    WireModel,
)


class Development(WireModel):
    trend: Trend = "unknown"
    text: LongText = ""


class SectorStatus(WireModel):
    sector: Sector
    status: Impact
    text: LongText = ""


class Need(WireModel):
    need_id: Annotated[
        str,
        StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"),
    ]
    text: ShortText
    urgency: Urgency = "medium"
    status: NeedStatus = "open"


class Management(WireModel):
    level: ManagementLevel
    text: LongText = ""


class Contact(WireModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), NoNul] = ""
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50), NoNul] = ""
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254), NoNul] = ""


MeasureList = Annotated[list[ShortText], Field(max_length=100)]


class ReportContent(WireModel):
    """What a report says: everything a reporter fills in."""

    situation: LongText = ""
    development: Development = Development()
    sectors: Annotated[list[SectorStatus], Field(max_length=7)] = []
    measures_taken: MeasureList = []
    measures_planned: MeasureList = []
    needs: Annotated[list[Need], Field(max_length=100)] = []
    management: Management | None = None
    public_information: LongText = ""
    contact: Contact | None = None
    next_report_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _one_entry_per_sector_and_need(self) -> ReportContent:
        seen: set[str] = set()
        for entry in self.sectors:
            if entry.sector in seen:
                raise ValueError(f"sector {entry.sector!r} appears more than once")
            seen.add(entry.sector)
        need_ids = [need.need_id for need in self.needs]
        if len(set(need_ids)) != len(need_ids):
            raise ValueError("each need_id may appear only once")
        return self


class ReportSubmission(ReportContent):
    """`POST /incidents/{id}/reports`: a full report, or `unchanged: true` alone."""

    report_id: uuid.UUID
    organisation: OrgCode
    as_of: AwareDatetime | None = None
    unchanged: bool = False
    supersedes: uuid.UUID | None = Field(
        default=None,
        description="Optional: the report this one corrects; refused with 409 if it is not "
        "the organisation's latest report (a correction based on stale data).",
    )

    @model_validator(mode="after")
    def _unchanged_carries_no_content(self) -> ReportSubmission:
        if self.unchanged:
            carried = self.model_fields_set & set(ReportContent.model_fields)
            if carried:
                raise ValueError(
                    "an unchanged report carries no content; remove: " + ", ".join(sorted(carried))
                )
        return self

    def content(self) -> ReportContent:
        return ReportContent.model_validate(
            self.model_dump(include=set(ReportContent.model_fields), exclude_unset=False)
        )


class Provenance(WireModel):
    """How a report that did not come directly (by the web app or the API) came in; absent
    for reports sent directly.

    `via` is the exchange (`edxl`, `wis`) or the channel (`mail`: an answered e-mail,
    `sms`: a text message, `link`: an invitation link); `token` and `token_id` name the API token
    that brought it (null when Lägesbild fetched it itself, as the WIS poller does);
    `relayed_by` is the county board that relayed other organisations' reports from its
    own installation, `relayed_incident` that installation's incident id, and
    `distribution_id` the EDXL envelope's `distributionID`.
    """

    via: Literal["edxl", "wis", "mail", "sms", "link"]
    token: str | None = None
    token_id: int | None = None
    relayed_by: str | None = None
    relayed_incident: uuid.UUID | None = None
    distribution_id: str | None = None


class StoredReport(ReportContent):
    """A report as the server keeps and returns it: its content plus what the server adds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    report_id: uuid.UUID
    incident_id: uuid.UUID
    organisation: str
    version: int
    as_of: datetime
    received_at: datetime
    submitted_by: str
    supersedes: uuid.UUID | None
    unchanged: bool
    late: bool
    due_at: datetime | None = Field(description="The deadline this report counts for")
    provenance: Provenance | None = Field(
        default=None,
        description="Which exchange or channel, token and relay brought a report that did not "
        "come directly",
    )

    def content(self) -> ReportContent:
        return ReportContent.model_validate(
            self.model_dump(include=set(ReportContent.model_fields))
        )
