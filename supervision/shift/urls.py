from django.urls import path

from supervision.shift import views

urlpatterns = [
    path("shift/", views.shift_page, name="shift"),
    path("shift/start/", views.shift_start, name="shift-start"),
    path("shift/<int:pk>/end/", views.shift_end, name="shift-end"),
    path("shift/<int:pk>/report/", views.shift_report, name="shift-report"),
    path("shift/<int:pk>/report.csv", views.shift_report_csv, name="shift-report-csv"),
    path("reports/daily/", views.daily_report, name="daily-report"),
    path("reports/daily.csv", views.daily_report_csv, name="daily-report-csv"),
    path("reports/sitrep/", views.situation_report, name="sitrep"),
    path("reports/sitrep.pdf", views.situation_report_pdf, name="sitrep-pdf"),
    path("reports/after-action/", views.after_action, name="after-action"),
    path("reports/after-action.pdf", views.after_action_pdf, name="after-action-pdf"),
    path(
        "reports/after-action/activation/<int:pk>/",
        views.activation_after_action,
        name="activation-after-action",
    ),
    path(
        "reports/after-action/activation/<int:pk>.pdf",
        views.activation_after_action_pdf,
        name="activation-after-action-pdf",
    ),
]
