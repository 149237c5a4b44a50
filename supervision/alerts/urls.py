from django.urls import path

from supervision.alerts import kpi_views
from supervision.alerts import views as alert_views

urlpatterns = [
    path("alerts/", alert_views.alert_desk, name="alert-desk"),
    path("alerts/kpis/", kpi_views.kpis_page, name="alarm-kpis"),
    path("alerts/kpis.csv", kpi_views.kpis_csv, name="alarm-kpis-csv"),
    path("alerts/queue.json", alert_views.alert_queue, name="alert-desk-queue"),
    path("alerts/<int:pk>/acknowledge/", alert_views.acknowledge, name="alert-desk-acknowledge"),
    path("alerts/<int:pk>/qualify/", alert_views.qualify, name="alert-desk-qualify"),
    path("alerts/<int:pk>/resolve/", alert_views.resolve, name="alert-desk-resolve"),
    path("alerts/<int:pk>/close/", alert_views.close, name="alert-desk-close"),
    path("alerts/<int:pk>/shelve/", alert_views.shelve, name="alert-desk-shelve"),
    path("alerts/<int:pk>/unshelve/", alert_views.unshelve, name="alert-desk-unshelve"),
    path("alerts/<int:pk>/step/", alert_views.run_step, name="alert-desk-step"),
]
