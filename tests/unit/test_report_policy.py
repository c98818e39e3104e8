"""Who may report for which organisation: one rule for the API, imports and pushes."""

from __future__ import annotations

import pytest

from schemas.common import Role
from service.access.policy import may_report_for
from service.access.principal import Principal, Scope


def caller(role: Role, organisation: str = "LST-14", scope: Scope | None = None) -> Principal:
    county = "14" if organisation.startswith(("LST-14", "14")) else None
    kind = "county_board" if organisation.startswith("LST") else "municipality"
    return Principal(
        name="x",
        organisation=organisation,
        org_kind=kind,
        org_county=county,
        role=role,
        scope=scope or Scope(),
    )


@pytest.mark.parametrize(
    ("principal", "organisation", "county", "allowed"),
    [
        (caller("reporter", "1442"), "1442", "14", True),
        (caller("reporter", "1442"), "1443", "14", False),
        (caller("viewer", "1442"), "1442", "14", False),
        (caller("duty_officer"), "1442", "14", False),
        (caller("admin"), "1442", "14", False),
        (caller("adapter"), "LST-14", "14", True),  # no scope: its own organisation
        (caller("adapter"), "1442", "14", False),
        (caller("adapter", scope=Scope(county="14")), "1442", "14", True),
        (caller("adapter", scope=Scope(county="14")), "1380", "13", False),
        (caller("adapter", scope=Scope(county="14")), "MSB", None, False),
        (caller("adapter", scope=Scope(organisations=frozenset({"1442"}))), "1442", "14", True),
        (caller("adapter", scope=Scope(organisations=frozenset({"1442"}))), "1443", "14", False),
        (caller("adapter", scope=Scope(organisations=frozenset({"1442"}))), "LST-14", "14", False),
        (Principal.operator("lagesbild import-edxl"), "1380", "13", True),
    ],
)
def test_who_may_report_for_an_organisation(
    principal: Principal, organisation: str, county: str | None, allowed: bool
) -> None:
    assert may_report_for(principal, organisation, county) is allowed
