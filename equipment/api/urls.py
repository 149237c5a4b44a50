from . import commands, views

routes = [
    ("districts", views.DistrictViewSet),
    ("sites", views.SiteViewSet),
    ("equipment", views.EquipmentViewSet),
    ("readings", views.ReadingViewSet),
    ("commands", commands.CommandViewSet),
]
