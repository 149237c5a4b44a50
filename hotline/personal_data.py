"""Callers' and referred people's personal data: who may read it, and the register of reads.

Only hotline agents and the social support centre read names, phones and addresses, because
their roles grant `hotline.view_personal_data`. An administrator (a superuser included) reads
them only when that permission is granted to the account or one of its groups explicitly:
running the platform is no reason to read who called. Every read of such a record — a page,
an API list or detail, the admin, an export — is written here (who, when, which record,
through what), and the social support lead lists those reads (`hotline.audit_personal_data`).
"""

from collections.abc import Iterable

from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet

from hotline.models import PersonalDataRead

PERSONAL_DATA = "hotline.view_personal_data"
AUDIT = "hotline.audit_personal_data"
# Permissions no role gets implicitly, the administrators' "everything" included.
EXPLICIT_ONLY = (PERSONAL_DATA, AUDIT)

Record = PersonalDataRead.Record


def holds(user, permission: str) -> bool:
    """Whether the user holds a personal-data permission explicitly (a superuser's blanket
    rights do not count)."""
    if not (user and user.is_authenticated and user.is_active and user.pk is not None):
        return False
    if not user.is_superuser:
        return user.has_perm(permission)
    app_label, codename = permission.split(".")
    granted = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    return granted.filter(Q(user=user) | Q(group__user=user)).exists()


def can_read(user) -> bool:
    return holds(user, PERSONAL_DATA)


def can_audit(user) -> bool:
    return holds(user, AUDIT)


def record_reads(reader, record_type: str, record_ids: Iterable[int], via: str) -> int:
    """Write one read per record shown to `reader`; returns how many were written."""
    ids = sorted({int(pk) for pk in record_ids if pk is not None})
    if not ids:
        return 0
    name = reader.get_username() if getattr(reader, "is_authenticated", False) else ""
    reads = [
        PersonalDataRead(
            reader=reader if name else None,
            reader_name=name,
            record_type=record_type,
            record_id=pk,
            via=via[:60],
        )
        for pk in ids
    ]
    PersonalDataRead.objects.bulk_create(reads)
    return len(reads)


def reads(
    record_type: str = "", record_id: int | None = None, reader: str = ""
) -> QuerySet[PersonalDataRead]:
    """The register of reads, newest first, optionally for one record or one reader."""
    found = PersonalDataRead.objects.all()
    if record_type:
        found = found.filter(record_type=record_type)
    if record_id is not None:
        found = found.filter(record_id=record_id)
    if reader:
        found = found.filter(reader_name=reader)
    return found
