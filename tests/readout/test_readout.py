"""`GET /api/v1/incidents/{id}/readout`: the Rakel read-out, and spoken in under a minute."""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

import asyncpg
import pytest

from service.app import create_app
from service.clock import FixedClock
from service.config import Settings
from service.demo.county import ensure_demo
from service.domain import readout
from tests.support import T0, Api, Who, assert_problem, report, served

VIEWER: Who = ("LST-14", "viewer")

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None,
    reason="espeak-ng (Debian's espeak-ng; `make test` installs it)",
)


def spoken_seconds(text: str, folder: Path) -> float:
    """How long espeak-ng's Swedish voice takes to say `text`, from the WAV header."""
    script = folder / "readout.txt"
    script.write_text(text, encoding="utf-8")
    audio = folder / "readout.wav"
    subprocess.run(  # noqa: S603  # fixed arguments, our own file names
        ["espeak-ng", "-v", "sv", "-f", str(script), "-w", str(audio)],  # noqa: S607  # from PATH
        check=True,
        capture_output=True,
        timeout=120,
    )
    with wave.open(str(audio), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


async def _demo_incident(dsn: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        return str(await conn.fetchval("SELECT id FROM incidents"))
    finally:
        await conn.close()


async def test_readout_is_plain_swedish_text_for_whoever_sees_the_incident(api: Api) -> None:
    incident = await api.activate()
    await api.submit(
        incident["id"],
        report(
            "1442",
            sectors=[{"sector": "energy", "status": "critical", "text": ""}],
            development={"trend": "worsening"},
        ),
    )
    reply = await api.call("GET", f"/api/v1/incidents/{incident['id']}/readout", as_=VIEWER)
    assert reply.status == 200
    assert reply.content_type == "text/plain"
    assert reply.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "Kritisk påverkan på el och värme" in reply.body
    assert "Läget försämras" in reply.body
    reporter = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/readout", as_=("1441", "reporter")
    )
    assert reporter.status == 200


async def test_readout_as_json_carries_sentences_and_counts(api: Api) -> None:
    incident = await api.activate(exercise=True)
    reply = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/readout?format=json", as_=VIEWER
    )
    assert reply.status == 200, reply.body
    assert reply.body["exercise"] is True
    assert reply.body["organisation"] is None
    assert reply.body["sentences"][0].startswith("ÖVNING")
    assert reply.body["sentences"][-1].startswith("ÖVNING")
    assert reply.body["text"] == "\n".join(reply.body["sentences"])
    assert reply.body["words"] > 0
    assert reply.body["left_out"] == 0


async def test_one_municipalitys_latest_report_is_read_out(api: Api) -> None:
    incident = await api.activate()
    path = f"/api/v1/incidents/{incident['id']}/readout?organisation=1442"
    none_yet = await api.call("GET", path, as_=VIEWER)
    assert none_yet.body.strip() == "Vårgårda har ännu inte lämnat någon lägesrapport."
    await api.submit(incident["id"], report("1442", situation="Lugnt."))
    await api.submit(incident["id"], report("1442", situation="Träd över vägen 42."))
    reply = await api.call("GET", path, as_=VIEWER)
    assert "version två" in reply.body
    assert "Läget: Träd över vägen fyrtiotvå." in reply.body


async def test_readout_of_a_non_participant_or_with_a_bad_query_is_a_problem(api: Api) -> None:
    incident = await api.activate()
    base = f"/api/v1/incidents/{incident['id']}/readout"
    assert_problem(
        await api.call("GET", base + "?organisation=1480", as_=VIEWER),
        422,
        loc=["query", "organisation"],
    )
    assert_problem(
        await api.call("GET", base + "?format=mp3", as_=VIEWER), 422, loc=["query", "format"]
    )
    assert_problem(await api.call("GET", base, as_=("1480", "reporter")), 404)


@needs_espeak
async def test_demo_readouts_are_spoken_in_under_a_minute(
    settings: Settings, dsn: str, clock: FixedClock, tmp_path: Path
) -> None:
    await ensure_demo(dsn, settings, clock=clock)
    incident_id = await _demo_incident(dsn)
    async with served(create_app(settings, dsn=dsn, clock=clock), dsn) as api:
        county = await api.call("GET", f"/api/v1/incidents/{incident_id}/readout", as_=VIEWER)
        own = await api.call(
            "GET", f"/api/v1/incidents/{incident_id}/readout?organisation=1442", as_=VIEWER
        )
    assert county.status == own.status == 200
    for script in (county.body, own.body):
        lines = script.strip().splitlines()
        assert lines[0].startswith("ÖVNING")
        assert lines[-1].startswith("ÖVNING")
        seconds = spoken_seconds(script, tmp_path)
        words = len(script.split())
        # Real speech of every word (espeak says two to four words a second), and short.
        assert words / 5 < seconds < 60, (seconds, script)
    assert "påverkan" in county.body
    assert "Nästa rapporteringstid" in county.body
    assert "Vårgårda" in own.body


@needs_espeak
def test_the_most_crowded_picture_is_still_spoken_in_under_a_minute(tmp_path: Path) -> None:
    sectors = ("water", "energy", "food", "care", "communication", "transport", "other")
    organisations = {
        f"{1400 + i}": {
            "name": f"Kommun nummer {i}",
            "trend": "worsening",
            "sectors": dict.fromkeys(sectors, "critical" if i % 2 else "serious"),
        }
        for i in range(49)
    }
    needs = {
        f"{code}/n": {
            "organisation": code,
            "urgency": "critical",
            "since": code,
            "text": "Reservkraft till vattenverket i centralorten " * 5,
        }
        for code in organisations
    }
    picture = {
        "seq": 1,
        "incident": {"title": "Storm och skyfall " * 20, "exercise": True, "status": "active"},
        "organisations": organisations,
        "needs": needs,
        "reporting": {
            "due_at": "2026-11-23T07:00:00+00:00",
            "expected": 49,
            "received": 0,
            "overdue": sorted(organisations),
        },
    }
    script = readout.county(picture, T0)
    assert script.left_out > 0
    assert spoken_seconds(script.text, tmp_path) < 60
