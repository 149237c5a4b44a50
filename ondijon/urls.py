from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required, login_required
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

# SimpleAdminConfig: admin modules are imported here, not autodiscovered, because
# django-leaflet's own admin module needs GDAL.
import equipment.admin  # noqa: F401
import geography.admin  # noqa: F401
import hotline.admin  # noqa: F401
import interventions.admin  # noqa: F401
import ondijon.lockouts_admin  # noqa: F401
import supervision.admin
import supervision.console.admin
import supervision.crisis.admin
import supervision.ngsi_ld.admin  # noqa: F401
from equipment import views as equipment_views
from equipment.api.urls import routes as equipment_routes
from hotline.api.urls import routes as hotline_routes
from interventions.api.urls import routes as intervention_routes
from ondijon import languages, views
from ondijon.csp import inline_styles_allowed
from supervision.api.urls import routes as supervision_routes
from supervision.crisis import status_page
from supervision.crisis import views as crisis_views
from supervision.overview import views as overview_views

api_router = DefaultRouter()
for prefix, viewset in [
    *equipment_routes,
    *intervention_routes,
    *hotline_routes,
    *supervision_routes,
]:
    api_router.register(prefix, viewset)

handler500 = "ondijon.outage.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # The language switch (POST language, next) and the scripts' translations (gettext() in
    # static/, loaded as a file before the page's scripts: no inline script under the CSP).
    path("i18n/setlang/", languages.set_language, name="set_language"),
    path(
        "jsi18n/",
        login_not_required(JavaScriptCatalog.as_view()),
        name="javascript-catalog",
    ),
    # Browsers ask for /favicon.ico where a page names none (the admin's pages).
    path("favicon.ico", views.favicon, name="favicon"),
    path("overview/", overview_views.overview, name="overview"),
    path("equipment/<str:code>/history/", equipment_views.history, name="equipment-history-page"),
    path("status/", status_page.status, name="status"),
    path("cap/", include("supervision.crisis.cap_urls")),
    path("crisis/", crisis_views.crisis_home, name="crisis"),
    path("crisis/modes/<slug:code>/", crisis_views.crisis_precheck, name="crisis-precheck"),
    path("crisis/<int:pk>/deactivate/", crisis_views.crisis_deactivate, name="crisis-deactivate"),
    path("crisis/<int:pk>/retry/", crisis_views.crisis_retry, name="crisis-retry"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("interventions.urls")),
    path("", include("supervision.log.urls")),
    path("", include("supervision.alerts.urls")),
    path("", include("supervision.console.urls")),
    path("", include("supervision.platform.urls")),
    path("", include("supervision.shift.urls")),
    path("hotline/", include("hotline.urls")),
    path("", include("geography.urls")),
    path("open311/v2/", include("hotline.open311.urls")),
    path("ngsi-ld/", include("supervision.ngsi_ld.urls")),
    path("api/v1/", include("geography.api.urls")),
    path("api/v1/", include(api_router.urls)),
    path("wall/", include("supervision.wall.urls")),
    path("video/", include("supervision.video.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        # The split view serves its start-up script as a file: the page runs no inline script.
        login_required(
            inline_styles_allowed(SpectacularSwaggerSplitView.as_view(url_name="schema"))
        ),
        name="api-docs",
    ),
]
