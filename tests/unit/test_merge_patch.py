"""JSON Merge Patch (RFC 7396): `diff` makes the patch, `merge` applies it."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.picture.merge_patch import diff, merge

# RFC 7396, appendix A: target, patch, result.
RFC_EXAMPLES: list[tuple[Any, Any, Any]] = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


def _canonical(value: Any) -> str:
    """JSON text that tells `1`, `1.0` and `true` apart, unlike `==`."""
    return json.dumps(value, sort_keys=True)


class _NoCompare(list[int]):
    """A list that refuses to be compared, to prove a code path never compares it."""

    def __eq__(self, other: object) -> bool:
        raise AssertionError("compared with ==")

    __hash__ = None


@pytest.mark.parametrize(("target", "patch", "result"), RFC_EXAMPLES)
def test_merge_gives_the_results_of_the_rfc_examples(target: Any, patch: Any, result: Any) -> None:
    assert merge(target, patch) == result


@pytest.mark.parametrize(("target", "patch", "result"), RFC_EXAMPLES)
def test_merge_does_not_mutate_target_or_patch(target: Any, patch: Any, result: Any) -> None:
    target_before, patch_before = copy.deepcopy(target), copy.deepcopy(patch)
    merge(target, patch)
    assert target == target_before
    assert patch == patch_before


def test_merge_shares_untouched_members_with_the_target() -> None:
    untouched = {"deep": [1, 2, 3]}
    target = {"keep": untouched, "change": {"x": 1}}
    merged = merge(target, {"change": {"x": 2}})
    assert merged["keep"] is untouched
    assert merged is not target
    assert target["change"] == {"x": 1}


def test_diff_of_equal_documents_is_empty() -> None:
    assert diff({"a": {"b": [1, 2]}, "c": "d"}, {"a": {"b": [1, 2]}, "c": "d"}) == {}


def test_removed_key_becomes_null() -> None:
    assert diff({"a": 1, "b": 2}, {"a": 1}) == {"b": None}


def test_nested_objects_are_diffed_key_by_key() -> None:
    old = {"org": {"1442": {"impact": "none", "name": "Vårgårda"}, "1440": {"impact": "none"}}}
    new = {"org": {"1442": {"impact": "serious", "name": "Vårgårda"}, "1440": {"impact": "none"}}}
    assert diff(old, new) == {"org": {"1442": {"impact": "serious"}}}


def test_lists_are_replaced_whole() -> None:
    assert diff({"overdue": ["1440", "1442"]}, {"overdue": ["1440"]}) == {"overdue": ["1440"]}


def test_object_replacing_a_scalar_is_sent_whole() -> None:
    assert diff({"a": 1}, {"a": {"b": 2}}) == {"a": {"b": 2}}


def test_emptied_object_nulls_each_old_member() -> None:
    assert diff({"sectors": {"water": "none", "energy": "serious"}}, {"sectors": {}}) == {
        "sectors": {"water": None, "energy": None}
    }


def test_number_bool_and_float_changes_make_a_patch() -> None:
    old = {"a": 1, "b": 1, "c": [1], "d": 0.0}
    new = {"a": True, "b": 1.0, "c": [True], "d": -0.0}
    assert _canonical(diff(old, new)) == _canonical(new)


def test_identical_subobjects_are_skipped_without_comparing() -> None:
    shared = _NoCompare([1, 2])
    assert diff({"a": shared, "b": 1}, {"a": shared, "b": 2}) == {"b": 2}


def test_diff_does_not_mutate_its_inputs() -> None:
    old = {"a": {"b": 1, "c": [1]}, "d": 2}
    new = {"a": {"b": 2}, "e": {"f": None}}
    old_before, new_before = copy.deepcopy(old), copy.deepcopy(new)
    diff(old, new)
    assert old == old_before
    assert new == new_before


_KEYS = st.sampled_from(["a", "b", "c", "d", "e"])
_SCALARS = (
    st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.text(max_size=3)
)
_JSON = st.recursive(
    _SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_KEYS, children, max_size=4),
    max_leaves=12,
)
_DOCUMENTS = st.dictionaries(_KEYS, _JSON, max_size=5)


@settings(max_examples=200, deadline=None)
@given(old=_DOCUMENTS, new=_DOCUMENTS)
def test_merging_the_diff_turns_old_into_new(old: dict[str, Any], new: dict[str, Any]) -> None:
    assert _canonical(merge(old, diff(old, new))) == _canonical(new)


@settings(max_examples=100, deadline=None)
@given(document=_DOCUMENTS)
def test_diff_of_a_document_with_itself_is_empty(document: dict[str, Any]) -> None:
    assert diff(document, copy.deepcopy(document)) == {}


@settings(max_examples=100, deadline=None)
@given(old=_DOCUMENTS, new=_DOCUMENTS)
def test_applying_a_patch_twice_changes_nothing_more(
    old: dict[str, Any], new: dict[str, Any]
) -> None:
    patch = diff(old, new)
    once = merge(old, patch)
    assert _canonical(merge(once, patch)) == _canonical(once)
