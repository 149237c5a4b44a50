"""The device console's maps: the operator map shows the equipment by kind and status and a
click on a device opens its page; on the selection page a polygon drawn with the map's own
tool (Leaflet.draw) selects the streetlights inside it, which are dimmed with progress and
rolled back."""

from playwright.sync_api import expect

from equipment import services as equipment_services
from equipment.models import Equipment
from ondijon import roles
from tests.e2e.test_login import log_in

# Two streetlights close together, a third and a bollard further east.
PLACES = {
    "SL-00001": (47.3220, 5.0400),
    "SL-00002": (47.3225, 5.0410),
    "SL-00003": (47.3230, 5.0440),
}


def click_at(page, map_name: str, lat: float, lon: float) -> None:
    """A click on the map at (lat, lon), where the operator's mouse would be."""
    page.locator(".leaflet-container").first.scroll_into_view_if_needed()
    x, y = page.evaluate(
        f"([lat, lon]) => {{ const p = window.{map_name}.map.latLngToContainerPoint([lat, lon]);"
        " return [p.x, p.y]; }",
        [lat, lon],
    )
    box = page.locator(".leaflet-container").first.bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def test_operator_map_shows_the_layers_and_opens_a_device_page(
    asgi_server, page, make_user, make_equipment
):
    for code, (lat, lon) in PLACES.items():
        make_equipment(code, "streetlight", {"lamp": "on", "dim": 100}, latitude=lat, longitude=lon)
    make_equipment("BOL-01", "bollard", {"position": "raised"}, latitude=47.3210, longitude=5.0450)
    Equipment.objects.filter(code="SL-00003").update(status=Equipment.Status.FAULT)
    make_user(roles.OPERATOR, username="olivier")
    log_in(page, asgi_server, "olivier")
    page.goto(f"{asgi_server}/console/")
    expect(page.locator("#console-map")).to_have_attribute("data-devices", "4")
    # The fault is drawn in its status colour.
    colour = page.evaluate(
        "() => window.ondijonConsoleMap.layers.streetlight.getLayers()"
        ".find((m) => m.feature.properties.code === 'SL-00003').options.fillColor"
    )
    assert colour == page.evaluate("() => OndijonConsoleMap.STATUS_COLOURS.fault")
    # Statuses follow live: a device that goes offline is recoloured without a reload.
    expect(page.locator("#console-connection[data-state=live]")).to_be_attached()
    equipment_services.update_equipment(
        Equipment.objects.get(code="SL-00001"), {"status": Equipment.Status.OFFLINE}
    )
    page.wait_for_function(
        "() => window.ondijonConsoleMap.layers.streetlight.getLayers()"
        ".find((m) => m.feature.properties.code === 'SL-00001').options.fillColor"
        " === OndijonConsoleMap.STATUS_COLOURS.offline",
        timeout=20000,
    )
    # A layer switched off leaves the map; the bollards stay.
    page.uncheck(".map-layers input[value=streetlight]")
    assert page.evaluate(
        "() => { const m = window.ondijonConsoleMap; return [m.map.hasLayer(m.layers.streetlight),"
        " m.map.hasLayer(m.layers.bollard)]; }"
    ) == [False, True]
    page.check(".map-layers input[value=streetlight]")
    page.evaluate(
        "() => window.ondijonConsoleMap.map.setView([47.3225, 5.042], 17, { animate: false })"
    )
    click_at(page, "ondijonConsoleMap", *PLACES["SL-00002"])
    page.wait_for_url("**/console/devices/SL-00002/")
    expect(page.locator("h1")).to_contain_text("SL-00002")


def test_operator_lassoes_streetlights_with_a_polygon_dims_them_and_rolls_them_back(
    asgi_server, background_worker, page, make_user, make_equipment, screenshot
):
    for n, (code, (lat, lon)) in enumerate(PLACES.items(), start=1):
        make_equipment(
            code, "streetlight", {"lamp": "on", "dim": 90 + n}, latitude=lat, longitude=lon
        )
    make_user(roles.OPERATOR, username="olivier")
    log_in(page, asgi_server, "olivier")
    page.goto(f"{asgi_server}/console/selection/")
    page.wait_for_function("() => document.body.dataset.connection === 'live'")
    page.select_option("#sel-kind", "streetlight")
    expect(page.locator("#selection-map")).to_have_attribute("data-devices", "3")
    page.evaluate(
        "() => window.ondijonSelection.map.setView([47.3225, 5.042], 17, { animate: false })"
    )
    # Around SL-00001 and SL-00002, clicked corner by corner, closed on the first corner.
    page.click(".leaflet-draw-draw-polygon")
    corners = [(47.3214, 5.0394), (47.3214, 5.0418), (47.3229, 5.0418), (47.3229, 5.0394)]
    for lat, lon in [*corners, corners[0]]:
        click_at(page, "ondijonSelection", lat, lon)
        page.wait_for_timeout(400)  # a person's pace: two quick clicks are a double click
    expect(page.locator("#box-text")).not_to_be_empty()
    assert len(page.evaluate("() => window.ondijonSelection.state.polygon")) == 4

    page.select_option("#command-action", "dim")
    page.fill("#param-level", "40")
    page.click("#preview-button")
    expect(page.locator("[data-preview=devices]")).to_have_text("2")
    page.fill("#command-reason", "Works in the square")
    page.click("#send-button")
    expect(page.locator("[data-field=apply-total]")).to_have_text("2")
    expect(page.locator("[data-field=apply-acknowledged]")).to_have_text("2", timeout=30000)
    screenshot("polygon-sent")
    dims = dict(Equipment.objects.values_list("code", "state__dim"))
    assert dims == {"SL-00001": 40, "SL-00002": 40, "SL-00003": 93}

    page.click("#rollback-button")
    expect(page.locator("[data-field=restore-acknowledged]")).to_have_text("2", timeout=30000)
    dims = dict(Equipment.objects.values_list("code", "state__dim"))
    assert dims == {"SL-00001": 91, "SL-00002": 92, "SL-00003": 93}


def test_operator_selects_streetlights_by_a_rectangle_drawn_on_the_map(
    asgi_server, page, make_user, make_equipment
):
    for code, (lat, lon) in PLACES.items():
        make_equipment(code, "streetlight", {"lamp": "on", "dim": 100}, latitude=lat, longitude=lon)
    make_user(roles.OPERATOR, username="olivier")
    log_in(page, asgi_server, "olivier")
    page.goto(f"{asgi_server}/console/selection/")
    page.select_option("#sel-kind", "streetlight")
    expect(page.locator("#selection-map")).to_have_attribute("data-devices", "3")
    page.evaluate(
        "() => window.ondijonSelection.map.setView([47.3225, 5.042], 16, { animate: false })"
    )
    # Pressed west of SL-00002 and south of SL-00001, released past SL-00003's corner.
    page.click(".leaflet-draw-draw-rectangle")
    page.locator(".leaflet-container").first.scroll_into_view_if_needed()
    box = page.locator(".leaflet-container").first.bounding_box()

    def at(lat: float, lon: float) -> tuple[float, float]:
        x, y = page.evaluate(
            "([lat, lon]) => { const p = window.ondijonSelection.map"
            ".latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
            [lat, lon],
        )
        return box["x"] + x, box["y"] + y

    page.mouse.move(*at(47.3222, 5.0405))
    page.mouse.down()
    page.mouse.move(*at(47.3235, 5.0445), steps=8)
    page.mouse.up()
    south, west, north, east = page.evaluate("() => window.ondijonSelection.state.box")
    assert south < 47.3225 < north and west < 5.0410 < east  # SL-00002 inside, and SL-00003
    page.select_option("#command-action", "dim")
    page.fill("#param-level", "40")
    page.click("#preview-button")
    expect(page.locator("[data-preview=devices]")).to_have_text("2")
