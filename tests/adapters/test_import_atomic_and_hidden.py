"""EDXL import and WIS push: all or nothing, and 404 for an incident the caller may not see."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from adapters.edxl import codec
from schemas.incident import Incident
from schemas.report import StoredReport
from service.clock import FixedClock
from tests.support import Api, assert_problem, report

WIS_PUSH = "/api/v1/exchange/wis/answers"


async def _incident(api: Api, incident_id: str) -> Incident:
    reply = await api.call("GET", f"/api/v1/incidents/{incident_id}", as_=("LST-14", "viewer"))
    return Incident.model_validate(reply.body)


def _stored(incident: Incident, organisation: str, as_of: Any, **content: Any) -> StoredReport:
    return StoredReport.model_validate(
        {
            "report_id": str(uuid.uuid4()),
            "incident_id": str(incident.id),
            "organisation": organisation,
            "version": 1,
            "as_of": as_of,
            "received_at": as_of,
            "submitted_by": "ISK",
            "supersedes": None,
            "unchanged": False,
            "late": False,
            "due_at": None,
            **content,
        }
    )


def _envelope(
    incident: Incident,
    sender: str,
    reports: list[StoredReport],
    now: Any,
    *,
    elsewhere: dict[uuid.UUID, Incident] | None = None,
) -> bytes:
    """One envelope from `sender`; each report's SitRep names the incident it is for."""
    named = {incident.id: incident, **(elsewhere or {})}
    return codec.envelope(
        distribution_id=f"test:{uuid.uuid4()}",
        sender=sender,
        sent=now,
        exercise=incident.exercise,
        kind="Report",
        incident=incident,
        contents=[
            codec.Content(
                description="Lägesrapport",
                keyword=codec.KEYWORD_REPORT,
                sitrep=codec.report_sitrep(
                    named[r.incident_id],
                    r,
                    organisation_name=r.organisation,
                    originating=None,
                    final=False,
                ),
            )
            for r in reports
        ],
    )


async def _import(api: Api, document: bytes, who: tuple[str, Any]) -> Any:
    return await api.call(
        "POST",
        "/api/v1/exchange/edxl",
        as_=who,
        data=document,
        headers={"Content-Type": "application/xml"},
    )


async def _count(api: Api, incident_id: str) -> int:
    reply = await api.call(
        "GET", f"/api/v1/incidents/{incident_id}/reports", as_=("LST-14", "viewer")
    )
    return len(reply.body["reports"])


async def _seq(api: Api, incident_id: str) -> int:
    reply = await api.call("GET", f"/api/v1/incidents/{incident_id}", as_=("LST-14", "viewer"))
    seq: int = reply.body["seq"]
    return seq


async def test_a_refused_envelope_stores_none_of_its_reports(api: Api, clock: FixedClock) -> None:
    incident = await _incident(api, (await api.activate())["id"])
    now = clock.now()
    good = _stored(incident, "1442", now - timedelta(minutes=10), situation="Lugnt")
    future = _stored(incident, "1442", now + timedelta(hours=2), situation="Framtid")
    seq_before = await _seq(api, str(incident.id))
    reply = await _import(
        api, _envelope(incident, "1442", [good, future], now), ("1442", "reporter")
    )
    assert_problem(reply, 422, "validation")
    assert await _count(api, str(incident.id)) == 0
    assert await _seq(api, str(incident.id)) == seq_before


async def test_an_envelope_refused_by_its_last_incident_stores_nothing_in_the_first(
    api: Api, clock: FixedClock
) -> None:
    first = await _incident(api, (await api.activate())["id"])
    closed = await _incident(api, (await api.activate(title="Stängd"))["id"])
    shut = await api.call(
        "POST",
        f"/api/v1/incidents/{closed.id}/close",
        as_=("LST-14", "duty_officer"),
        json_body={"summary": "Över"},
    )
    assert shut.status == 200, shut.body
    now = clock.now()
    reports = [
        _stored(first, "1442", now - timedelta(minutes=5)),
        _stored(closed, "1442", now - timedelta(minutes=5)),
    ]
    document = _envelope(first, "1442", reports, now, elsewhere={closed.id: closed})
    assert_problem(await _import(api, document, ("1442", "reporter")), 409, "incident-closed")
    assert await _count(api, str(first.id)) == 0


async def test_an_envelope_accepted_whole_stores_every_report(api: Api, clock: FixedClock) -> None:
    incident = await _incident(api, (await api.activate())["id"])
    now = clock.now()
    reports = [
        _stored(incident, "1442", now - timedelta(minutes=20), situation="Först"),
        _stored(incident, "1442", now - timedelta(minutes=10), situation="Sedan"),
    ]
    reply = await _import(api, _envelope(incident, "1442", reports, now), ("1442", "reporter"))
    assert reply.status == 201, reply.body
    assert [r["version"] for r in reply.body["reports"]] == [1, 2]
    assert await _count(api, str(incident.id)) == 2


async def test_edxl_import_for_an_incident_the_sender_may_not_see_is_404(
    api: Api, clock: FixedClock
) -> None:
    incident = await _incident(api, (await api.activate())["id"])
    now = clock.now()
    # 1480 (Göteborg) is in the county but no participant: the incident is hidden from it.
    document = _envelope(incident, "1480", [_stored(incident, "1480", now)], now)
    hidden = await _import(api, document, ("1480", "reporter"))
    missing = await _import(
        api,
        document.replace(str(incident.id).encode(), str(uuid.uuid4()).encode()),
        ("1480", "reporter"),
    )
    assert_problem(hidden, 404, "not-found")
    assert_problem(missing, 404, "not-found")
    assert "participant" not in hidden.body["detail"]
    # A gateway token of 1480's own is told the same.
    assert_problem(await _import(api, document, ("1480", "adapter")), 404, "not-found")
    assert await _count(api, str(incident.id)) == 0


async def test_edxl_import_does_not_tell_a_stranger_that_a_hidden_incident_is_an_exercise(
    api: Api, clock: FixedClock
) -> None:
    incident = await _incident(api, (await api.activate(exercise=True))["id"])
    now = clock.now()
    document = _envelope(incident, "1480", [_stored(incident, "1480", now)], now)
    actual = document.replace(b">Exercise<", b">Actual<")
    assert_problem(await _import(api, actual, ("1480", "reporter")), 404, "not-found")
    # A participant may see it, so it is told why.
    own = _envelope(incident, "1442", [_stored(incident, "1442", now)], now)
    own_actual = own.replace(b">Exercise<", b">Actual<")
    assert_problem(await _import(api, own_actual, ("1442", "reporter")), 422, "exercise-mismatch")


def _answer(incident_id: str, actor: str, answer_id: str) -> dict[str, Any]:
    return {
        "id": answer_id,
        "yta": incident_id,
        "aktör": actor,
        "inlagd_av": actor,
        "tillstånd": "Lugnt",
        "påverkan": [{"sektor": "Övrigt", "nivå": "Ingen"}],
    }


async def test_wis_push_for_an_incident_the_actor_may_not_see_is_404(api: Api) -> None:
    incident = await api.activate()
    hidden = await api.call(
        "POST", WIS_PUSH, as_=("1480", "adapter"), json_body=_answer(incident["id"], "1480", "a")
    )
    missing = await api.call(
        "POST",
        WIS_PUSH,
        as_=("1480", "adapter"),
        json_body=_answer(str(uuid.uuid4()), "1480", "b"),
    )
    assert_problem(hidden, 404, "not-found")
    assert_problem(missing, 404, "not-found")
    assert hidden.body["detail"] == missing.body["detail"]
    assert await _count(api, incident["id"]) == 0


async def test_wis_push_for_a_participant_is_still_stored(api: Api) -> None:
    incident = await api.activate()
    reply = await api.call(
        "POST", WIS_PUSH, as_=("1442", "adapter"), json_body=_answer(incident["id"], "1442", "c")
    )
    assert reply.status == 201, reply.body
    assert (await api.submit(incident["id"], report("1442"))).status == 201
