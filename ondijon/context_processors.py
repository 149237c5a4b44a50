from django.conf import settings
from django.http import HttpRequest


def platform(request: HttpRequest) -> dict:
    return {
        "CITY_NAME": settings.CITY_NAME,
        "MAP_TILE_URL": settings.MAP_TILE_URL,
        "MAP_TILE_ATTRIBUTION": settings.MAP_TILE_ATTRIBUTION,
    }


def top_bar(request: HttpRequest) -> dict:
    """The links of the top bar, the person's roles in words (ondijon/navigation.py)."""
    from ondijon import navigation

    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}
    return {"nav_links": navigation.links_for(user), "nav_roles": navigation.role_names(user)}
