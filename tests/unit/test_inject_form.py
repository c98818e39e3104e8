"""The script page's form: every attachment an inject has comes back on saving."""

from __future__ import annotations

from multidict import MultiDict, MultiDictProxy

from service.web.inject_pages import body_of


def test_every_attachment_in_the_form_is_kept_and_an_empty_one_is_dropped() -> None:
    form = MultiDictProxy(
        MultiDict(
            [
                ("text", "Vattnet stiger"),
                ("attachment_name", "SMHI"),
                ("attachment_text", "Orange varning"),
                ("attachment_name", ""),
                ("attachment_text", "Utan namn"),
                ("attachment_name", ""),
                ("attachment_text", "  "),
                ("offset_minutes", "20"),
            ]
        )
    )
    body = body_of(form)
    assert [(a.name, a.text) for a in body.attachments] == [
        ("SMHI", "Orange varning"),
        ("Bilaga", "Utan namn"),
    ]
    assert body.offset_minutes == 20
