"""The platform panel shows an operator the process that stopped, and the one that runs."""

from datetime import timedelta

from django.utils import timezone, translation
from playwright.sync_api import expect

from ondijon import liveness, roles
from supervision.models import Event, PlatformProcess
from supervision.platform import services
from tests.e2e.test_login import log_in


def test_operator_sees_the_process_that_stopped(asgi_server, page, make_user, screenshot):
    make_user(roles.OPERATOR, username="olga")
    liveness.report_alive("mqtt_bridge", "mqtt_bridge@gateway-1")
    PlatformProcess.objects.filter(name="mqtt_bridge@gateway-1").update(
        last_seen_at=timezone.now() - timedelta(minutes=3)
    )
    services.watch_processes()
    assert Event.objects.filter(kind=services.STOPPED, subject_id="mqtt_bridge@gateway-1")

    log_in(page, asgi_server, "olga")
    page.goto(f"{asgi_server}/platform/")

    stopped = page.locator('#processes tr[data-process="mqtt_bridge@gateway-1"]')
    expect(stopped).to_have_attribute("data-state", "stopped")
    expect(stopped.locator(".state")).to_have_text("stopped")
    expect(stopped).to_contain_text("MQTT telemetry bridge")
    # The page's own server reports itself: the whole platform on the embedded default, a web
    # server on the production stack.
    serving = page.locator('#processes tr[data-state="running"]')
    # Named in the page's language (English, as the texts above), whatever language an
    # earlier test left active in this process.
    with translation.override("en"):
        kind = str(PlatformProcess.Kind(liveness.web_kind()).label)
    expect(serving).to_contain_text(kind)
    screenshot("stopped-process")
