"""`GET /log` puts each event's stored data into the page as text: the page must parse to
exactly the events the log holds."""

from __future__ import annotations

import uuid

from service.db.pool import create_pool
from service.repo import events
from tests.support import Api, report


async def test_a_log_page_is_the_stored_events_exactly(api: Api) -> None:
    incident = await api.activate(title='Storm "Ådalen" \\ \u2028 ☔')
    for text in ('Läget: "lugnt"\n\tmen \\ kallt', "😀 \u0001 </script>"):
        reply = await api.submit(incident["id"], report("1442", situation=text))
        assert reply.status == 201, reply.body
    page = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/log?since=1&limit=1", as_=("1442", "viewer")
    )
    assert page.status == 200, page.body
    assert page.content_type == "application/json"
    pool = await create_pool(api.dsn, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            expected = await events.since(conn, uuid.UUID(incident["id"]), 1, limit=1)
            everything = await events.since(conn, uuid.UUID(incident["id"]), 0)
    finally:
        await pool.close()
    assert page.body == {
        "incident_id": incident["id"],
        "events": expected,
        "last_seq": 3,
        "more": True,
    }
    whole = await api.call("GET", f"/api/v1/incidents/{incident['id']}/log", as_=("1442", "viewer"))
    assert whole.body["events"] == everything
    assert whole.body["more"] is False
    empty = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/log?since=3", as_=("1442", "viewer")
    )
    assert empty.body == {"incident_id": incident["id"], "events": [], "last_seq": 3, "more": False}
