from celery import shared_task

from hotline import retention


@shared_task(name="hotline.tasks.anonymise_expired_personal_data")
def anonymise_expired_personal_data() -> dict[str, int]:
    return retention.anonymise_expired_personal_data()
