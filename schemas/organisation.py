"""Organisations: municipalities, county boards, agencies."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from schemas.common import OrganisationKind


class Organisation(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    name: str
    kind: OrganisationKind
    county: str | None
