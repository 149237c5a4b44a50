"""The citizen hotline (Allo Mairie): opening hours, its number, personal data retention."""

from .env import env_int, env_str

# Opening hours per weekday (Monday = 0): list of ("HH:MM", "HH:MM") ranges, local time.
# A crisis mode can switch the hotline to 24/7 (hotline.services.set_round_the_clock).
HOTLINE_OPENING_HOURS = {
    0: [("08:30", "18:00")],
    1: [("08:30", "18:00")],
    2: [("08:30", "18:00")],
    3: [("08:30", "18:00")],
    4: [("08:30", "18:00")],
    5: [("09:00", "12:30")],
    6: [],
}
# The hotline's number on the public status page (its hours: HOTLINE_OPENING_HOURS).
HOTLINE_PHONE = env_str("HOTLINE_PHONE", "0 800 21 00 00")
# Callers' personal data is anonymised after this many days; the statistics stay.
HOTLINE_CALLER_RETENTION_DAYS = env_int("HOTLINE_CALLER_RETENTION_DAYS", 90)
# Closed referrals and people who left the register: the social team's own retention.
HOTLINE_REFERRAL_RETENTION_DAYS = env_int("HOTLINE_REFERRAL_RETENTION_DAYS", 365)
# Open311 GeoReport v2 (hotline/open311/): the city's jurisdiction_id; blank takes any.
OPEN311_JURISDICTION = env_str("OPEN311_JURISDICTION", "")
