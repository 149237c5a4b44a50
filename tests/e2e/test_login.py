"""A newcomer's first minute: log in, reach the admin and the API of the city."""

from playwright.sync_api import expect

from ondijon import roles

PASSWORD = "correct horse battery staple"


def sign_in(page, base_url: str, username: str) -> None:
    """Log in through the login page; each role then lands on its own desk."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/")
    expect(page).to_have_url(f"{base_url}/accounts/login/?next=/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_administrator_logs_in_and_sees_admin_map_and_api(
    asgi_server, page, make_user, streetlight, screenshot
):
    make_user(roles.ADMINISTRATOR, username="ada")
    log_in(page, asgi_server, "ada")
    expect(page.locator("h1")).to_contain_text("Welcome, ada")
    screenshot("home")

    page.goto(f"{asgi_server}/admin/equipment/equipment/")
    expect(page.locator("#result_list")).to_contain_text("SL-TEST-1")
    expect(page.locator("#admin-map.leaflet-container canvas").first).to_be_visible()
    assert "SL-TEST-1" in page.locator("#admin-map-points").text_content()
    screenshot("admin-equipment-map")

    page.goto(f"{asgi_server}/api/v1/equipment/?format=json")
    assert "SL-TEST-1" in page.content()


def test_admin_map_places_equipment_by_click(asgi_server, page, make_user, streetlight):
    make_user(roles.ADMINISTRATOR, username="ada")
    log_in(page, asgi_server, "ada")
    page.goto(f"{asgi_server}/admin/equipment/equipment/{streetlight.pk}/change/")
    before = page.input_value("#id_latitude"), page.input_value("#id_longitude")
    page.locator("#admin-map").click(position={"x": 300, "y": 200})
    after = page.input_value("#id_latitude"), page.input_value("#id_longitude")
    assert after != before
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("changed successfully")
    streetlight.refresh_from_db()
    assert (f"{streetlight.latitude:.6f}", f"{streetlight.longitude:.6f}") == after


def test_wrong_password_is_refused(asgi_server, page, make_user):
    make_user(roles.OPERATOR, username="olivier")
    page.goto(f"{asgi_server}/accounts/login/")
    page.fill("#id_username", "olivier")
    page.fill("#id_password", "nope")
    page.click("button[type=submit]")
    expect(page.locator(".error")).to_contain_text("Wrong username or password")
