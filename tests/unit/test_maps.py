"""The maps' shapes: every municipality of a county (and participants from elsewhere),
Sweden's 21 counties, paths inside the viewBox, neighbours sharing one border, a mark
point inside each area, and small enough to send inline with a page."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from service.web import maps

DATA = Path(__file__).resolve().parents[2] / "service" / "data"


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8") as rows:
        return list(csv.DictReader(rows))


def _points(d: str) -> list[tuple[int, int]]:
    """Absolute points of a path written as `M x y l dx dy … z`, ring after ring."""
    points = []
    for ring in re.findall(r"M(-?\d+) (-?\d+)l([-\d ]*)z", d):
        x, y = int(ring[0]), int(ring[1])
        points.append((x, y))
        numbers = [int(n) for n in re.findall(r"-?\d+", ring[2])]
        for dx, dy in zip(numbers[::2], numbers[1::2], strict=True):
            x, y = x + dx, y + dy
            points.append((x, y))
    return points


def test_a_county_map_has_every_municipality_of_the_county_by_code_and_name() -> None:
    expected = {
        (r["code"], r["name"]) for r in _rows("municipalities.csv") if r["county_code"] == "14"
    }
    shape = maps.county_map("14")
    assert {(a.code, a.name) for a in shape.areas} == expected
    assert len(shape.areas) == 49


def test_a_participant_from_another_county_is_on_the_map_too() -> None:
    shape = maps.county_map("14", ["1442", "1384", "LST-14"])  # Kungsbacka is in Halland
    assert "1384" in shape.codes()
    assert len(shape.areas) == 50


def test_the_counties_map_has_sweden_s_21_counties() -> None:
    expected = {(r["code"], r["name"]) for r in _rows("counties.csv")}
    assert {(a.code, a.name) for a in maps.counties_map().areas} == expected


def test_paths_and_marks_lie_inside_the_viewbox() -> None:
    for shape in (maps.county_map("01"), maps.county_map("25"), maps.counties_map()):
        assert max(shape.width, shape.height) in range(maps.SIZE - 1, maps.SIZE + 2)
        for area in shape.areas:
            points = _points(area.d)
            assert len(points) >= 3, area.code
            assert all(0 <= x <= shape.width and 0 <= y <= shape.height for x, y in points)
            assert 0 <= area.x <= shape.width
            assert 0 <= area.y <= shape.height
            assert area.r > 0, area.code


def test_neighbours_share_their_border_point_for_point() -> None:
    """Simplified arc by arc: a border point of one municipality is a point of its
    neighbour too, so no slivers open between them."""
    shape = maps.county_map("14")
    by_code = {area.code: set(_points(area.d)) for area in shape.areas}
    # Vårgårda (1442) and Herrljunga (1466) are neighbours
    shared = by_code["1442"] & by_code["1466"]
    assert len(shared) >= 3


def test_north_is_up() -> None:
    shape = maps.counties_map()
    y = {area.code: area.y for area in shape.areas}
    assert y["25"] < y["01"] < y["12"]  # Norrbotten above Stockholm above Skåne


def test_the_shapes_are_small_enough_to_send_with_the_page() -> None:
    for shape in (maps.county_map("14"), maps.county_map("25"), maps.counties_map()):
        assert sum(len(area.d) for area in shape.areas) < 14_000
