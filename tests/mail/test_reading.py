"""What of a received mail is read as the report: the sender's own lines, not the quote."""

from __future__ import annotations

import uuid
from email.message import EmailMessage

from adapters.mail.reading import answer_text, codes_in_subject, html_text, read
from adapters.mail.replies import Answer, payload
from service.outbox.email_channel import EmailPayload


def test_lines_written_above_a_quoted_reminder_are_the_report() -> None:
    body = (
        "Läge: Lugnt igen.\n"
        "\n"
        "Den 22 nov. 2026 kl. 13:30 skrev Lägesbild <lagesbild@lst14.example.se>:\n"
        "> Påminnelse: lägesrapport senast 2026-11-22 14:00\n"
        ">\n"
        "> Läge: Stormen har fällt träd.\n"
    )
    assert answer_text(body) == "Läge: Lugnt igen.\n"


def test_a_template_filled_in_inside_the_quote_is_read_without_the_quote_marks() -> None:
    body = "> Händelse: K7Q-4M2 – Storm\n> Läge: Lugnt igen.\n>   Inga nya larm.\n"
    assert answer_text(body) == "Händelse: K7Q-4M2 – Storm\nLäge: Lugnt igen.\n  Inga nya larm.\n"


def test_a_forwarded_original_below_a_separator_is_left_out() -> None:
    body = "Läge: Lugnt.\n\n-----Original Message-----\nFrom: Lägesbild\nLäge: Gammalt.\n"
    assert answer_text(body) == "Läge: Lugnt.\n"


def test_an_html_only_mail_is_read_as_its_text_lines() -> None:
    html = (
        "<html><head><style>p{}</style></head><body><p>Läge: Lugnt&nbsp;igen.</p>"
        "<div>Utveckling: förbättras</div><blockquote>Läge: Gammalt.</blockquote></body></html>"
    )
    text = answer_text(html_text(html))
    assert text == "Läge: Lugnt igen.\n\nUtveckling: förbättras\n"


def test_the_subject_names_codes_bracketed_first_in_their_shown_form() -> None:
    assert codes_in_subject("Re: ÖVNING Påminnelse – Storm ABC-DEF [k7q 4m2]") == [
        "K7Q-4M2",
        "ABC-DEF",
    ]
    assert codes_in_subject("Re: Lägesrapport") == []


def test_a_mail_without_message_id_gets_one_made_from_its_content() -> None:
    message = EmailMessage()
    message["From"] = "ISK <ISK@Vargarda.example.se>"
    message["Subject"] = "Rapport"
    message.set_content("Läge: Lugnt.\n")
    raw = message.as_bytes()

    first = read(raw, envelope_sender="isk@vargarda.example.se")
    again = read(raw, envelope_sender="isk@vargarda.example.se")

    assert first.sender == "isk@vargarda.example.se"
    assert first.message_id == again.message_id
    assert first.message_id.startswith("<")
    assert first.message_id.endswith(">")
    assert not first.automatic
    incident = uuid.uuid4()
    assert first.content_hash(incident) == again.content_hash(incident)
    assert first.content_hash(incident) != first.content_hash(uuid.uuid4())


def test_bounces_auto_replies_and_list_mail_are_automatic() -> None:
    message = EmailMessage()
    message["From"] = "isk@vargarda.example.se"
    message.set_content("Läge: Lugnt.\n")
    assert read(message.as_bytes(), envelope_sender="").automatic
    message["Precedence"] = "bulk"
    assert read(message.as_bytes(), envelope_sender="isk@vargarda.example.se").automatic


def test_a_mail_from_two_addresses_has_no_sender() -> None:
    message = EmailMessage()
    message["From"] = "a@example.se, b@example.se"
    message.set_content("Läge: Lugnt.\n")
    assert read(message.as_bytes(), envelope_sender="a@example.se").sender is None


def test_an_answer_threads_only_under_message_ids_a_header_can_carry() -> None:
    message = EmailMessage()
    message["From"] = "isk@vargarda.example.se"
    message["Message-ID"] = "no brackets here"
    message["References"] = " ".join(f"<{n}@example.se>" for n in range(40))
    message.set_content("Läge: Lugnt.\n")
    mail = read(message.as_bytes(), envelope_sender="isk@vargarda.example.se")

    body = payload(Answer("Re: x", "text"), mail, "isk@vargarda.example.se")

    assert "in_reply_to" not in body
    assert body["references"] == [f"<{n}@example.se>" for n in range(20, 40)]
    EmailPayload.model_validate(body)  # the channel takes it
