"""ASGI entry point: HTTP through Django, WebSockets through Channels (session-authenticated,
Origin checked in full: scheme, host and port, ondijon/origins.py)."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ondijon.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from ondijon import liveness  # noqa: E402
from ondijon.origins import SameOriginValidator  # noqa: E402
from supervision.live.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

# The platform panel shows this server; a program that only imports the application does not
# report (the embedded `demo` command reports for itself).
if liveness.started_as_daphne():
    liveness.start_reporting(liveness.web_kind())

# What is loaded by now lives as long as the process: keep it out of the collector's full
# passes, which would otherwise rescan it after every burst of allocations (one telemetry
# batch allocates tens of thousands of objects).
gc.freeze()
