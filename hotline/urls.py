from django.urls import path

from hotline import views

app_name = "hotline"

urlpatterns = [
    path("", views.desk, name="desk"),
    path("calls/", views.log_call, name="log_call"),
    path("answers/", views.search_answers, name="answers"),
    path("callbacks/", views.callbacks, name="callbacks"),
    path("callbacks/<int:pk>/done/", views.callback_done, name="callback_done"),
    path("referrals/", views.referrals, name="referrals"),
    path("referrals/<int:pk>/move/", views.referral_move, name="referral_move"),
    path("referrals/<int:pk>/note/", views.referral_note, name="referral_note"),
    path("register/", views.register, name="register"),
    path("register/<int:pk>/leave/", views.register_leave, name="register_leave"),
    path("campaigns/", views.campaigns, name="campaigns"),
    path("campaigns/start/", views.campaign_start, name="campaign_start"),
    path("campaigns/<int:pk>/", views.campaign_work, name="campaign"),
    path("campaigns/<int:pk>/close/", views.campaign_close, name="campaign_close"),
    path("campaign-calls/<int:pk>/outcome/", views.campaign_outcome, name="campaign_outcome"),
    path("round-the-clock/", views.round_the_clock, name="round_the_clock"),
    path("statistics/", views.statistics, name="statistics"),
    path("statistics.csv", views.statistics_export, name="statistics_csv"),
    path("figures.json", views.figures, name="figures"),
    path("personal-data-reads/", views.personal_data_reads, name="personal_data_reads"),
]
