from tests.support import Api, report


async def test_activated_incident_takes_a_report_and_shows_it_in_the_picture(api: Api) -> None:
    incident = await api.activate()
    reply = await api.submit(
        incident["id"], report("1442", sectors=[{"sector": "energy", "status": "serious"}])
    )
    assert reply.status == 201, reply.body
    picture = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/picture", as_=("LST-14", "viewer")
    )
    assert picture.body["organisations"]["1442"]["impact"] == "serious"
    assert picture.body["seq"] == 2
