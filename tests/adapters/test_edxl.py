"""EDXL: export as DE 2.0 + SitRep, import through the same path as POST /reports."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from lxml import etree

from adapters.edxl import codec, exchange
from schemas.common import Role
from schemas.incident import Incident
from schemas.report import ReportContent, StoredReport
from service.access.principal import Scope
from service.clock import FixedClock
from tests.adapters.edxl_support import assert_valid_de2, needs_de2_schema
from tests.support import Api, assert_problem, report

FULL_CONTENT: dict[str, Any] = {
    "situation": "Elavbrott i norra kommundelen, 1 200 hushåll.\nReservkraft på äldreboenden.",
    "development": {"trend": "worsening", "text": "Fler nätstationer slås ut av snölast"},
    "sectors": [
        {"sector": "energy", "status": "serious", "text": "1 200 hushåll utan el"},
        {"sector": "water", "status": "moderate", "text": "Reservkraft på vattenverket"},
        {"sector": "care", "status": "unknown", "text": ""},
    ],
    "measures_taken": ["Krisledningsgrupp sammankallad", "Trygghetspunkt öppnad i Hudene"],
    "measures_planned": ["Utdelning av vatten", "Förstärkt hemtjänst <natt> & helg"],
    "needs": [
        {"need_id": "gen-1", "text": "Två reservkraftverk", "urgency": "high", "status": "open"},
        {"need_id": "buss", "text": "Buss för evakuering", "urgency": "low", "status": "resolved"},
    ],
    "management": {"level": "staff", "text": "Stab i kommunhuset"},
    "public_information": "Information på kommunens webb och via VMA",
    "contact": {"name": "Anna Ek", "phone": "+46 322 123 45", "email": "anna.ek@example.se"},
    "next_report_at": "2026-11-22T19:00:00Z",
    "as_of": "2026-11-22T11:45:12.345678Z",
}


def _sitreps(document: bytes) -> list[etree._Element]:
    root = etree.fromstring(document)
    return list(root.iter(f"{{{codec.SR}}}sitRep"))


def _status(document: bytes) -> str:
    root = etree.fromstring(document)
    return root.findtext(f"{{{codec.DE}}}distributionStatus") or ""


async def _stored(api: Api, incident_id: str, organisation: str) -> list[dict[str, Any]]:
    reply = await api.call(
        "GET",
        f"/api/v1/incidents/{incident_id}/reports?organisation={organisation}",
        as_=("LST-14", "viewer"),
    )
    assert reply.status == 200, reply.body
    found: list[dict[str, Any]] = reply.body["reports"]
    return found


async def _single_envelope(
    api: Api, incident: dict[str, Any], stored: dict[str, Any], clock: FixedClock
) -> bytes:
    reply = await api.call("GET", f"/api/v1/incidents/{incident['id']}", as_=("LST-14", "viewer"))
    return exchange.report_document(
        Incident.model_validate(reply.body),
        StoredReport.model_validate(stored),
        organisation_name="Vårgårda kommun",
        originating=None,
        now=clock.now(),
    )


async def _import(
    api: Api, document: bytes, who: tuple[str, Any], scope: Scope | None = None
) -> Any:
    return await api.call(
        "POST",
        "/api/v1/exchange/edxl",
        as_=who,
        scope=scope,
        data=document,
        headers={"Content-Type": "application/xml"},
    )


async def _export_with_a_correction(api: Api) -> bytes:
    """The EDXL export of an incident with a report and its correction from 1442."""
    incident = await api.activate()
    assert (await api.submit(incident["id"], report("1442", **FULL_CONTENT))).status == 201
    assert (await api.submit(incident["id"], report("1442", situation="Bättre nu"))).status == 201
    reply = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/export?format=edxl", as_=("LST-14", "viewer")
    )
    assert reply.status == 200
    assert reply.content_type == "application/xml"
    document: bytes = reply.body.encode()
    return document


@needs_de2_schema
async def test_incident_export_is_a_de2_envelope_valid_against_the_oasis_schema(
    api: Api,
) -> None:
    assert_valid_de2(await _export_with_a_correction(api))


async def test_incident_export_carries_every_report_its_corrections_and_the_picture(
    api: Api,
) -> None:
    document = await _export_with_a_correction(api)
    assert _status(document) == "Actual"
    sitreps = _sitreps(document)
    assert len(sitreps) == 3  # two reports and the consolidated picture
    versions = [s.findtext(f"{{{codec.SR}}}reportVersion") for s in sitreps]
    assert versions[:2] == ["Initial", "Update"]
    correction = sitreps[1]
    first_id = sitreps[0].findtext(f"{{{codec.SR}}}messageID")
    assert correction.findtext(f"{{{codec.SR}}}originatingMessageID") == first_id
    assert correction.findtext(f"{{{codec.SR}}}precedingMessageID") == first_id
    summary = sitreps[2].find(f"{{{codec.SR}}}report/{{{codec.SR}}}ManagementReportingSummary")
    assert summary is not None
    statuses = {
        e.findtext(f"{{{codec.SR}}}organisationID"): e.findtext(f"{{{codec.SR}}}impact")
        for e in summary.iter(f"{{{codec.SR}}}organisationStatus")
    }
    assert statuses["1442"] == "unknown"  # the latest report names no sector
    assert statuses["1440"] == "unknown"


async def _exercise_envelopes(api: Api, clock: FixedClock) -> tuple[bytes, bytes]:
    """An exercise's EDXL export, and the envelope of its one report on its own."""
    incident = await api.activate(exercise=True)
    assert (await api.submit(incident["id"], report("1442", **FULL_CONTENT))).status == 201
    reply = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/export?format=edxl", as_=("LST-14", "viewer")
    )
    stored = (await _stored(api, incident["id"], "1442"))[0]
    return reply.body.encode(), await _single_envelope(api, incident, stored, clock)


async def test_an_exercise_is_never_sent_as_actual(api: Api, clock: FixedClock) -> None:
    document, single = await _exercise_envelopes(api, clock)
    assert _status(document) == "Exercise"
    assert b"<distributionStatus>Actual" not in document
    for sitrep in _sitreps(document):
        assert (sitrep.findtext(f"{{{codec.SR}}}reportTitle") or "").startswith("ÖVNING")
    assert _status(single) == "Exercise"


@needs_de2_schema
async def test_an_exercises_envelopes_are_valid_against_the_oasis_schema(
    api: Api, clock: FixedClock
) -> None:
    document, single = await _exercise_envelopes(api, clock)
    assert_valid_de2(document)
    assert_valid_de2(single)


@needs_de2_schema
async def test_a_report_on_its_own_is_a_de2_envelope_valid_against_the_oasis_schema(
    api: Api, clock: FixedClock
) -> None:
    incident = await api.activate()
    assert (await api.submit(incident["id"], report("1442", **FULL_CONTENT))).status == 201
    original = (await _stored(api, incident["id"], "1442"))[0]
    assert_valid_de2(await _single_envelope(api, incident, original, clock))


async def test_report_to_edxl_to_report_keeps_every_field_sitrep_carries(
    api: Api, clock: FixedClock
) -> None:
    incident = await api.activate()
    assert (await api.submit(incident["id"], report("1442", **FULL_CONTENT))).status == 201
    original = (await _stored(api, incident["id"], "1442"))[0]
    document = await _single_envelope(api, incident, original, clock)
    clock.set(clock.now() + timedelta(minutes=5))
    reply = await _import(api, document, ("1442", "reporter"))
    assert reply.status == 201, reply.body
    history = await _stored(api, incident["id"], "1442")
    assert len(history) == 2
    imported = history[0]
    assert imported["report_id"] != original["report_id"]  # derived from sender + message id
    content_fields = set(ReportContent.model_fields)
    assert {k: imported[k] for k in content_fields} == {k: original[k] for k in content_fields}
    assert imported["as_of"] == original["as_of"]
    assert imported["organisation"] == "1442"
    assert imported["supersedes"] == original["report_id"]


async def test_repeated_import_stores_nothing_new(api: Api, clock: FixedClock) -> None:
    incident = await api.activate()
    assert (await api.submit(incident["id"], report("1442", **FULL_CONTENT))).status == 201
    original = (await _stored(api, incident["id"], "1442"))[0]
    document = await _single_envelope(api, incident, original, clock)
    first = await _import(api, document, ("1442", "reporter"))
    again = await _import(api, document, ("1442", "reporter"))
    assert first.status == 201
    assert again.status == 200
    assert again.body["reports"][0]["report_id"] == first.body["reports"][0]["report_id"]
    assert again.body["reports"][0]["created"] is False
    assert len(await _stored(api, incident["id"], "1442")) == 2
    guessable = str(codec.import_report_id("1442", original["report_id"]))
    assert first.body["reports"][0]["report_id"] != guessable  # keyed with a server secret


async def test_an_adapter_imports_for_a_sender_in_its_scope_and_attributes_the_report_to_it(
    api: Api, clock: FixedClock
) -> None:
    incident = await api.activate()
    assert (await api.submit(incident["id"], report("1443", **FULL_CONTENT))).status == 201
    original = (await _stored(api, incident["id"], "1443"))[0]
    document = await _single_envelope(api, incident, original, clock)
    reply = await _import(api, document, ("MSB", "adapter"), Scope(county="14"))
    assert reply.status == 201, reply.body
    assert reply.body["reports"][0]["organisation"] == "1443"
    assert reply.body["reports"][0]["submitted_by"].endswith("(EDXL)")


async def test_import_refuses_callers_that_may_not_report_for_the_sender(
    api: Api, clock: FixedClock
) -> None:
    incident = await api.activate()
    assert (await api.submit(incident["id"], report("1442", **FULL_CONTENT))).status == 201
    original = (await _stored(api, incident["id"], "1442"))[0]
    document = await _single_envelope(api, incident, original, clock)
    assert_problem(await _import(api, document, ("1443", "reporter")), 403, "wrong-organisation")
    assert_problem(await _import(api, document, ("1442", "viewer")), 403, "forbidden")
    assert_problem(await _import(api, document, ("LST-14", "duty_officer")), 403, "forbidden")
    unauthenticated = await api.call(
        "POST", "/api/v1/exchange/edxl", data=document, headers={"Content-Type": "application/xml"}
    )
    assert_problem(unauthenticated, 401, "unauthenticated")
    assert len(await _stored(api, incident["id"], "1442")) == 1


async def test_import_refuses_an_actual_message_for_an_exercise(
    api: Api, clock: FixedClock
) -> None:
    incident = await api.activate(exercise=True)
    assert (await api.submit(incident["id"], report("1442", **FULL_CONTENT))).status == 201
    original = (await _stored(api, incident["id"], "1442"))[0]
    document = await _single_envelope(api, incident, original, clock)
    actual = document.replace(b">Exercise<", b">Actual<")
    assert_problem(await _import(api, actual, ("1442", "reporter")), 422, "exercise-mismatch")
    assert len(await _stored(api, incident["id"], "1442")) == 1


async def test_import_refuses_envelopes_that_are_not_valid(api: Api, clock: FixedClock) -> None:
    incident = await api.activate()
    assert (await api.submit(incident["id"], report("1442", **FULL_CONTENT))).status == 201
    original = (await _stored(api, incident["id"], "1442"))[0]
    document = await _single_envelope(api, incident, original, clock)
    who: tuple[str, Role] = ("1442", "reporter")
    no_message_id = document.replace(b"<messageID>", b"<messageId>").replace(
        b"</messageID>", b"</messageId>"
    )
    assert_problem(await _import(api, no_message_id, who), 422, "validation")
    wrong_incident = document.replace(incident["id"].encode(), str(uuid.uuid4()).encode())
    assert_problem(await _import(api, wrong_incident, who), 404)
    assert_problem(await _import(api, b"<edxlDistribution>", who), 400, "malformed-request")
    assert_problem(await _import(api, b"<other/>", who), 422, "validation")
    as_json = await api.call("POST", "/api/v1/exchange/edxl", as_=who, json_body={"edxl": "no"})
    assert_problem(as_json, 415)
    assert len(await _stored(api, incident["id"], "1442")) == 1


async def test_other_export_formats_still_work(api: Api) -> None:
    incident = await api.activate()
    for fmt, content_type in (
        ("json", "application/json"),
        ("csv", "text/csv"),
        ("html", "text/html"),
    ):
        reply = await api.call(
            "GET",
            f"/api/v1/incidents/{incident['id']}/export?format={fmt}",
            as_=("LST-14", "viewer"),
        )
        assert reply.status == 200
        assert reply.content_type == content_type
    assert_problem(
        await api.call(
            "GET",
            f"/api/v1/incidents/{incident['id']}/export?format=pdf",
            as_=("LST-14", "viewer"),
        ),
        422,
    )


@needs_de2_schema
async def test_the_schema_check_catches_a_broken_envelope(api: Api) -> None:
    incident = await api.activate(exercise=True)
    reply = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/export?format=edxl", as_=("LST-14", "viewer")
    )
    broken = reply.body.replace(">Exercise<", ">Bogus<").encode()
    with pytest.raises(AssertionError):
        assert_valid_de2(broken)


@pytest.mark.parametrize(
    "scope",
    [
        None,  # no scope (every token made before scopes): its own organisation alone
        Scope(county="13"),
        Scope(organisations=frozenset({"1442", "1444"})),
    ],
)
async def test_an_adapter_token_cannot_import_for_a_sender_outside_its_scope(
    api: Api, clock: FixedClock, scope: Scope | None
) -> None:
    incident = await api.activate()
    assert (await api.submit(incident["id"], report("1443", **FULL_CONTENT))).status == 201
    original = (await _stored(api, incident["id"], "1443"))[0]
    document = await _single_envelope(api, incident, original, clock)
    reply = await _import(api, document, ("MSB", "adapter"), scope)
    assert_problem(reply, 403, "wrong-organisation")
    assert len(await _stored(api, incident["id"], "1443")) == 1


async def test_an_adapter_token_scoped_to_organisations_imports_for_those(
    api: Api, clock: FixedClock
) -> None:
    incident = await api.activate()
    assert (await api.submit(incident["id"], report("1443", **FULL_CONTENT))).status == 201
    original = (await _stored(api, incident["id"], "1443"))[0]
    document = await _single_envelope(api, incident, original, clock)
    scope = Scope(organisations=frozenset({"1443"}))
    assert (await _import(api, document, ("LST-14", "adapter"), scope)).status == 201


async def test_a_reporter_cannot_claim_the_id_of_another_organisations_future_import(
    api: Api, clock: FixedClock
) -> None:
    incident = await api.activate()
    assert (await api.submit(incident["id"], report("1443", **FULL_CONTENT))).status == 201
    original = (await _stored(api, incident["id"], "1443"))[0]
    document = await _single_envelope(api, incident, original, clock)
    # The envelope's message id is public (it is the report id in the export); the id its
    # import would get, derived the way anyone can compute, is taken first by 1442.
    guessed = str(codec.import_report_id("1443", original["report_id"]))
    claimed = await api.submit(incident["id"], {**report("1442"), "report_id": guessed})
    assert claimed.status == 201
    imported = await _import(api, document, ("1443", "reporter"))
    assert imported.status == 201, imported.body
    again = await _import(api, document, ("1443", "reporter"))
    assert again.status == 200
    assert again.body["reports"][0]["report_id"] == imported.body["reports"][0]["report_id"]
    assert imported.body["reports"][0]["report_id"] != guessed
