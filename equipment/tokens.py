"""Device tokens: issued once (the key is shown only then), checked by hash, revoked."""

import hashlib
import secrets

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from equipment.models import DeviceToken, Equipment


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_token(
    name: str, equipment: list[Equipment] | None = None, all_equipment: bool = False
) -> tuple[DeviceToken, str]:
    """A new token and its key; the key is not stored, so give it to the device now."""
    key = secrets.token_urlsafe(30)
    token = DeviceToken.objects.create(
        name=name, key_prefix=key[:8], key_hash=hash_key(key), all_equipment=all_equipment
    )
    if equipment:
        token.equipment.set(equipment)
    return token, key


def revoke_tokens(tokens) -> int:
    return tokens.filter(revoked_at=None).update(revoked_at=timezone.now())


def token_for_key(key: str) -> DeviceToken | None:
    return DeviceToken.objects.active().filter(key_hash=hash_key(key)).first()


class DeviceIdentity:
    """What `request.user` is for a device: authenticated, with no user permissions."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    pk = None

    def __init__(self, token: DeviceToken):
        self.token = token

    def __str__(self) -> str:
        return f"device:{self.token.name}"

    def get_username(self) -> str:
        return str(self)

    def has_perm(self, perm, obj=None) -> bool:
        return False

    def has_perms(self, perms, obj=None) -> bool:
        return False


class DeviceTokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>` with a device token (not a user's token)."""

    throttle_scope = "device"  # its rate: API_THROTTLE_RATES["device"]

    def authenticate_credentials(self, key):
        token = token_for_key(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked device token."))
        return DeviceIdentity(token), token


class IsDevice(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, DeviceToken)


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    target_class = DeviceTokenAuthentication
    name = "deviceToken"
    priority = 1

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": _('A device token issued in the admin, as "Token <key>".'),
        }
