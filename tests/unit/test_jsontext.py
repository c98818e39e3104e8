"""The service's JSON text (service/jsontext.py) is the standard library's compact form."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from service import jsontext

TEXT = st.text(st.characters(exclude_categories=["Cs"]))  # no lone surrogates: not UTF-8
SCALARS = st.none() | st.booleans() | st.integers() | TEXT
# What the service's answers, frames and exports hold: no floats in this one (below).
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(TEXT, inner, max_size=5),
    max_leaves=40,
)
WITH_FLOATS = st.recursive(
    SCALARS | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(TEXT, inner, max_size=5),
    max_leaves=40,
)


def _standard(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@given(VALUES)
def test_the_text_is_the_standard_librarys_compact_form(value: Any) -> None:
    assert jsontext.dumps(value) == _standard(value)
    assert jsontext.dumps_bytes(value) == _standard(value).encode()


@given(WITH_FLOATS)
def test_a_float_may_be_written_otherwise_but_reads_back_the_same(value: Any) -> None:
    assert json.loads(jsontext.dumps(value)) == value


def test_swedish_letters_are_themselves_and_control_characters_escaped() -> None:
    assert jsontext.dumps({"ort": "Vårgårda", "rad": "a\nb\x01"}) == (
        '{"ort":"Vårgårda","rad":"a\\nb\\u0001"}'
    )
