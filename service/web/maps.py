"""Maps drawn as inline SVG: the municipalities of a county, or Sweden's counties.

The shapes come from `service/data/geo/sweden.topojson` (see its SOURCES.md) and are
made ready once per process, when a map is first asked for: the shared arcs are
projected (Lambert azimuthal equal-area, centred on the map, so north is up and areas
keep their proportions), simplified to the map's scale (Douglas–Peucker on each arc,
ends fixed, so neighbours keep one common border and no gaps open), rounded to whole
units of a viewBox about 1000 units across, and written as compact relative SVG paths.
Each area also gets a point well inside it for its text mark (the largest circle that
fits its largest part, searched on a grid).

Nothing here knows of incidents or levels: a page draws the shapes, its script paints
them (`static/map.js`).
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

SIZE = 1000  # the longer side of a map's viewBox
TOLERANCE = 1.2  # viewBox units a simplified border may stray from the source

Point = tuple[float, float]
Ring = list[Point]


@dataclass(frozen=True, slots=True)
class Area:
    code: str
    name: str
    d: str  # SVG path data
    x: int  # a point well inside, for the area's text mark
    y: int
    r: int  # the radius of the largest circle found inside there


@dataclass(frozen=True, slots=True)
class MapShape:
    width: int
    height: int
    areas: tuple[Area, ...]

    def codes(self) -> list[str]:
        return [area.code for area in self.areas]


@functools.cache
def _topology() -> dict[str, Any]:
    text = (resources.files("service") / "data" / "geo" / "sweden.topojson").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@functools.cache
def _arcs() -> tuple[tuple[Point, ...], ...]:
    """Every arc in longitude/latitude, decoded from the quantized deltas."""
    topology = _topology()
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    decoded = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        decoded.append(tuple(points))
    return tuple(decoded)


def _geometries(layer: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = _topology()["objects"][layer]["geometries"]
    return found


def _polygons(geometry: dict[str, Any]) -> list[list[list[int]]]:
    """A Polygon or MultiPolygon as a list of polygons, each a list of rings of arc ids."""
    if geometry["type"] == "Polygon":
        return [geometry["arcs"]]
    polygons: list[list[list[int]]] = geometry["arcs"]
    return polygons


def _projection(geometries: list[dict[str, Any]]) -> tuple[Callable[[Point], Point], set[int]]:
    arcs = _arcs()
    used = {a if a >= 0 else ~a for g in geometries for p in _polygons(g) for r in p for a in r}
    lons = [lon for a in used for lon, _ in arcs[a]]
    lats = [lat for a in used for _, lat in arcs[a]]
    lon0 = math.radians((min(lons) + max(lons)) / 2)
    lat0 = math.radians((min(lats) + max(lats)) / 2)
    sin0, cos0 = math.sin(lat0), math.cos(lat0)

    def project(point: Point) -> Point:
        lon, lat = math.radians(point[0]) - lon0, math.radians(point[1])
        k = math.sqrt(2 / (1 + sin0 * math.sin(lat) + cos0 * math.cos(lat) * math.cos(lon)))
        x = k * math.cos(lat) * math.sin(lon)
        y = k * (cos0 * math.sin(lat) - sin0 * math.cos(lat) * math.cos(lon))
        return x, -y

    return project, used


def _simplify(points: list[Point], tolerance: float) -> list[Point]:
    """Douglas–Peucker, keeping both ends; a closed arc is split at its farthest point."""
    if len(points) < 3:
        return points
    if points[0] == points[-1]:
        far = max(range(len(points)), key=lambda i: _dist2(points[i], points[0]))
        if far == 0:
            return points[:1]
        head = _simplify(points[: far + 1], tolerance)
        return head[:-1] + _simplify(points[far:], tolerance)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    limit = tolerance * tolerance
    while stack:
        first, last = stack.pop()
        worst, index = 0.0, -1
        for i in range(first + 1, last):
            d = _segment_dist2(points[i], points[first], points[last])
            if d > worst:
                worst, index = d, i
        if index >= 0 and worst > limit:
            keep[index] = True
            stack.append((first, index))
            stack.append((index, last))
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def _dist2(a: Point, b: Point) -> float:
    return (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2


def _segment_dist2(p: Point, a: Point, b: Point) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = dx * dx + dy * dy
    if length == 0:
        return _dist2(p, a)
    t = max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length))
    return _dist2(p, (a[0] + t * dx, a[1] + t * dy))


def _ring_area(ring: Ring) -> float:
    return (
        abs(sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:] + ring[:1], strict=True)))
        / 2
    )


def _inside(point: Point, rings: list[Ring]) -> bool:
    x, y = point
    inside = False
    for ring in rings:
        for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
    return inside


def _edge_distance(point: Point, rings: list[Ring]) -> float:
    return math.sqrt(
        min(
            _segment_dist2(point, a, b)
            for ring in rings
            for a, b in zip(ring, ring[1:] + ring[:1], strict=True)
        )
    )


def _label_point(rings: list[Ring]) -> tuple[float, float, float]:
    """A point inside the polygon `rings` (outer ring first) far from its edges."""
    xs = [x for x, _ in rings[0]]
    ys = [y for _, y in rings[0]]
    best = (sum(xs) / len(xs), sum(ys) / len(ys), 0.0)
    x0, y0, w, h = min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)
    steps = 9
    for _ in range(3):  # a grid, then finer grids around the best point found so far
        for i in range(steps + 1):
            for j in range(steps + 1):
                point = (x0 + w * i / steps, y0 + h * j / steps)
                if _inside(point, rings):
                    r = _edge_distance(point, rings)
                    if r > best[2]:
                        best = (point[0], point[1], r)
        w, h = w / 3, h / 3
        x0, y0 = best[0] - w / 2, best[1] - h / 2
    return best


def _path(rings: list[list[tuple[int, int]]]) -> str:
    parts = []
    for ring in rings:
        (x, y), rest = ring[0], ring[1:]
        steps = []
        for nx, ny in rest:
            steps.append(f"{nx - x}{'' if ny - y < 0 else ' '}{ny - y}")
            x, y = nx, ny
        moves = " ".join(steps).replace(" -", "-")
        parts.append(f"M{ring[0][0]} {ring[0][1]}l{moves}z")
    return "".join(parts)


def _draw(geometries: list[dict[str, Any]]) -> MapShape:
    project, used = _projection(geometries)
    projected = {a: [project(p) for p in _arcs()[a]] for a in used}
    xs = [x for points in projected.values() for x, _ in points]
    ys = [y for points in projected.values() for _, y in points]
    span = max(max(xs) - min(xs), max(ys) - min(ys))
    scale, left, top = SIZE / span, min(xs), min(ys)
    arcs = {
        a: _simplify([((x - left) * scale, (y - top) * scale) for x, y in points], TOLERANCE)
        for a, points in projected.items()
    }
    areas = []
    for geometry in geometries:
        paths: list[list[tuple[int, int]]] = []
        biggest: tuple[float, list[Ring]] = (-1.0, [])
        for polygon in _polygons(geometry):
            rings: list[Ring] = []
            for ring_arcs in polygon:
                ring: Ring = []
                for a in ring_arcs:
                    points = arcs[a] if a >= 0 else arcs[~a][::-1]
                    ring.extend(points[1:] if ring else points)
                rounded = [(round(x), round(y)) for x, y in ring]
                rounded = [p for i, p in enumerate(rounded) if i == 0 or p != rounded[i - 1]]
                if len(set(rounded)) >= 3:
                    paths.append(rounded[:-1] if rounded[0] == rounded[-1] else rounded)
                    rings.append(ring)
            if rings and (area := _ring_area(rings[0])) > biggest[0]:
                biggest = (area, rings)
        x, y, r = _label_point(biggest[1])
        properties = geometry["properties"]
        areas.append(
            Area(properties["code"], properties["name"], _path(paths), round(x), round(y), round(r))
        )
    return MapShape(
        width=math.ceil((max(xs) - left) * scale),
        height=math.ceil((max(ys) - top) * scale),
        areas=tuple(areas),
    )


def county_map(county: str, participants: Iterable[str] = ()) -> MapShape:
    """The municipalities of `county`, and any participating municipality of another
    county (an incident may ask a neighbour to report)."""
    municipalities = {g["properties"]["code"]: g for g in _geometries("municipalities")}
    elsewhere = frozenset(
        code
        for code in participants
        if code in municipalities and municipalities[code]["properties"]["county_code"] != county
    )
    return _county_map(county, elsewhere)


@functools.lru_cache(maxsize=64)
def _county_map(county: str, elsewhere: frozenset[str]) -> MapShape:
    chosen = [
        g
        for g in _geometries("municipalities")
        if g["properties"]["county_code"] == county or g["properties"]["code"] in elsewhere
    ]
    if not chosen:
        raise KeyError(county)
    return _draw(chosen)


@functools.cache
def counties_map() -> MapShape:
    """Sweden's 21 counties."""
    return _draw(_geometries("counties"))
