"""A wall kiosk account: what it may do, and how it is told from a person's account."""

# The kiosk role's group (ondijon.roles.WALL_DISPLAY): the apps name it from here, since the
# roles module puts the apps together and they never import it.
KIOSK_GROUP = "wall_display"

# It reads the walls and watches their cameras (each view logged), and nothing else.
KIOSK_PERMISSIONS = frozenset(
    {"supervision.view_wall", "equipment.view_camera", "equipment.watch_camera"}
)


def is_kiosk(user) -> bool:
    return user.get_all_permissions() == KIOSK_PERMISSIONS


def beyond_kiosk(user) -> set[str]:
    """What the account may do besides a kiosk's (empty for a kiosk)."""
    return user.get_all_permissions() - KIOSK_PERMISSIONS
