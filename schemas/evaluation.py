"""The evaluation of a closed incident: what worked, what did not, and actions with owners."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from schemas.common import LongText, ShortText, WireModel


class EvaluationAction(WireModel):
    """One thing to do after the incident, who owns it and by when (`due` optional)."""

    text: ShortText
    owner: ShortText
    due: date | None = None


class EvaluationSubmission(WireModel):
    """The body of `PUT`/`POST /incidents/{id}/evaluation`: the whole evaluation; a later
    one replaces the earlier in the picture (both stay in the log)."""

    worked: LongText = ""
    did_not_work: LongText = ""
    actions: Annotated[list[EvaluationAction], Field(max_length=100)] = []

    @model_validator(mode="after")
    def _says_something(self) -> EvaluationSubmission:
        if not (self.worked or self.did_not_work or self.actions):
            raise ValueError("an evaluation says what worked, what did not, or an action")
        return self


class Evaluation(BaseModel):
    """An evaluation as recorded: the data of the `incident.evaluated` event."""

    by: str
    at: datetime
    worked: str
    did_not_work: str
    actions: list[EvaluationAction]
