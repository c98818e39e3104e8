"""A report sent by e-mail, in a real SMTP session, is stored as the same report sent by
the API would be, and the sender gets an answer saying what happened."""

from __future__ import annotations

import uuid
from datetime import timedelta

from aiohttp import web

from service.clock import FixedClock
from service.domain.plaintext import incident_code
from tests.mail.support import CONTACT, STRANGER, answers, mail, new_id, send
from tests.rounds.support import add_contacts, log_of, outbox
from tests.support import Api
from tests.web.support import add_user


def code_of(incident: dict[str, object]) -> str:
    return incident_code(uuid.UUID(str(incident["id"])))


async def test_a_mail_from_a_registered_contact_is_stored_and_answered_with_its_version(
    api: Api, app: web.Application, dsn: str, contact: str
) -> None:
    incident = await api.activate()
    code = code_of(incident)
    message = mail(
        f"Händelse: {code}\nLäge: Träd över vägarna.\nEl och värme: allvarlig – 300 hushåll\n",
        subject=f"Lägesrapport Vårgårda [{code}]",
    )

    assert await send(app, message) == 250

    stored = await log_of(api, incident["id"], "report.submitted")
    assert len(stored) == 1
    report = stored[0]["data"]["report"]
    assert report["organisation"] == "1442"
    assert report["situation"] == "Träd över vägarna."
    assert report["sectors"] == [{"sector": "energy", "status": "serious", "text": "300 hushåll"}]
    assert report["submitted_by"] == contact
    [answer] = await answers(dsn)
    assert answer["to"] == [contact]
    assert answer["subject"] == f"Re: Lägesrapport Vårgårda [{code}]"
    assert answer["in_reply_to"] == message["Message-ID"]
    assert answer["references"] == [message["Message-ID"]]
    assert "mottagen och lagrad som version 1" in answer["text"]
    assert "stored as version 1" in answer["text"]


async def test_the_subject_names_the_incident_when_the_text_does_not(
    api: Api, app: web.Application, dsn: str, contact: str
) -> None:
    incident = await api.activate()
    code = code_of(incident)

    await send(app, mail("Läge: Lugnt.\n", subject=f"Re: Påminnelse [{code.lower()}]"))

    [event] = await log_of(api, incident["id"], "report.submitted")
    assert event["data"]["report"]["situation"] == "Lugnt."


async def test_the_same_message_id_delivered_twice_stores_one_report_and_one_answer(
    api: Api, app: web.Application, dsn: str, contact: str
) -> None:
    incident = await api.activate()
    message = mail(f"Händelse: {code_of(incident)}\nLäge: Lugnt.\n", message_id=new_id())

    assert await send(app, message) == 250
    assert await send(app, message) == 250

    assert len(await log_of(api, incident["id"], "report.submitted")) == 1
    assert len(await answers(dsn)) == 1


async def test_the_same_content_under_another_message_id_within_the_window_is_one_report(
    api: Api, app: web.Application, dsn: str, clock: FixedClock, contact: str
) -> None:
    incident = await api.activate()
    text = f"Händelse: {code_of(incident)}\nLäge: Lugnt.\n"

    await send(app, mail(text, message_id=new_id()))
    clock.set(clock.now() + timedelta(minutes=30))
    await send(app, mail(text + "\n", message_id=new_id()))

    assert len(await log_of(api, incident["id"], "report.submitted")) == 1
    first, second = await answers(dsn)
    assert "version 1" in first["text"]
    assert "finns redan" in second["text"]
    assert "Inget nytt lagrades" in second["text"]


async def test_the_same_content_after_the_window_is_a_new_version(
    api: Api, app: web.Application, dsn: str, clock: FixedClock, contact: str
) -> None:
    incident = await api.activate()
    text = f"Händelse: {code_of(incident)}\nLäge: Lugnt.\n"

    await send(app, mail(text, message_id=new_id()))
    clock.set(clock.now() + timedelta(minutes=61))
    await send(app, mail(text, message_id=new_id()))

    versions = [
        e["data"]["report"]["version"]
        for e in await log_of(api, incident["id"], "report.submitted")
    ]
    assert versions == [1, 2]


async def test_an_unknown_sender_gets_nothing_stored_and_an_answer_saying_why(
    api: Api, app: web.Application, dsn: str, contact: str
) -> None:
    incident = await api.activate()

    code = await send(app, mail(f"Händelse: {code_of(incident)}\nLäge: Lugnt.\n", sender=STRANGER))

    assert code == 250
    assert await log_of(api, incident["id"], "report.submitted") == []
    [answer] = await answers(dsn)
    assert answer["to"] == [STRANGER]
    assert f"avsändaren {STRANGER} är inte registrerad" in answer["text"]


async def test_unreadable_lines_are_answered_one_by_one_with_their_number_and_the_line(
    api: Api, app: web.Application, dsn: str, contact: str
) -> None:
    incident = await api.activate()
    text = (
        f"Händelse: {code_of(incident)}\n"
        "Läge: Träd över vägarna.\n"
        "El och värme: jättemycket – 300 hushåll\n"
        "Blommor: vackra\n"
    )

    await send(app, mail(text))

    assert await log_of(api, incident["id"], "report.submitted") == []
    [answer] = await answers(dsn)
    lines = answer["text"].splitlines()
    third = lines.index(next(line for line in lines if line.startswith("Rad 3: påverkan")))
    assert lines[third + 1] == "    > El och värme: jättemycket – 300 hushåll"
    fourth = next(i for i, line in enumerate(lines) if line.startswith("Rad 4: kan inte läsas"))
    assert lines[fourth + 1] == "    > Blommor: vackra"
    assert fourth > third
    assert any(line.startswith("Line 3: the impact") for line in lines)  # English below
    assert answer["text"].index("Rad 3") < answer["text"].index("Line 3")


async def test_a_mail_naming_no_incident_is_answered_with_how_to_name_one(
    api: Api, app: web.Application, dsn: str, contact: str
) -> None:
    await api.activate()

    await send(app, mail("Läge: Lugnt.\n", subject="Rapport"))

    [answer] = await answers(dsn)
    assert "säger inte vilken händelse" in answer["text"]


async def test_an_incident_the_senders_organisation_takes_no_part_in_is_not_revealed(
    api: Api, app: web.Application, dsn: str, contact: str
) -> None:
    incident = await api.activate(participants=["1440", "1441"])
    code = code_of(incident)

    await send(app, mail(f"Händelse: {code}\nLäge: Lugnt.\n"))

    assert await log_of(api, incident["id"], "report.submitted") == []
    [answer] = await answers(dsn)
    assert f"ingen pågående händelse med koden {code}" in answer["text"]
    assert incident["title"] not in answer["text"]


async def test_a_closed_incident_takes_no_report_by_mail(
    api: Api, app: web.Application, dsn: str, contact: str
) -> None:
    incident = await api.activate()
    closed = await api.call(
        "POST",
        f"/api/v1/incidents/{incident['id']}/close",
        as_=("LST-14", "duty_officer"),
        json_body={"summary": "Över."},
    )
    assert closed.status == 200, closed.body

    await send(app, mail(f"Händelse: {code_of(incident)}\nLäge: Lugnt.\n"))

    assert await log_of(api, incident["id"], "report.submitted") == []
    [answer] = await answers(dsn)
    assert "Inget lagrades" in answer["text"]


async def test_automatic_mails_are_neither_stored_nor_answered(
    api: Api, app: web.Application, dsn: str, contact: str
) -> None:
    incident = await api.activate()
    text = f"Händelse: {code_of(incident)}\nLäge: Lugnt.\n"

    auto = mail(text, headers={"Auto-Submitted": "auto-replied"})
    assert await send(app, auto) == 250
    assert await send(app, mail(text), envelope_sender="") == 250  # a bounce

    assert await log_of(api, incident["id"], "report.submitted") == []
    assert await outbox(dsn, "mail.reply") == []


async def test_a_reporters_account_address_may_report_for_its_organisation(
    api: Api, app: web.Application, dsn: str
) -> None:
    await add_user(dsn, "reporter@orust.example.se", organisation="1484", role="reporter")
    await add_user(dsn, "viewer@orust.example.se", organisation="1484", role="viewer")
    incident = await api.activate(participants=["1484"])
    text = f"Händelse: {code_of(incident)}\nLäge: Mobilnätet nere.\n"

    await send(app, mail(text, sender="viewer@orust.example.se"))
    await send(app, mail(text, sender="reporter@orust.example.se"))

    [event] = await log_of(api, incident["id"], "report.submitted")
    assert event["data"]["report"]["organisation"] == "1484"
    assert event["data"]["report"]["submitted_by"] == "reporter@orust.example.se"


async def test_an_address_registered_for_two_participants_is_asked_to_choose(
    api: Api, app: web.Application, dsn: str
) -> None:
    await add_contacts(api, {"1442": CONTACT})
    await add_contacts(api, {"1443": CONTACT})
    incident = await api.activate()

    await send(app, mail(f"Händelse: {code_of(incident)}\nLäge: Lugnt.\n"))

    assert await log_of(api, incident["id"], "report.submitted") == []
    [answer] = await answers(dsn)
    assert "flera organisationer" in answer["text"]
    assert "1442, 1443" in answer["text"]
