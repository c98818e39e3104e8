"""The SMS side of a reply: numbers read as E.164, lengths counted as phones count them,
a long reply split into numbered parts or shortened, saying so."""

from __future__ import annotations

import pytest

from adapters.sms import texts
from service.domain.phones import e164


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("070-123 45 67", "+46701234567"),
        ("+46 70 123 45 67", "+46701234567"),
        ("0046701234567", "+46701234567"),
        ("+4770123456", "+4770123456"),
        ("Vårgårda", None),
        ("123", None),
    ],
)
def test_a_number_is_read_as_e164_and_a_national_one_as_swedish(
    written: str, expected: str | None
) -> None:
    assert e164(written) == expected


def test_swedish_letters_are_one_septet_and_the_euro_sign_two() -> None:
    assert texts.is_gsm("Åsa är på väg, öppnar 18:00")
    assert texts.length("åäö") == 3
    assert texts.length("10 €") == 5
    assert not texts.is_gsm("Łódź")
    assert texts.length("Łódź") == 4


def test_a_reply_of_one_sms_is_sent_as_it_is() -> None:
    text = "a" * 160
    assert texts.split(text, max_parts=3) == texts.Parts((text,), shortened=False)


def test_a_longer_reply_goes_as_numbered_parts_that_each_fit_and_lose_nothing() -> None:
    words = [f"ord{n}" for n in range(80)]
    text = " ".join(words)
    parts = texts.split(text, max_parts=5)
    assert not parts.shortened
    assert len(parts.parts) > 1
    count = len(parts.parts)
    for n, part in enumerate(parts.parts, start=1):
        assert part.startswith(f"{n}/{count} ")
        assert texts.length(part) <= 153
    rejoined = " ".join(part.split(" ", 1)[1] for part in parts.parts)
    assert rejoined.split() == words


def test_a_reply_beyond_the_parts_allowed_is_shortened_and_says_so() -> None:
    text = "Rad 1: okänd nivå. " * 60
    parts = texts.split(text, max_parts=2)
    assert parts.shortened
    assert len(parts.parts) == 2
    assert parts.parts[-1].endswith("(förkortat)")
    assert all(texts.length(part) <= 153 for part in parts.parts)


def test_outside_the_gsm_alphabet_a_part_is_70_characters() -> None:
    single = "Ł" * 70
    assert texts.split(single, max_parts=3).parts == (single,)
    parts = texts.split("Ł" * 71, max_parts=3)
    assert len(parts.parts) == 2
    assert all(len(part) <= 67 for part in parts.parts)


def test_the_same_text_with_other_whitespace_has_the_same_digest() -> None:
    assert texts.text_digest("Läge: lugnt\r\n") == texts.text_digest("  Läge: lugnt  ")
    assert texts.text_digest("Läge: lugnt") != texts.text_digest("Läge: oroligt")
