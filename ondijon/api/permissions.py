"""API permission: a role (Django group) grants model permissions; views may ask for more."""

from rest_framework.permissions import BasePermission, DjangoModelPermissions

from ondijon.kiosk import beyond_kiosk

VIEW = ["%(app_label)s.view_%(model_name)s"]


class RolePermission(DjangoModelPermissions):
    """Model permissions, reads included, plus per-action permissions.

    A view may declare `action_permissions = {"dispatch": ["interventions.dispatch_..."]}`
    (checked instead of the model permission for that action) or `required_permissions`
    (for views without a queryset).
    """

    perms_map = {
        "GET": VIEW,
        "OPTIONS": VIEW,
        "HEAD": VIEW,
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        action = getattr(view, "action", None)
        action_permissions = getattr(view, "action_permissions", {})
        if action in action_permissions:
            return user.has_perms(action_permissions[action])
        required = getattr(view, "required_permissions", None)
        if required is not None:
            return user.has_perms(required)
        return super().has_permission(request, view)


class ApiUser(BasePermission):
    """Any signed-in role that reads the API; kiosk accounts only read the wall."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and beyond_kiosk(user))
