"""`lagesbild template INCIDENT ORG`: the text to fill in, from the latest report."""

from __future__ import annotations

import uuid
from pathlib import Path

from aiohttp import web

from service import keys
from service.clock import FixedClock
from service.domain.plaintext import ParsedReport, incident_code, parse
from service.domain.text_reports import submit_text
from tests.api.test_text_reports import CONTENT, reporter
from tests.command import lagesbild
from tests.support import Api, report


async def test_the_template_parses_back_to_the_previous_report_and_names_the_incident(
    api: Api, app: web.Application, dsn: str, clock: FixedClock, tmp_path: Path
) -> None:
    incident = await api.activate(exercise=True)
    submitted = await api.submit(incident["id"], report("1442", **CONTENT))
    assert submitted.status == 201, submitted.body
    code = incident_code(uuid.UUID(incident["id"]))

    ran = await lagesbild("template", incident["id"], "1442", database_url=dsn, data_dir=tmp_path)
    assert ran.code == 0, ran.err
    first = ran.out.splitlines()[0]
    assert first == f"Händelse: {code} – ÖVNING – {incident['title']}"
    parsed = parse(ran.out)
    assert isinstance(parsed, ParsedReport), parsed.text()
    assert parsed.incident_code == code
    assert parsed.content.model_dump(mode="json") == {
        k: v for k, v in submitted.body.items() if k in CONTENT
    } | {"needs": submitted.body["needs"], "next_report_at": submitted.body["next_report_at"]}

    # sent as it is, it is a valid report of the same content
    sent = await submit_text(
        app[keys.pool],
        await reporter(dsn, "1442"),
        uuid.UUID(incident["id"]),
        ran.out,
        "email:<template@example.se>",
        clock.now(),
    )
    assert sent.created
    assert sent.report.version == 2
    assert sent.report.model_dump(mode="json", include=set(CONTENT)) == {
        k: v for k, v in submitted.body.items() if k in CONTENT
    }


async def test_the_template_is_found_by_the_short_code_and_is_empty_without_a_report(
    api: Api, dsn: str, tmp_path: Path
) -> None:
    incident = await api.activate()
    code = incident_code(uuid.UUID(incident["id"]))
    ran = await lagesbild(
        "template", code.lower().replace("-", ""), "1443", database_url=dsn, data_dir=tmp_path
    )
    assert ran.code == 0, ran.err
    lines = ran.out.splitlines()
    assert lines[0] == f"Händelse: {code} – {incident['title']}"
    assert "Läge:" in lines
    assert "Kontakt:" in lines
    assert isinstance(parse(ran.out), ParsedReport)


async def test_the_template_for_an_unknown_incident_or_organisation_is_refused(
    api: Api, dsn: str, tmp_path: Path
) -> None:
    incident = await api.activate()
    unknown = await lagesbild("template", "ZZZ-ZZZ", "1442", database_url=dsn, data_dir=tmp_path)
    assert unknown.code == 1
    assert "no incident" in unknown.err
    assert unknown.out == ""
    nobody = await lagesbild(
        "template", incident["id"], "9999", database_url=dsn, data_dir=tmp_path
    )
    assert nobody.code == 2
    assert "unknown organisation" in nobody.err
