"""Every GeoJSON endpoint of the schema answers valid RFC 7946, as a real validator reads it
(geojson-validator: structure, no `crs` member, closed rings, exterior rings counter-clockwise),
longitude first (every position falls in the metropolis read as lon, lat)."""

import pytest
from geojson_validator import validate_geometries, validate_structure

from equipment import services as equipment
from ondijon import roles
from supervision.alerts.services import raise_alert

# The metropolis, lon/lat: a position given lat/lon falls outside.
MIN_LON, MIN_LAT, MAX_LON, MAX_LAT = 4.9, 47.2, 5.3, 47.45


@pytest.fixture
def mapped_city(district, streetlight):
    from interventions import services as interventions

    # An administrator may draw a district's outline either way round, or not at all.
    equipment.create_district(
        {
            "code": "clockwise",
            "name": "Clockwise",
            "center_latitude": 47.30,
            "center_longitude": 5.10,
            "boundary": [[5.09, 47.29], [5.09, 47.31], [5.11, 47.31], [5.11, 47.29], [5.09, 47.29]],
        }
    )
    equipment.create_district(
        {"code": "unmapped", "name": "Unmapped", "center_latitude": 47.3, "center_longitude": 5.0}
    )
    interventions.create_team(
        {"call_sign": "ECL-01", "service": "lighting", "latitude": 47.33, "longitude": 5.05}
    )
    interventions.create_intervention(
        {
            "title": "Lamp out",
            "category": "lighting",
            "service": "lighting",
            "priority": 2,
            "latitude": 47.32,
            "longitude": 5.04,
        }
    )
    raise_alert(
        {
            "title": "Leak",
            "category": "water",
            "source": "operator",
            "latitude": 47.31,
            "longitude": 5.02,
        }
    )


def positions(coordinates):
    if coordinates and isinstance(coordinates[0], int | float):
        yield coordinates
        return
    for part in coordinates:
        yield from positions(part)


def test_every_geojson_endpoint_is_valid_rfc_7946(mapped_city, api_client_for):
    api = api_client_for(roles.ADMINISTRATOR)
    schema = api.get("/api/schema/?format=json").json()
    paths = [
        path
        for path, operations in schema["paths"].items()
        if "application/geo+json" in str(operations.get("get", {}).get("responses", {}))
    ]
    assert len(paths) >= 4, paths  # districts, equipment, alerts, teams, interventions
    for path in paths:
        response = api.get(path)
        assert response.status_code == 200, path
        assert response["Content-Type"].startswith("application/geo+json")
        collection = response.json()
        assert collection["features"], path
        assert validate_structure(collection, check_crs=True) == {}, path
        geometries = validate_geometries(collection)
        assert (geometries["invalid"], geometries["problematic"]) == ({}, {}), path
        for feature in collection["features"]:
            if feature["geometry"] is None:
                continue
            for lon, lat, *_ in positions(feature["geometry"]["coordinates"]):
                assert MIN_LON < lon < MAX_LON and MIN_LAT < lat < MAX_LAT, (path, lon, lat)


def geo_properties(value):
    """Every GeoProperty's value in an NGSI-LD answer, wherever it is (normalised, keyValues
    keeps only `location`, temporal lists each instance)."""
    if isinstance(value, list):
        for item in value:
            yield from geo_properties(item)
    elif isinstance(value, dict):
        if value.get("type") == "GeoProperty":
            yield value["value"]
        for name, member in value.items():
            if name == "location" and isinstance(member, dict) and "coordinates" in member:
                yield member  # options=keyValues: the geometry itself
            else:
                yield from geo_properties(member)


def test_ngsi_ld_locations_are_valid_rfc_7946(mapped_city, client, settings):
    """NGSI-LD's GeoProperty values are GeoJSON geometries (ETSI GS CIM 009, 4.7): the same
    validator reads every one the entities' answers carry, normalised and keyValues."""
    settings.STANDARDS_ACCESS = {**settings.STANDARDS_ACCESS, "ngsi_ld": "public"}
    settings.STANDARDS_THROTTLE_RATES = {}
    geometries = []
    for options in ({}, {"options": "keyValues"}):
        response = client.get("/ngsi-ld/v1/entities", {"limit": 100, **options})
        assert response.status_code == 200, response.content
        geometries += list(geo_properties(response.json()))
    one = client.get("/ngsi-ld/v1/entities/urn:ngsi-ld:Streetlight:SL-TEST-1").json()
    geometries += list(geo_properties(one))
    assert len(geometries) >= 3, geometries  # the streetlight, three ways
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": geometry, "properties": {}} for geometry in geometries
        ],
    }
    assert validate_structure(collection, check_crs=True) == {}
    found = validate_geometries(collection)
    assert (found["invalid"], found["problematic"]) == ({}, {})
    for geometry in geometries:
        for lon, lat, *_ in positions(geometry["coordinates"]):
            assert MIN_LON < lon < MAX_LON and MIN_LAT < lat < MAX_LAT, (lon, lat)
