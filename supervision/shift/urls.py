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
]
