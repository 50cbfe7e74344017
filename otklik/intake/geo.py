"""Small geometry helpers: distance on the sphere and point-in-polygon for territory boundaries
(GeoJSON stored on Territory). Enough for a region's few hundred territories without PostGIS."""

from __future__ import annotations

import math
from typing import Any

EARTH_RADIUS_M = 6_371_000.0


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bbox(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) around a point: a cheap index-friendly prefilter."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = math.degrees(radius_m / (EARTH_RADIUS_M * max(0.01, math.cos(math.radians(lat)))))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def _in_ring(lon: float, lat: float, ring: list[Any]) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = float(ring[i][0]), float(ring[i][1])
        xj, yj = float(ring[j][0]), float(ring[j][1])
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / ((yj - yi) or 1e-12) + xi:
            inside = not inside
        j = i
    return inside


def _in_polygon(lon: float, lat: float, rings: list[Any]) -> bool:
    if not rings or not _in_ring(lon, lat, rings[0]):
        return False
    return not any(_in_ring(lon, lat, hole) for hole in rings[1:])


def contains(geometry: Any, lat: float, lon: float) -> bool:
    """Whether a GeoJSON Polygon / MultiPolygon (or a Feature holding one) contains the point."""
    if not isinstance(geometry, dict):
        return False
    if geometry.get("type") == "Feature":
        return contains(geometry.get("geometry"), lat, lon)
    coordinates = geometry.get("coordinates") or []
    try:
        if geometry.get("type") == "Polygon":
            return _in_polygon(lon, lat, coordinates)
        if geometry.get("type") == "MultiPolygon":
            return any(_in_polygon(lon, lat, polygon) for polygon in coordinates)
    except (TypeError, ValueError, IndexError):
        return False
    return False


def extent(geometry: Any) -> float:
    """The area of a boundary's bounding box in square degrees: enough to tell a city's small outline
    from the district around it. Unreadable geometry counts as infinitely large."""
    points: list[tuple[float, float]] = []

    def walk(node: Any) -> None:
        if isinstance(node, (list, tuple)) and len(node) >= 2 and all(isinstance(v, (int, float)) for v in node[:2]):
            points.append((float(node[0]), float(node[1])))
        elif isinstance(node, (list, tuple)):
            for item in node:
                walk(item)

    if isinstance(geometry, dict):
        walk((geometry.get("geometry") or {}).get("coordinates") if geometry.get("type") == "Feature"
             else geometry.get("coordinates"))
    if not points:
        return math.inf
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return (max(lons) - min(lons)) * (max(lats) - min(lats))
