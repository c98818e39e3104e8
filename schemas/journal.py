"""The incident journal (dagbok): what happened, decisions taken and who took them,
contacts made. Entries are immutable; a correction is a new entry naming the old one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from schemas.common import AwareDatetime, NoNul, ShortText, WireModel

JournalCategory = Literal["event", "decision", "contact"]
JOURNAL_CATEGORIES: tuple[JournalCategory, ...] = ("event", "decision", "contact")

EntryText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000), NoNul
]


class JournalEntryCreate(WireModel):
    """The body of `POST /api/v1/incidents/{id}/journal`. `at` is when it happened (now
    when left out; never later than now); `decided_by` names who took a decision and is
    required for, and only for, a decision; `corrects` names the number of the entry this
    one corrects."""

    category: JournalCategory
    text: EntryText
    at: AwareDatetime | None = None
    decided_by: ShortText | None = None
    significant: bool = False
    corrects: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None

    @model_validator(mode="after")
    def _decided_by_for_decisions(self) -> JournalEntryCreate:
        if self.category == "decision" and self.decided_by is None:
            raise ValueError("a decision names who took it (decided_by)")
        if self.category != "decision" and self.decided_by is not None:
            raise ValueError("only a decision names who took it (decided_by)")
        return self


class JournalEntry(BaseModel):
    """An entry as stored: the data of its `journal.entry` event, and that event's seq."""

    number: int
    seq: int
    at: datetime
    recorded_at: datetime
    author: str
    organisation: str
    category: JournalCategory
    text: str
    decided_by: str | None
    significant: bool
    corrects: int | None
    # Numbers of the later entries that correct this one.
    corrected_by: list[int] = []


class JournalList(BaseModel):
    incident_id: str
    entries: list[JournalEntry]
