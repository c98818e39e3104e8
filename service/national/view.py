"""The national roll-up as the API answers it and the page shows it."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from service.access.policy import can_see_national
from service.access.principal import Principal
from service.errors import NotFound
from service.national.rollup import KINDS, Rollup, with_ages


@cache
def county_names() -> dict[str, str]:
    """The 21 counties by code (`14` → `Västra Götalands län`), from the seed facts."""
    data = resources.files("service") / "data" / "counties.csv"
    return {
        row["code"]: row["name"] for row in csv.DictReader(io.StringIO(data.read_text("utf-8")))
    }


def require_national(principal: Principal) -> None:
    """Agencies and admins only; to anyone else the roll-up does not exist (404)."""
    if not can_see_national(principal):
        raise NotFound("no such resource")


def national_view(rollup: Rollup, seq: int, now: datetime) -> dict[str, Any]:
    """`GET /api/v1/national`: the roll-up with each summary's age at `now`, each county's
    name, and the `seq` of the `national` stream topic it stands at."""
    names = county_names()
    view: dict[str, Any] = {"generated_at": now.isoformat(), "seq": seq}
    for kind in KINDS:
        part = with_ages(rollup[kind], now)
        part["counties"] = {
            code: {"name": names.get(code, code), **county}
            for code, county in part["counties"].items()
        }
        view[kind] = part
    view["county_names"] = names
    return view
