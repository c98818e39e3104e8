"""JSON Merge Patch (RFC 7396): compute the patch between two documents, and apply one.

Both functions are pure: they never mutate their arguments, and they share unchanged
sub-objects between input and output instead of copying them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """Return the merge patch that turns `old` into `new`.

    Keys missing from `new` become `None` (JSON `null`), objects present on both sides
    are compared key by key, and anything else that differs (scalars, lists, an object
    replacing a scalar) is replaced whole. Unchanged keys are left out, so equal inputs
    give `{}`. Identical objects (`is`) are skipped without looking inside, which makes
    structurally shared pictures cheap to compare.

    `new` must not hold `None` values: RFC 7396 cannot express "set to null".
    """
    patch: dict[str, Any] = {key: None for key in old if key not in new}
    for key, new_value in new.items():
        if key not in old:
            patch[key] = new_value
            continue
        old_value = old[key]
        if old_value is new_value:
            continue
        if isinstance(old_value, Mapping) and isinstance(new_value, Mapping):
            nested = diff(old_value, new_value)
            if nested:
                patch[key] = nested
        elif not _json_equal(old_value, new_value):
            patch[key] = new_value
    return patch


def merge(target: Any, patch: Any) -> Any:
    """Apply the merge patch `patch` to `target` (RFC 7396, section 2) and return the result.

    A patch that is not an object replaces the target whole; an object patch is applied
    key by key, `None` removing a key. The inputs are never mutated: every object on a
    changed path is new, everything else is shared with `target` or `patch`.
    """
    if not isinstance(patch, Mapping):
        return patch
    result: dict[str, Any] = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge(result.get(key), value)
    return result


def _json_equal(left: Any, right: Any) -> bool:
    """Whether two JSON-like values would serialise the same.

    Stricter than `==`, which holds `1 == 1.0 == True` and `0.0 == -0.0`: those serialise
    differently, so a change between them must still make a patch.
    """
    if left is right:
        return True
    if type(left) is not type(right):
        return False
    if isinstance(left, Mapping):
        return left.keys() == right.keys() and all(
            _json_equal(value, right[key]) for key, value in left.items()
        )
    if isinstance(left, list | tuple):
        return len(left) == len(right) and all(
            _json_equal(a, b) for a, b in zip(left, right, strict=True)
        )
    if isinstance(left, float):
        return left == right and math.copysign(1.0, left) == math.copysign(1.0, right)
    return bool(left == right)
