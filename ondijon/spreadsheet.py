"""CSV files as French Excel opens them: `;` between fields (the comma is the decimal
separator), UTF-8 announced by a byte order mark (else accents come out garbled), times in
the city's time zone as dd/mm/yyyy hh:mm:ss, decimals with a comma."""

import csv
from datetime import datetime

from django.utils import timezone

BOM = "\ufeff"
CONTENT_TYPE = "text/csv; charset=utf-8"
DELIMITER = ";"


def writer(out) -> "csv._writer":
    return csv.writer(out, delimiter=DELIMITER)


def local_time(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M:%S")


def decimal(value: float | int | None) -> str:
    if value is None or value == "":
        return ""
    return str(value).replace(".", ",")
