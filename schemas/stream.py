"""Frames of the live stream (`GET /api/v1/stream`), both directions."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, TypeAdapter

from schemas.common import WireModel

ErrorCode = Literal["forbidden", "not_found", "bad_request", "resync", "unavailable"]


def parse_topic(topic: str) -> uuid.UUID | None:
    """`incident:<id>` → the id; `incidents` → None. ValueError for anything else."""
    if topic == "incidents":
        return None
    kind, _, rest = topic.partition(":")
    if kind != "incident" or not rest:
        raise ValueError("topic is 'incidents', 'incident:<id>' or 'national'")
    try:
        return uuid.UUID(rest)
    except ValueError as exc:
        raise ValueError(f"{rest!r} is not an incident id") from exc


NATIONAL = "national"


def _valid_topic(topic: str) -> str:
    """`incidents`, `incident:<id>` or `national` (the national roll-up)."""
    if topic != NATIONAL:
        parse_topic(topic)
    return topic


Topic = Annotated[str, Field(max_length=100), AfterValidator(_valid_topic)]


class Subscribe(WireModel):
    type: Literal["subscribe"]
    topic: Topic
    since: Annotated[int, Field(ge=0)] | None = None


class Unsubscribe(WireModel):
    type: Literal["unsubscribe"]
    topic: Topic


def _incident_topic(topic: str) -> str:
    """Only an incident's topic has a past to look back at."""
    if topic == NATIONAL or parse_topic(topic) is None:
        raise ValueError("a look back is of one incident: 'incident:<id>'")
    return topic


# A reference the client chooses, given back with the answer (a JavaScript number).
MAX_REF = 2**53 - 1
Ref = Annotated[int, Field(ge=0, le=MAX_REF)]


class Moment(WireModel):
    """The picture of a followed incident as it stood at `at` (as `GET …/picture?at=`)."""

    type: Literal["moment"]
    topic: Annotated[str, Field(max_length=100), AfterValidator(_incident_topic)]
    at: AwareDatetime
    ref: Ref


ClientFrame = Annotated[Subscribe | Unsubscribe | Moment, Field(discriminator="type")]
client_frame: TypeAdapter[Subscribe | Unsubscribe | Moment] = TypeAdapter(ClientFrame)


class EventBody(BaseModel):
    kind: str
    at: str
    actor: str
    data: dict[str, Any]


class SnapshotFrame(BaseModel):
    type: Literal["snapshot"] = "snapshot"
    topic: str
    seq: int
    picture: dict[str, Any]


class EventFrame(BaseModel):
    type: Literal["event"] = "event"
    topic: str
    seq: int
    event: EventBody
    patch: dict[str, Any]


class MomentFrame(BaseModel):
    """The answer to a `moment` frame: its `ref`, the moment asked and the picture then."""

    type: Literal["moment"] = "moment"
    topic: str
    ref: int
    at: str
    seq: int
    picture: dict[str, Any]


class ErrorFrame(BaseModel):
    type: Literal["error"] = "error"
    code: ErrorCode
    message: str
    topic: str | None = None
    # Set when the error answers one request (a `moment` frame): the topic goes on.
    ref: int | None = None
