from equipment.api import commands, telemetry, views

routes = [
    ("districts", views.DistrictViewSet),
    ("sites", views.SiteViewSet),
    ("equipment", views.EquipmentViewSet),
    ("readings", views.ReadingViewSet),
    ("telemetry", telemetry.TelemetryViewSet),
    ("commands", commands.CommandViewSet),
]
