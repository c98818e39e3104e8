"""Every wire model yields a JSON Schema, and the report schema says what docs/design.md says."""

from __future__ import annotations

import pytest

from service.http.schemas import all_names, json_schema


@pytest.mark.parametrize("name", all_names())
def test_every_wire_model_has_a_json_schema(name: str) -> None:
    schema = json_schema(name)
    assert schema.get("type") == "object" or "oneOf" in schema or "anyOf" in schema


def test_report_schema_names_the_impact_scale_and_required_ids() -> None:
    schema = json_schema("report-submission")
    assert set(schema["required"]) == {"report_id", "organisation"}
    status = schema["$defs"]["SectorStatus"]["properties"]["status"]
    assert status["enum"] == ["none", "moderate", "significant", "serious", "critical", "unknown"]
    sector = schema["$defs"]["SectorStatus"]["properties"]["sector"]
    assert set(sector["enum"]) == {
        "water", "energy", "food", "care", "communication", "transport", "other",
    }  # fmt: skip
