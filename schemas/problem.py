"""RFC 9457 problem details, the body of every error response."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ProblemError(BaseModel):
    loc: list[str | int]
    msg: str


class Problem(BaseModel):
    type: str = Field(description="A URI naming the kind of problem")
    title: str
    status: int
    detail: str = ""
    errors: list[ProblemError] | None = None
